"""Numbers as a board reads them: money to what the model can know, shares in %, no exponent.

One precision per kind of figure, everywhere on a page:

- money in a table: MEUR with one decimal (`meur`); a change of seed moves a
  strategy's totals by more than 0.05 MEUR, so a second decimal is noise; small
  amounts (the value of information) in whole kEUR (`keur`); in a sentence,
  `money` says MEUR from 1 MEUR, whole kEUR below;
- ratios (benefit-cost ratio, value per fund euro): two decimals (`ratio`), since
  whether a benefit-cost ratio is above 1 is the question;
- shares: whole percentages (`percent`), "under 1 %" and "over 99 %" near the ends
  so that a rare event does not read as none, a no-break space before "%";
- parameter values: three significant digits with thousands separators, never
  an exponent, no trailing zeros (`number`: 5,810,000, 0.000714, 3);
- a missing value is "n/a" (the page says why in a note), never `nan`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

NA = "n/a"


def missing(value: object) -> bool:
    """Whether a value cannot be shown: None, NaN or infinite."""
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _fixed(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.lstrip("-") if float(text.replace(",", "")) == 0 else text  # no "-0.0"


def meur(eur: float) -> str:
    """An amount in MEUR with one decimal, without the unit (a table column says it)."""
    return NA if missing(eur) else _fixed(eur / 1e6, 1)


def keur(eur: float) -> str:
    """An amount in whole kEUR, without the unit."""
    return NA if missing(eur) else _fixed(eur / 1e3, 0)


def money(eur: float) -> str:
    """An amount in a sentence: "7.5 MEUR" from 1 MEUR, "313 kEUR", "850 EUR" below."""
    if missing(eur):
        return NA
    if abs(eur) >= 0.95e6:
        return f"{_fixed(eur / 1e6, 1)} MEUR"
    if abs(eur) >= 999.5:
        return f"{_fixed(eur / 1e3, 0)} kEUR"
    return f"{_fixed(eur, 0)} EUR"


def ratio(value: float, digits: int = 2) -> str:
    """A ratio (EUR per EUR) with two decimals."""
    return NA if missing(value) else _fixed(value, digits)


def years(value: float) -> str:
    """A duration in years with one decimal."""
    return NA if missing(value) else _fixed(value, 1)


def percent(share: float) -> str:
    """A share (0 to 1) as a whole percentage; "under 1 %" or "over 99 %" near the ends."""
    if missing(share):
        return NA
    whole = round(100 * share)
    if share > 0 and whole == 0:
        return "under 1\u00a0%"
    if share < 1 and whole == 100:
        return "over 99\u00a0%"
    return f"{whole:.0f}\u00a0%"  # a no-break space: "16 %" never splits


def number(value: float, digits: int = 3) -> str:
    """A parameter's value with `digits` significant digits, thousands separators, no exponent."""
    if missing(value):
        return NA
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    rounded = round(value, digits - 1 - magnitude)
    text = _fixed(rounded, max(0, digits - 1 - magnitude))
    return text.rstrip("0").rstrip(".") if "." in text else text  # 3.00 is 3


def span(mean: float, low: float, high: float, form: Callable[[float], str]) -> str:
    """The mean and its range in one format, "7.5 (-0.2 to 18.0)"; the mean alone without one."""
    if missing(mean):
        return NA
    if missing(low) or missing(high):
        return form(mean)
    return f"{form(mean)} ({form(low)} to {form(high)})"
