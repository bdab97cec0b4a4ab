"""The structure of the moments' Jacobian on the fitted parameters.

Issue 25 measured that each headline figure moved with one fitted parameter of
its own (frugality with the frugality gain, durability with the backing hazard,
leverage with the value per euro): a Jacobian that can be ordered into a
triangle, so that each figure is *fitted* by its parameter rather than
*explained* by mechanisms that several figures test at once. This module reads
that structure from the calibration's sensitivity matrix (`FitResult.sensitivity`,
the change of each log moment per full bound range of each parameter).

A moment *responds* to a parameter when that change exceeds a threshold (0.1 in
log units, the report's `MIN_SENSITIVITY`). The matrix is *triangular* when its
rows and columns can be ordered so that every response lies on or below the
diagonal: then some moment responds to one parameter only, which fixes it; once
that parameter is removed another moment responds to one parameter only; and so
on (`peel`: nothing left). A full block, such as two maturity rates that all
four maturity shares respond to, is not: its moments test the parameters jointly.
"""

from __future__ import annotations

import numpy as np


def responses(sensitivity: np.ndarray, threshold: float) -> np.ndarray:
    """Which moment responds to which parameter.

    Args:
        sensitivity: Shape (moments, parameters): change of each log moment per
            full bound range of each parameter.
        threshold: The smallest absolute change that counts (log units).

    Returns:
        Boolean array of the same shape; NaN counts as no response.
    """
    values = np.asarray(sensitivity, dtype=float)
    return np.nan_to_num(np.abs(values), nan=0.0) > threshold


def peel(pattern: np.ndarray) -> tuple[list[tuple[int, int]], list[int]]:
    """Fix parameters one at a time by moments that respond to one parameter only.

    A row with exactly one response among the parameters not yet fixed fixes
    that parameter: it is *fitted by its own moment*. Repeat until no row has
    exactly one response left.

    Args:
        pattern: Boolean array (moments, parameters), as `responses` gives.

    Returns:
        The (moment, parameter) pairs fixed, in order, and the parameters left:
        those that only moments responding to several of them speak to (fitted
        jointly), or that no moment responds to.
    """
    remaining = np.array(pattern, dtype=bool)
    columns = np.ones(remaining.shape[1], dtype=bool)
    used = np.zeros(remaining.shape[0], dtype=bool)
    fixed = []
    while True:
        counts = (remaining & columns).sum(axis=1)
        single = np.flatnonzero((counts == 1) & ~used)
        if single.size == 0:
            return fixed, [int(j) for j in np.flatnonzero(columns)]
        row = int(single[0])
        column = int(np.flatnonzero(remaining[row] & columns)[0])
        fixed.append((row, column))
        used[row] = True
        columns[column] = False
