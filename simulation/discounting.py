"""Discount factors: a constant rate, or the UK Green Book's declining schedule.

Social value and money are counted as present values at the start of the run.
`discount_factors` is the one rule for it: the model, the reference
implementation and the appraisal all use it (the dataset records the factors).

The Green Book (HM Treasury's declining schedule of the social time preference
rate; FACTS.md: "3.5 % declining with horizon") discounts at 3.5 % a year for years
0-30, 3.0 % for years 31-75, 2.5 % for 76-125, 2.0 % for 126-200, 1.5 % for
201-300 and 1.0 % beyond; a factor is the product of the yearly rates up to its
time, so the decline applies to later years only.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import simulation.libm as libm

SCHEDULES = ("constant", "green_book")
# (first year of the band, rate per year): the Green Book's declining schedule.
GREEN_BOOK = (
    (0.0, 0.035),
    (31.0, 0.030),
    (76.0, 0.025),
    (126.0, 0.020),
    (201.0, 0.015),
    (301.0, 0.010),
)


def discount_factors(years: np.ndarray, rate: float, schedule: str = "constant") -> np.ndarray:
    """The discount factor at each time.

    Args:
        years: Times since the start, in years.
        rate: The constant rate per year (with `green_book`, its first band, 3.5 %).
        schedule: "constant" or "green_book".

    Returns:
        The factors, 1 at time 0.
    """
    years = np.asarray(years, dtype=float)
    if schedule == "constant":
        return libm.power(1.0 + rate, -years)
    log_factor = np.zeros_like(years)
    bands = [*GREEN_BOOK, (np.inf, 0.0)]
    for (start, band_rate), (end, _) in itertools.pairwise(bands):
        inside = np.clip(years, start, end) - start
        log_factor -= inside * math.log1p(band_rate)
    return libm.exp(log_factor)
