"""Write the configuration reference and the ODD parameter tables from the schema and the YAML.

Each numeric key's range and unit come from the schema (`simulation.bounds`), its
default and meaning from the YAML file a user edits (the default and the comment
on, or just above, its line). `docs/configuration.md` is written whole. In
`docs/model.md` (the ODD description) the parameter tables keep their hand-written
columns (the key, its symbol in the equations, its source) and get the default,
range and unit from here; the profile table is written whole. Nothing is copied
by hand, and a test checks that both committed files are what this module writes:

    python -m experiments.config.config_reference
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from experiments.storage.files import write_text_atomically
from simulation.bounds import declared_keys, field_docs
from simulation.config import RunConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = PROJECT_ROOT / "docs" / "configuration.md"
MODEL_DOC = PROJECT_ROOT / "docs" / "model.md"

# The header of an ODD parameter table; the other columns are written here.
PARAMETER_HEADER = "| key | meaning | default | range | unit | source |"
PROFILE_HEADER = "| profile | share | H (FTE) | grants | revenue | societal inv. | idle | start x |"
PROFILE_FIELDS = (
    "share",
    "human_fte",
    "grants_eur",
    "revenue_eur",
    "societal_investment_eur",
    "idle_eur",
    "start_rate_multiplier",
)

# Where each top-level section's defaults are written.
SECTION_FILES = {
    "seed": "configs/config.yaml",
    "scenario": "configs/scenario/default.yaml",
    "model": "configs/model/default.yaml",
    "fund.strategy": "configs/fund/strategy/uniform.yaml",
    "fund": "configs/fund/default.yaml",
    "accounting": "configs/accounting/default.yaml",
}
_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*)$")


def yaml_comments(path: Path) -> dict[str, str]:
    """The comment of every key of a YAML file, by dotted path.

    A key's comment is the one at the end of its line or, failing that, the block
    of full-line comments just above it.

    Args:
        path: The YAML file.

    Returns:
        `{dotted path: comment}`.
    """
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
            continue
        match = _KEY_LINE.match(line)
        if not match:
            block = []
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([name for _, name in stack] + [match["key"]])
        stack.append((indent, match["key"]))
        rest = match["rest"]
        trailing = rest.split(" #", 1)[1].strip() if " #" in rest else ""
        comments[dotted] = trailing or " ".join(block)
        block = []
    return comments


def _section(key: str) -> str:
    return next(name for name in SECTION_FILES if key == name or key.startswith(f"{name}."))


def reference_rows() -> list[dict[str, str]]:
    """One row per declared numeric key: key, default, range, unit, meaning."""
    rows = []
    cache: dict[str, tuple[dict, dict]] = {}
    docs = field_docs(RunConfig())
    for key, (bounds, integer) in declared_keys(RunConfig()).items():
        section = _section(key)
        file = SECTION_FILES[section]
        if file not in cache:
            path = PROJECT_ROOT / file
            cache[file] = (yaml.safe_load(path.read_text()), yaml_comments(path))
        values, comments = cache[file]
        inner = key if section == "seed" else key.removeprefix(f"{section}.")
        node: object = values
        for part in inner.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        parent = inner.rsplit(".", 2)[0] if ".profiles." in f".{inner}" else inner
        meaning = comments.get(inner) or docs.get(key) or comments.get(parent, "")
        rows.append(
            {
                "key": key,
                "default": "" if node is None else str(node),
                "value": node,
                "range": (
                    f"[{int(bounds.low)}, {int(bounds.high)}] integer"
                    if integer
                    else f"[{bounds.low:g}, {bounds.high:g}]"
                ),
                "unit": bounds.unit,
                "meaning": meaning.replace("|", "/"),
                "file": file,
            }
        )
    return rows


def _key_cell(key: str) -> str:
    """A key that may wrap after a dot or an underscore (`<wbr>`): the meaning keeps its width."""
    return "<code>" + key.replace(".", ".<wbr>").replace("_", "_<wbr>") + "</code>"


def _range_cell(row: dict[str, str]) -> str:
    """The range with its unit beside it; a pure number (unit 1) shows the range alone."""
    shown = row["range"].replace(str(2**63 - 1), "2^63 - 1")
    return shown if row["unit"] == "1" else f"{shown} {row['unit']}"


def render() -> str:
    """The reference as Markdown."""
    lines = [
        "---",
        "# The tables need the page's width: no table of contents on the right.",
        "hide:",
        "  - toc",
        "---",
        "",
        "# Configuration reference",
        "",
        "Generated by `python -m experiments.config.config_reference` from the schema",
        "(`simulation/config.py`: ranges and units) and the YAML defaults (`configs/`:",
        "default and meaning); a test fails when this file is out of date. A value",
        "outside its range, or not a finite number, is refused before any work starts.",
        "Defaults are the raw assumptions; `alliance-run` replaces the calibrated ones",
        "from `configs/calibrated/default.yaml`. Cross-key rules: shares sum to 1,",
        "`n_organisations` >= 10 x `n_territories`, the fund period and the survival",
        "horizon lie within `scenario.years`, the quality weights sum to at most 1.",
        "A range without a unit is a pure number. Search the site for a key's name",
        "(`budget_eur`, `fund.budget_eur`) to find it here and in the model's description.",
        "",
    ]
    current = None
    for row in reference_rows():
        if row["file"] != current:
            current = row["file"]
            lines += [
                f"## `{current}`",
                "",
                "| key | default | range and unit | meaning |",
                "|---|---|---|---|",
            ]
        lines.append(
            f"| {_key_cell(row['key'])} | {_readable(row['value'])} | {_range_cell(row)} "
            f"| {row['meaning']} |"
        )
    return "\n".join(lines).replace("\n## ", "\n\n## ") + "\n"


def _plain_keys(node: object, prefix: str = "") -> dict[str, object]:
    """The non-numeric leaves (names, selectors, switches, dates) and their defaults."""
    leaves: dict[str, object] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            leaves.update(_plain_keys(value, f"{prefix}{f.name}."))
        elif isinstance(value, str | bool):
            leaves[f"{prefix}{f.name}"] = value
    return leaves


def parameter_facts() -> dict[str, tuple[str, str, str]]:
    """`{key: (default, range, unit)}` for every key an ODD table may name.

    A profile key is named once as `scenario.profiles.<p>.<field>`; its defaults,
    one per profile, are in the profile table.
    """
    facts = {
        row["key"]: (_readable(row["value"]), row["range"], row["unit"]) for row in reference_rows()
    }
    for key, (_, allowed, unit) in list(facts.items()):
        if key.startswith("scenario.profiles."):
            generic = "scenario.profiles.<p>." + key.rsplit(".", 1)[1]
            facts.setdefault(generic, ("by profile, below", allowed, unit))
    for key, value in _plain_keys(RunConfig()).items():
        shown = str(value).lower() if isinstance(value, bool) else (value or "(empty)")
        facts[key] = (shown, "-", "-")
    return facts


def _readable(value: object) -> str:
    """A default as a reader of the ODD tables reads it: 1,500,000; 0.05, 0.1, 0.2."""
    if isinstance(value, dict):
        return ", ".join(f"{name} {_readable(item)}" for name, item in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(item) for item in value)
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _profile_rows() -> list[str]:
    profiles = yaml.safe_load((PROJECT_ROOT / SECTION_FILES["scenario"]).read_text())["profiles"]
    return [
        f"| {name} | " + " | ".join(f"{values[field]:,g}" for field in PROFILE_FIELDS) + " |"
        for name, values in profiles.items()
    ]


def update_model_tables(text: str) -> str:
    """`docs/model.md` with its parameter and profile tables written from the schema.

    Args:
        text: The ODD description as committed.

    Returns:
        The same text, each parameter row's default, range and unit (and the
        profile table) rewritten.

    Raises:
        KeyError: A table names a key the configuration does not have.
    """
    facts = parameter_facts()
    out: list[str] = []
    table = None
    for line in text.splitlines():
        if line == PARAMETER_HEADER or line == PROFILE_HEADER:
            table = line
            out.append(line)
            continue
        if table is None or not line.startswith("|"):
            table = None
            out.append(line)
            continue
        if line.startswith("|---"):
            out.append(line)
            if table == PROFILE_HEADER:
                out.extend(_profile_rows())
            continue
        if table == PROFILE_HEADER:
            continue  # written whole above
        key, meaning, *_, source = _cells(line)
        name = key.strip("`")
        if name not in facts:
            msg = f"docs/model.md names `{name}`, which is not a configuration key"
            raise KeyError(msg)
        default, allowed, unit = facts[name]
        out.append(f"| {key} | {meaning} | {default} | {allowed} | {unit} | {source} |")
    return "\n".join(out) + "\n"


def main() -> None:
    """Write `docs/configuration.md` and the tables of `docs/model.md`."""
    write_text_atomically(OUTPUT, render())
    write_text_atomically(MODEL_DOC, update_model_tables(MODEL_DOC.read_text()))
    print(f"wrote {OUTPUT.relative_to(PROJECT_ROOT)} and the tables of docs/model.md")


if __name__ == "__main__":
    main()
