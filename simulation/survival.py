"""Kaplan-Meier survival and restricted mean survival time (RMST).

Projects still running at the horizon are right-censored: a plain mean of the
lifetimes of projects that ended would favour short-lived ones. The RMST up to
`tau` is the area under the Kaplan-Meier curve from 0 to `tau`, the expected
lifetime counted up to `tau`, and is estimable whatever the censoring.
"""

from __future__ import annotations

import numpy as np

# Lifetimes below this many steps are counted by step rather than sorted.
_BINS = 1 << 20


def kaplan_meier(
    durations: np.ndarray, ended: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of the survival function.

    Args:
        durations: Observed lifetimes (to the end, or to censoring), > 0.
        ended: True where the lifetime ended by an event, False where censored.
            At tied times, censored lifetimes are counted at risk for the events.
        weights: Optional non-negative weight of each lifetime (a matched control
            standing for a share of one backed project); all 1 by default.

    Returns:
        (times, survival): the distinct event times, ascending, and the estimated
        probability of surviving past each of them.
    """
    durations = np.asarray(durations, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    weights = np.ones(durations.size) if weights is None else np.asarray(weights, dtype=float)
    steps = durations.astype(np.int64)
    whole = durations.size > 0 and np.array_equal(steps, durations)
    if whole and 0 <= steps.min() <= steps.max() < _BINS:
        # Whole numbers of steps (the model's lifetimes): counted by step, without
        # sorting. Each step's sums add its lifetimes in the same order as below.
        present = np.bincount(steps) > 0
        times = np.flatnonzero(present).astype(float)
        events = np.bincount(steps, weights=ended * weights)[present]
        leaving = np.bincount(steps, weights=weights)[present]
    else:
        times, inverse = np.unique(durations, return_inverse=True)
        events = np.bincount(inverse, weights=ended * weights, minlength=times.size)
        leaving = np.bincount(inverse, weights=weights, minlength=times.size)
    at_risk = weights.sum() - np.concatenate(([0.0], np.cumsum(leaving)[:-1]))
    has_event = events > 0
    factors = 1.0 - events[has_event] / at_risk[has_event]
    return times[has_event], np.cumprod(factors)


def restricted_mean_survival_time(
    durations: np.ndarray, ended: np.ndarray, tau: float, weights: np.ndarray | None = None
) -> float:
    """Area under the Kaplan-Meier curve from 0 to `tau`.

    Beyond the last observed time the curve is held at its last value, the usual
    convention; choose `tau` within the follow-up.

    Args:
        durations: Observed lifetimes (to the end, or to censoring), > 0.
        ended: True where the lifetime ended by an event, False where censored.
        tau: Restriction time, same unit as `durations`.
        weights: Optional weight of each lifetime (see `kaplan_meier`).

    Returns:
        RMST, or NaN when there are no lifetimes.
    """
    if np.size(durations) == 0:
        return float("nan")
    times, survival = kaplan_meier(durations, ended, weights)
    inside = times < tau
    knots = np.concatenate(([0.0], times[inside], [tau]))
    levels = np.concatenate(([1.0], survival[inside]))
    return float(np.sum(np.diff(knots) * levels))
