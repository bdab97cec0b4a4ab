"""The calibration loss: squared log-ratios of simulated to target moments.

`loss = mean_k ( log(m_k / t_k) / log(1 + tol_k) )^2`, with `m_k` the mean of
moment `k` over the replicate seeds. A moment within its tolerance contributes
at most 1; log-ratios treat a factor of 2 too high and too low alike.
"""

from __future__ import annotations

import math

import numpy as np

from calibration.config import MOMENTS, Target


def log_moment(value: float, name: str, share_floor: float) -> float:
    """Log of a moment; maturity shares are floored first, since a share of 0 is possible.

    Targets and simulated moments go through the same floor, so shares below it
    count as equal.
    """
    if name.startswith("maturity"):
        value = max(value, share_floor)
    # A moment that is 0 or undefined (NaN: nothing backed) is infinitely far.
    return math.log(value) if value > 0 else -math.inf


def scaled_log_ratios(
    mean_moments: np.ndarray, targets: dict[str, Target], share_floor: float
) -> np.ndarray:
    """Log-ratio of each targeted moment to its target, in units of its tolerance.

    Args:
        mean_moments: Moments averaged over seeds, one per name in `MOMENTS`.
        targets: Targets by moment name (moments without a target are ignored).
        share_floor: Floor applied to maturity shares, which can be 0, before logs.

    Returns:
        One value per target, in the order of `MOMENTS`; NaN moments give inf.
    """
    out = []
    for k, name in enumerate(MOMENTS):
        if name not in targets:
            continue
        target = targets[name]
        ratio = log_moment(mean_moments[k], name, share_floor) - log_moment(
            target.value, name, share_floor
        )
        out.append(ratio / math.log1p(target.tolerance))
    return np.array(out)


def loss(mean_moments: np.ndarray, targets: dict[str, Target], share_floor: float) -> float:
    """Mean squared scaled log-ratio (see module docstring)."""
    return float(np.mean(scaled_log_ratios(mean_moments, targets, share_floor) ** 2))
