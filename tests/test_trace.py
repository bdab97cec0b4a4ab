"""The TRACE document and the summary ODD link only to evidence that exists.

docs/trace.md ties each claim to a test (`tests/<file>.py::<function>`), a file
(`benchmarks/<file>.py`, ...), a `python -m <module>` command or an `alliance-*`
console script; docs/odd_summary.md does the same. A rename or a move that leaves a
link dangling fails here, naming the link. Nothing is run or imported from the
project: files are read, test modules parsed with `ast`, console scripts looked up
in pyproject.toml.
"""

import ast
import importlib.util
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "docs" / "trace.md", ROOT / "docs" / "odd_summary.md"]

TOP = r"(?:tests|benchmarks|experiments|simulation|calibration|hydra_plugins|configs)"
# A repository path, optionally followed by ::Class::function (a pytest node id).
PATH = re.compile(rf"(?<![\w/.-])({TOP}/[\w/.-]+?\.(?:py|ya?ml|json))((?:::\w+)+)?(?![\w/])")
MODULE = re.compile(r"\bpython\s+-m\s+([A-Za-z_][\w.]*)")
SCRIPT = re.compile(r"(?<![\w-])(alliance-[a-z]+)(?![\w-])")
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`]+`", re.DOTALL)  # a span may wrap a line

ELEMENTS = [
    "Problem formulation",
    "Model description",
    "Data evaluation",
    "Conceptual model evaluation",
    "Implementation verification",
    "Model output verification",
    "Model analysis",
    "Model output corroboration",
]


@cache
def text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def code(doc: Path) -> str:
    """The document's code: inline spans, fenced blocks and indented blocks."""
    spans = [m.group(0).strip("`") for m in CODE.finditer(text(doc))]
    indented = [line for line in text(doc).splitlines() if line.startswith("    ")]
    return "\n".join(spans + indented)


def paths(doc: Path) -> list[tuple[str, list[str]]]:
    return [(m.group(1), (m.group(2) or "").split("::")[1:]) for m in PATH.finditer(text(doc))]


@cache
def definitions(path: str) -> dict:
    """Top-level names of a module (functions, classes, assignments), each class with its own."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: dict = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = {}
        elif isinstance(node, ast.ClassDef):
            found[node.name] = {
                child.name: {}
                for child in node.body
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        elif isinstance(node, ast.Assign | ast.AnnAssign):  # `alliance_run = _script(...)`
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update({t.id: {} for t in targets if isinstance(t, ast.Name)})
    return found


@cache
def scripts() -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    return project["scripts"]


def module_exists(name: str) -> bool:
    parts = name.split(".")
    if (ROOT / parts[0]).is_dir() or (ROOT / f"{parts[0]}.py").is_file():
        base = ROOT.joinpath(*parts)
        return base.with_suffix(".py").is_file() or (base / "__main__.py").is_file()
    return importlib.util.find_spec(parts[0]) is not None


def test_the_trace_document_has_the_eight_elements_in_order():
    headings = re.findall(r"^## \d\. (.+)$", text(DOCS[0]), flags=re.MULTILINE)
    assert headings == ELEMENTS


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_the_links_are_found(doc):
    # Guards the parsers: a pattern that stopped matching would pass every check below.
    if doc.name == "trace.md":
        tests = [p for p, names in paths(doc) if p.startswith("tests/") and names]
        assert len(tests) >= 40
        assert any(p.startswith("benchmarks/") for p, _ in paths(doc))
        assert MODULE.search(text(doc))
    assert SCRIPT.search(code(doc))


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_linked_test_function_exists(doc):
    missing = []
    for path, names in paths(doc):
        if not (ROOT / path).is_file():
            missing.append(path)
            continue
        if names and path.endswith(".py"):
            scope = definitions(path)
            for name in names:
                if name not in scope:
                    missing.append(f"{path}::{'::'.join(names)}")
                    break
                scope = scope[name]
    assert not missing, f"{doc.name} links to what no longer exists: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_python_m_module_exists(doc):
    modules = set(MODULE.findall(text(doc)))
    missing = sorted(m for m in modules if not module_exists(m))
    assert not missing, f"{doc.name}: `python -m` of a module that does not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_alliance_command_is_a_console_script_that_resolves(doc):
    used = set(SCRIPT.findall(code(doc)))
    missing = sorted(s for s in used if s not in scripts())
    assert not missing, f"{doc.name}: not in pyproject.toml [project.scripts]: {missing}"
    for name in sorted(used):
        module, function = scripts()[name].split(":")
        path = module.replace(".", "/") + ".py"
        assert (ROOT / path).is_file(), f"{name} -> {path}: no such file"
        assert function in definitions(path), f"{name} -> {path} has no {function}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_relative_link_points_to_a_file(doc):
    targets = [t.split("#")[0] for t in LINK.findall(text(doc))]
    local = [t for t in targets if t and not re.match(r"[a-z]+:", t)]
    missing = [t for t in local if not (doc.parent / t).is_file()]
    assert not missing, f"{doc.name}: links to no file: {missing}"


def test_the_parser_reads_node_ids_paths_modules_and_scripts():
    sample = (
        "`tests/test_reference.py::test_project_outcomes_agree`, "
        "`tests/x.py::Case::test_y`, `python benchmarks/premium_views.py --seeds 80`, "
        "docs/calibration/patterns.md, `python -m experiments.calibrating.patterns`, "
        "`alliance-run -m seed=0` and the package alliance-premium in prose"
    )
    found = [(m.group(1), m.group(2)) for m in PATH.finditer(sample)]
    assert found == [
        ("tests/test_reference.py", "::test_project_outcomes_agree"),
        ("tests/x.py", "::Case::test_y"),
        ("benchmarks/premium_views.py", None),
    ]
    assert MODULE.findall(sample) == ["experiments.calibrating.patterns"]
    spans = "\n".join(m.group(0) for m in CODE.finditer(sample))
    assert SCRIPT.findall(spans) == ["alliance-run"]
