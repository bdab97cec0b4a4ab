"""Human names for configuration keys, with their units, for pages a board reads.

A key such as `model.engineering.grant_half_saturation_eur_per_organisation` reads
"Engineering: grant half-saturation (EUR per organisation per quarter)". Nothing is
written by hand for each key: the unit comes from the schema (`simulation.bounds`,
the same source as `docs/configuration.md`), the words from the key itself, less
the trailing words its unit already says, and the part before them from its
section. A "step" is said as the period it stands for (a quarter with four steps a
year). A key the schema does not declare keeps its words, without a unit.
"""

from __future__ import annotations

from functools import cache

# The sections of the configuration, as a reader names them (longest prefix first).
SECTIONS = {
    "model.engineering": "Engineering",
    "model.commons": "Knowledge commons",
    "model.maturity": "Maturity",
    "model.trust": "Trust",
    "model.emergence": "Project start",
    "model.quality": "Alliance quality",
    "model.production": "Production",
    "model.survival": "Survival",
    "fund.strategy": "Strategy",
    "fund": "Fund",
    "accounting": "Accounting",
    "scenario": "World",
}
# Keys of a section whose name starts with this word read as another section's
# effects: `model.emergence.ally_trust` is trust's effect on forming an alliance.
FAMILIES = {("model.emergence", "ally"): "Alliance formation: effect of"}
# Words of a key written otherwise in a sentence.
WORDS = {
    "eur": "EUR",
    "fte": "FTE",
    "rmst": "RMST",
    "n": "number of",
    "setup": "set-up",
    "half saturation": "half-saturation",
}
# What one step of the model is, by steps per year.
PERIODS = {1: "year", 2: "half-year", 4: "quarter", 12: "month"}
DEFAULT_STEPS_PER_YEAR = 4


@cache
def _schema() -> dict[str, str]:
    """`{key: unit}` of every declared numeric key of the configuration."""
    from simulation.bounds import declared_keys
    from simulation.config import RunConfig

    return {key: bounds.unit for key, (bounds, _) in declared_keys(RunConfig()).items()}


def unit_words(unit: str, steps_per_year: int = DEFAULT_STEPS_PER_YEAR) -> str:
    """A schema unit as a reader says it: "" for a pure number, "step" as its period.

    Args:
        unit: The unit declared in the schema ("1", "per step", "EUR per step", ...).
        steps_per_year: The model's steps per year (4: a step is a quarter).

    Returns:
        For example "EUR per organisation per quarter"; "" for "1".
    """
    if unit in ("1", ""):
        return ""
    period = PERIODS.get(steps_per_year, "step")
    if unit in ("step", "year"):  # a duration: "4 quarters"
        return f"{period}s" if unit == "step" else "years"
    said = {"step": period, "steps": f"{period}s"}
    return " ".join(said.get(word, word) for word in unit.split())


def _declared(key: str) -> tuple[str, str]:
    """The longest prefix of `key` the schema declares, and the rest (a dict's entry)."""
    schema = _schema()
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in schema:
            return prefix, ".".join(parts[end:])
    return key, ""


def _phrase(tokens: list[str]) -> str:
    """The words of a key, each (or each pair, "half saturation") as a sentence says it."""
    text = " ".join(WORDS.get(token, token) for token in tokens)
    for words, said in WORDS.items():
        if " " in words:
            text = text.replace(words, said)
    return text


def parameter_name(key: str, steps_per_year: int = DEFAULT_STEPS_PER_YEAR) -> str:
    """A configuration key in words, with its unit.

    Args:
        key: The dotted key, as a sweep or a posterior draw records it.
        steps_per_year: The model's steps per year, to say "per step" as a period.

    Returns:
        For example "Engineering: grant half-saturation (EUR per organisation per
        quarter)" or "Production: productivity (EUR of value per EUR)".
    """
    declared, entry = _declared(key)
    unit = _schema().get(declared, "1")
    section = next((s for s in SECTIONS if declared.startswith(f"{s}.")), "")
    tokens = declared.rsplit(".", 1)[-1].split("_")
    said = {word.lower().rstrip("s") for word in unit.split()}
    # The unit says it: "decay_per_step" is "decay (per quarter)"; a count keeps its
    # word when nothing else would be left ("grant_steps": "grant steps (quarters)").
    suffix = 0
    while suffix < len(tokens) - 1 and tokens[-1 - suffix].lower().rstrip("s") in said:
        suffix += 1
    rate = {"per", "eur"} & {t.lower() for t in tokens[len(tokens) - suffix :]}
    if suffix and (rate or len(tokens) - suffix > 1):
        tokens = tokens[: len(tokens) - suffix]
    label = SECTIONS.get(section, "")
    family = FAMILIES.get((section, tokens[0]))
    if family and len(tokens) > 1:
        label, effect = family.split(": ")
        tokens = tokens[1:] if tokens[1:] == ["intercept"] else [*effect.split(), *tokens[1:]]
    words = _phrase(tokens)
    if entry:
        words += f", {entry.replace('_', ' ').replace('.', ', ')}"
    name = f"{label}: {words}" if label else words[:1].upper() + words[1:]
    units = unit_words(unit, steps_per_year)
    if not units or words == units:  # "Fund: years", not "Fund: years (years)"
        return name
    return f"{name} ({units})"
