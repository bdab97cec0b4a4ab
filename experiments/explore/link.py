"""The explorer's state as a link: query parameters written by the page and read at load.

`query` writes the controls that differ from the defaults, and the baseline, as a
query string (`?strategy=concentrated&budget_eur=2000000&baseline=uniform`); the
page offers it as "Link to this view". `parse` reads one back when a page opens.
A parameter it cannot use (an unknown name, a value out of its choices, a number
that does not read) is left at its default and named in a message, so a
mistyped link still opens a page; the budget and the ticket are checked by the
model's own validation when the page runs them, as typed values are.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from experiments.explore.choice import (
    DISCOUNTING,
    MAX_SEEDS,
    PARAMETER_SETS,
    SCENARIOS,
    STRATEGIES,
    TARGETING,
    Choice,
)
from experiments.explore.decision import NO_FUND

# The parameter of the baseline; every other parameter is a field of `Choice`.
BASELINE = "baseline"
CHOICES = {
    "strategy": STRATEGIES,
    "engineering_target": TARGETING,
    "innovation_target": TARGETING,
    "scenario": SCENARIOS,
    "discounting": DISCOUNTING,
    "parameters": PARAMETER_SETS,
}
TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def query(choice: Choice, baseline: str = NO_FUND) -> str:
    """The query string of a choice and its baseline (empty for the defaults).

    Args:
        choice: The controls.
        baseline: `NO_FUND` or a strategy preset.

    Returns:
        "?name=value&..." with the fields that differ from `Choice()`, in the
        order of its fields, then the baseline; "" when nothing differs.
    """
    default = Choice()
    pairs = [
        (field.name, _text(getattr(choice, field.name)))
        for field in dataclasses.fields(Choice)
        if getattr(choice, field.name) != getattr(default, field.name)
    ]
    if baseline != NO_FUND:
        pairs.append((BASELINE, baseline))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def _number(text: str, kind: type) -> float | int:
    try:
        return kind(text)
    except ValueError:
        msg = "not a number" if kind is float else "not a whole number"
        raise ValueError(msg) from None


def _value(name: str, text: str) -> object:
    """One parameter's value, or raise ValueError with what is allowed."""
    if name in CHOICES:
        if text not in CHOICES[name]:
            msg = f"allowed: {', '.join(CHOICES[name])}"
            raise ValueError(msg)
        return text
    if name in ("budget_eur", "ticket_eur"):
        return _number(text, float)
    if name == "shares":
        shares = tuple(_number(part, float) for part in text.split(","))
        if len(shares) != 3:
            msg = "three numbers: engineering, innovation, structural"
            raise ValueError(msg)
        return shares
    if name == "placebo":
        if text.lower() not in TRUE + FALSE:
            msg = "true or false"
            raise ValueError(msg)
        return text.lower() in TRUE
    if name in ("draw", "n_seeds"):
        number = _number(text, int)
        low, high = (0, 99) if name == "draw" else (1, MAX_SEEDS)
        if not low <= number <= high:
            msg = f"a whole number from {low} to {high}"
            raise ValueError(msg)
        return number
    msg = "not a parameter of this page"
    raise ValueError(msg)


def parse(search: str | None) -> tuple[Choice, str, list[str]]:
    """The controls and baseline of a query string, and what could not be used.

    Args:
        search: The query string, with or without its leading "?" (None: none).

    Returns:
        (the choice, the baseline, one message per parameter left at its default).
    """
    changes: dict[str, object] = {}
    baseline = NO_FUND
    problems = []
    for name, text in urllib.parse.parse_qsl((search or "").lstrip("?"), keep_blank_values=True):
        try:
            if name == BASELINE:
                if text not in (NO_FUND, *STRATEGIES):
                    msg = f"allowed: {NO_FUND}, {', '.join(STRATEGIES)}"
                    raise ValueError(msg)
                baseline = text
            else:
                changes[name] = _value(name, text)
        except ValueError as error:
            problems.append(f"The link's {name}={text!r} was not used ({error}).")
    return Choice().with_changes(**changes), baseline, problems
