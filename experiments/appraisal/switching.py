"""Switching values: where along an uncertain parameter the recommended arm stops being best.

The Green Book's switching value is the value of an assumption at which the
decision changes. Here the decision is the recommended arm against the runner-up,
and the evidence is their net-benefit difference in each state of the world (the
net social benefit: extra value minus every extra EUR used, `robustness.net_benefit`). The
states are sorted by one parameter and cut into quantile bins; the mean
difference per bin is a curve against the parameter, and the switching value is
where that curve crosses zero (linear interpolation between bin centres). The
parameters are ranked by the rank correlation of the difference with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "parameter",
    "rank_correlation",
    "advantage_low_eur",
    "advantage_high_eur",
    "switching_value",
    "recommended_stays_best",
    "range_low",
    "range_high",
]


def switching_values(
    advantage: np.ndarray, parameters: pd.DataFrame, bins: int = 8, top: int = 5
) -> pd.DataFrame:
    """The most influential parameters and the value at which the advantage changes sign.

    Args:
        advantage: Per state, the recommended arm's net benefit minus the runner-up's.
        parameters: Per state (rows, same order), the uncertain parameters' values.
        bins: Quantile bins of each parameter.
        top: How many parameters to report.

    Returns:
        One row per parameter, most influential first: rank correlation, the mean
        advantage in the lowest and highest bins, the switching value (NaN when
        the advantage keeps its sign over the whole range) and its direction.
    """
    rows = []
    advantage = np.asarray(advantage, dtype=float)
    bins = max(2, min(bins, advantage.size // 3))  # at least 3 states per bin
    for name in parameters.columns:
        values = parameters[name].to_numpy(dtype=float)
        keep = np.isfinite(values) & np.isfinite(advantage)
        if keep.sum() < 2 * bins or np.unique(values[keep]).size < 2:
            continue
        x, y = values[keep], advantage[keep]
        correlation = float(pd.Series(x).corr(pd.Series(y), method="spearman"))
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        centres = np.array([x[which == b].mean() for b in range(len(edges) - 1)])
        means = np.array([y[which == b].mean() for b in range(len(edges) - 1)])
        switch, direction = _crossing(centres, means)
        rows.append(
            {
                "parameter": name,
                "rank_correlation": correlation,
                "advantage_low_eur": float(means[0]),
                "advantage_high_eur": float(means[-1]),
                "switching_value": switch,
                "recommended_stays_best": direction,
                "range_low": float(x.min()),
                "range_high": float(x.max()),
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    if table.empty:
        return table
    order = table["rank_correlation"].abs().sort_values(ascending=False).index
    return table.loc[order].head(top).reset_index(drop=True)


def _crossing(centres: np.ndarray, means: np.ndarray) -> tuple[float, str]:
    """Where the binned mean advantage first changes sign, and on which side it stays positive."""
    signs = np.sign(means)
    for i in range(len(means) - 1):
        if signs[i] != signs[i + 1] and signs[i] != 0 and signs[i + 1] != 0:
            fraction = means[i] / (means[i] - means[i + 1])
            value = float(centres[i] + fraction * (centres[i + 1] - centres[i]))
            side = "below" if means[i] > 0 else "above"
            return value, side
    return float(
        "nan"
    ), "everywhere" if means.min() > 0 else "nowhere" if means.max() < 0 else "mixed"
