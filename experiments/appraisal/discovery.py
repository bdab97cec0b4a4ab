"""Scenario discovery: PRIM boxes of the uncertain parameters where a case of interest holds.

The Patient Rule Induction Method (Friedman and Fisher 1999), as EMA Workbench and
Rhodium use it: start from the box holding every state, and peel, one parameter
at a time, the `alpha` share of the states at its low or high end, choosing each
time the peel that most raises the share of cases of interest in the box
(density). Stop when the box holds less than `min_mass` of the states. Each box on
the way trades coverage (the share of all cases of interest inside it) against
density; the box returned is the densest one that still covers half the cases,
without the restrictions that do not raise its density beyond chance (a one-sided
binomial test at 5 %, EMA Workbench's quasi-p-value).

`appraise` asks where the recommended arm loses to the runner-up in net social
benefit (extra value minus every extra EUR used, `robustness.net_benefit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Box:
    """A box of parameter ranges and how well it captures the cases of interest."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
) -> tuple[Box, list[Box]]:
    """Peel a box around the states where `y` is true.

    Args:
        x: Per state (rows), the uncertain parameters' values.
        y: Per state, whether the case of interest holds (e.g. the recommended arm loses).
        alpha: Share of the box's states peeled at each step.
        min_mass: Smallest share of all states a box may hold.
        min_coverage: The chosen box is the densest with at least this coverage.

    Returns:
        The chosen box (only the restricted parameters in its limits) and the
        whole peeling trajectory.
    """
    values = x.to_numpy(dtype=float)
    y = np.asarray(y, dtype=bool)
    total = max(int(y.sum()), 1)
    inside = np.ones(len(y), dtype=bool)
    limits = {
        name: (float(values[:, j].min()), float(values[:, j].max()))
        for j, name in enumerate(x.columns)
    }
    trajectory = [_box(limits, inside, y, total)]
    while inside.mean() > min_mass:
        best = None
        for j, name in enumerate(x.columns):
            column = values[inside, j]
            for side in ("low", "high"):
                cut = np.quantile(column, alpha if side == "low" else 1 - alpha)
                keep = values[:, j] >= cut if side == "low" else values[:, j] <= cut
                candidate = inside & keep
                if candidate.sum() in (0, inside.sum()) or candidate.mean() < min_mass:
                    continue
                density = y[candidate].mean()
                if best is None or density > best[0]:
                    best = (density, candidate, name, side, cut)
        if best is None:
            break
        _, inside, name, side, cut = best
        low, high = limits[name]
        limits = {**limits, name: (float(cut), high) if side == "low" else (low, float(cut))}
        trajectory.append(_box(limits, inside, y, total))
    eligible = [b for b in trajectory if b.coverage >= min_coverage] or trajectory[:1]
    chosen = max(eligible, key=lambda b: (b.density, -b.mass))
    full = trajectory[0].limits
    restricted = {k: v for k, v in chosen.limits.items() if v != full[k]}
    for name in list(restricted):
        if not _significant(x, y, restricted, name):
            del restricted[name]
    box = _box(restricted, _inside(x, restricted), y, total)
    return box, trajectory


def _inside(x: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for name, (low, high) in limits.items():
        inside &= (x[name].to_numpy() >= low) & (x[name].to_numpy() <= high)
    return inside


def _significant(x: pd.DataFrame, y: np.ndarray, limits: dict, name: str) -> bool:
    """Whether restricting `name` raises the box's density beyond chance (p < 0.05).

    EMA Workbench's quasi-p-value: a one-sided binomial test of the box's cases
    against the density of the box without the restriction on `name`.
    """
    from scipy.stats import binomtest

    inside = _inside(x, limits)
    wider = _inside(x, {k: v for k, v in limits.items() if k != name})
    base = float(y[wider].mean())
    if inside.sum() == 0 or base >= 1.0:
        return False
    test = binomtest(int(y[inside].sum()), int(inside.sum()), base, alternative="greater")
    return bool(test.pvalue < 0.05)


def _box(limits: dict, inside: np.ndarray, y: np.ndarray, total: int) -> Box:
    return Box(
        limits=dict(limits),
        coverage=float(y[inside].sum() / total),
        density=float(y[inside].mean()) if inside.any() else 0.0,
        mass=float(inside.mean()),
    )


def box_table(box: Box) -> pd.DataFrame:
    """A box as rows: parameter, low, high, and the box's coverage, density and mass."""
    return pd.DataFrame(
        [
            {
                "parameter": name,
                "low": low,
                "high": high,
                "coverage": box.coverage,
                "density": box.density,
                "mass": box.mass,
            }
            for name, (low, high) in box.limits.items()
        ],
        columns=["parameter", "low", "high", "coverage", "density", "mass"],
    )
