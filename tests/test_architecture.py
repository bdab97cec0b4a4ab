"""The tree reads as the architecture: no import cycle, no dependency pointing outwards.

The project's modules (simulation/, calibration/, experiments/, hydra_plugins/) are
read with `ast`, nothing is imported. Every import counts: at the top of a module,
inside a function (imported on use) and under `TYPE_CHECKING` (for types only), so
that a cycle hidden in a function or in an annotation fails too. What each layer may
use, from the inside out:

- `simulation/`, the model: none of the others, and not Hydra;
- `calibration/`, the fit: the model; not `experiments/` (the command line hands
  its pool workers their process set-up, `Evaluator(worker_setup=...)`), not Hydra;
- `experiments/`: of `hydra_plugins/` only the sweeper's configs, which it composes
  (`hydra_plugins.alliance_sweeps.config`); the sweeper and launcher themselves only
  from `alliance-run` (`experiments.cli.run`), which registers them;
- `hydra_plugins/`: hands a sweep over to `experiments.sweep`.

Which modules load at start-up (Mesa, xarray) is tests/test_startup.py's.
"""

import ast
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("simulation", "calibration", "experiments", "hydra_plugins")
# Allowed imports across layers that the layer rules would otherwise refuse, with why.
SWEEPER_CONFIGS = "hydra_plugins.alliance_sweeps.config"  # composed with every run config
SWEEPER = "hydra_plugins.alliance_sweeps.sweeps"  # registered by alliance-run
EDGE = ("experiments.cli.console", "experiments.cli.run")  # imported by nothing


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported_names(name: str) -> set[str]:
    """Every absolute name a module imports (module, or module.attribute), anywhere in it."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def project_module(name: str) -> str | None:
    """The project's module a name is (or is in), if any: `a.b.c` is `a.b` when `a.b.c` is not."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def graph() -> dict[str, set[str]]:
    """Each module's imports of the project's modules."""
    edges = {}
    for name in modules():
        targets = {project_module(imported) for imported in imported_names(name)}
        edges[name] = {target for target in targets if target and target != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_at_the_top_in_functions_and_for_types():
    edges = graph()
    assert "simulation.config" in edges["simulation.model"]  # at the top
    assert "simulation.model" in edges["simulation.run"]  # on use, inside a function
    assert "simulation.state" in edges["simulation.recorder"]  # under TYPE_CHECKING
    assert "experiments.config.schema" in edges["experiments"]  # from experiments import ...


def test_the_cycle_finder_finds_a_loop_through_three_modules():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def concern(name: str) -> str:
    """The package of a concern a module is in (`experiments.sweep.plan`: `experiments.sweep`).

    The Hydra plugin's modules count apart: its configs are a leaf that the
    experiments compose, its sweeper hands sweeps over to them.
    """
    parts = name.split(".")
    if parts[0] == "hydra_plugins":
        return name
    return ".".join(parts[:2]) if parts[0] == "experiments" else parts[0]


def test_no_cycle_between_the_packages_of_experiments():
    # The tree reads as the architecture (issue 28): concerns depend on each other one
    # way only, so that what a package uses is below it (the module graph can be free
    # of cycles while two packages still use each other).
    edges: dict[str, set[str]] = {}
    for name, targets in graph().items():
        edges.setdefault(concern(name), set()).update(
            concern(target) for target in targets if concern(target) != concern(name)
        )
    assert cycles(edges) == []


def imports_of(layer: str) -> list[tuple[str, str]]:
    """(module, imported name) for every import of a layer's modules, the project's and not."""
    return [
        (name, imported)
        for name in modules()
        if name.split(".")[0] == layer
        for imported in sorted(imported_names(name))
    ]


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(
    ("layer", "refused", "allowed"),
    [
        ("simulation", {"calibration", "experiments", "hydra_plugins", "hydra", "omegaconf"}, ()),
        ("calibration", {"experiments", "hydra_plugins", "hydra", "omegaconf"}, ()),
        ("experiments", {"hydra_plugins"}, (SWEEPER_CONFIGS,)),
    ],
)
def test_no_layer_imports_one_outside_it(layer, refused, allowed):
    outward = [
        f"{name} imports {imported}"
        for name, imported in imports_of(layer)
        if top(imported) in refused
        and project_module(imported) not in allowed
        and not (name == "experiments.cli.run" and project_module(imported) == SWEEPER)
    ]
    assert outward == []


def test_the_sweepers_configs_import_nothing_of_the_project():
    assert graph()[SWEEPER_CONFIGS] == set()


def test_the_command_line_edge_is_imported_by_nothing():
    edges = graph()
    importers = [f"{name} imports {edge}" for name in edges for edge in EDGE if edge in edges[name]]
    assert importers == []


def test_every_package_ships_in_the_wheel():
    with open(ROOT / "pyproject.toml", "rb") as f:
        listed = set(tomllib.load(f)["tool"]["setuptools"]["packages"])
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert packages - listed == set()
