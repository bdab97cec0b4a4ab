"""Switching values: where along an uncertain parameter the recommended arm stops being best.

The Green Book's switching value is the value of an assumption at which the
decision changes. The decision is the recommended arm against *every* other arm,
not only the runner-up: an arm that comes third on average can take the lead over
one end of a parameter's range while the runner-up never does (a small
engineering half-saturation favours the instrument-matched strategy, a large one
the concentrated strategy; the uniform strategy, second on average, wins neither
end). The evidence is each arm's net benefit in each state of the world (the net
social benefit: extra value minus every extra EUR used, `robustness.net_benefit`).

Method: conditional expected net benefit by quantile bins. The states are sorted
by one parameter and cut into quantile bins (8 by default, at least 3 states
each); in each bin every arm's mean net benefit estimates its expected net benefit
given the parameter, `E[NB_a | theta]`, the other parameters and the seed averaged
over as the prior and posterior draw them. The recommended arm's advantage over an
arm is the difference of those means, a curve against the bin centres; its
switching value against that arm is where the curve first crosses zero (linear
interpolation between bin centres), or none within the range tested (the prior's,
as drawn). Against all the others at once, the advantage in a bin is over the
arm with the largest mean in that bin: the recommended arm stops being *best*
where that curve crosses zero, and the arm that leads beyond is named.

Why bins rather than a regression: bins assume no shape. A linear regression of
the advantage on the parameter would force one crossing at most and a straight
line through curves that saturate (a half-saturation acts through
`x / (x + h)`); a local regression needs a bandwidth as arbitrary as a bin count.
Bins are also the estimator of the value of partial information (`voi.evppi`),
so the two sections of the report read the same conditional means. Their cost is
noise: a bin of 25 states has a standard error of its mean advantage of about a
fifth of the advantage's spread, so a crossing may be noise. Each row therefore
gives `clearest_loss_t`, the most negative bin's mean advantage over its standard
error: below -2 the recommended arm loses in that bin beyond the states' noise.

The parameters are ranked by how strongly they move the advantage over the best
other arm (its rank correlation with the parameter, state by state).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

# The columns of `switching_values` (one comparison: the recommended arm and one other).
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
# The columns of `switching_against_arms`: one row per parameter and other arm.
ARM_COLUMNS = [
    "parameter",
    "other",
    "rank_correlation",
    "advantage_low_eur",
    "advantage_high_eur",
    "switching_value",
    "recommended_stays_best",
    "best_low",
    "best_high",
    "clearest_loss_t",
    "range_low",
    "range_high",
]
# The `other` of the row that compares the recommended arm with the best of the others.
ANY = "any other arm"
# A bin's mean advantage this many standard errors below zero is a loss beyond noise.
CLEAR_T = 2.0


def _bins(x: np.ndarray, bins: int) -> tuple[np.ndarray, int]:
    """Each state's quantile bin of `x`, and the number of bins.

    A bin no state falls in is dropped: with tied values (a draw's parameter is the
    same in each of its seeds) two quantile edges can fall between the same two
    values, and an empty bin has no mean.
    """
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    occupied = np.unique(which)
    return np.searchsorted(occupied, which), occupied.size


def _bin_count(states: int, bins: int) -> int:
    return max(2, min(bins, states // 3))  # at least 3 states per bin


def switching_values(
    advantage: np.ndarray, parameters: pd.DataFrame, bins: int = 8, top: int = 5
) -> pd.DataFrame:
    """The most influential parameters and the value at which one advantage changes sign.

    One comparison only (the recommended arm against one other arm); the report
    uses `switching_against_arms`, which makes every comparison.

    Args:
        advantage: Per state, the recommended arm's net benefit minus the other arm's.
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
    bins = _bin_count(advantage.size, bins)
    for name in parameters.columns:
        values = parameters[name].to_numpy(dtype=float)
        keep = np.isfinite(values) & np.isfinite(advantage)
        if keep.sum() < 2 * bins or np.unique(values[keep]).size < 2:
            continue
        x, y = values[keep], advantage[keep]
        correlation = float(pd.Series(x).corr(pd.Series(y), method="spearman"))
        which, count = _bins(x, bins)
        centres = np.array([x[which == b].mean() for b in range(count)])
        means = np.array([y[which == b].mean() for b in range(count)])
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


def switching_against_arms(
    benefit: xr.DataArray,
    parameters: pd.DataFrame,
    recommended: str,
    bins: int = 8,
    top: int = 5,
) -> pd.DataFrame:
    """Where along each parameter the recommended arm stops being better than each other arm.

    Args:
        benefit: Net benefit over (`arm`, `state`) (`robustness.net_benefit`).
        parameters: Per state (rows, in the order of `state`), the uncertain
            parameters' values.
        recommended: The recommended arm.
        bins: Quantile bins of each parameter.
        top: How many parameters to report (the most influential first).

    Returns:
        Per parameter, first a row against the best of the other arms in each bin
        (`other` = `ANY`; the arm that leads beyond its switching value is
        `best_low` or `best_high`), then one row per other arm, the closest competitor (the
        smallest mean advantage) first: the rank correlation of the advantage with
        the parameter, the mean advantage in the lowest and highest bins, the
        switching value (NaN: none within the range tested), on which side of it
        the recommended arm stays ahead (or "everywhere", "nowhere", "mixed"),
        the arm with the largest mean in the lowest and highest bins, the most
        negative bin's t value (`clearest_loss_t`, NaN when it never falls behind),
        and the range tested.
    """
    others = [str(a) for a in benefit.arm.values if str(a) != recommended]
    if recommended not in [str(a) for a in benefit.arm.values]:
        msg = f"recommended arm {recommended!r} is not one of the arms {others}"
        raise ValueError(msg)
    if not others or parameters.empty:
        return pd.DataFrame(columns=ARM_COLUMNS)
    values = benefit.transpose("arm", "state").values.astype(float)
    arms = [str(a) for a in benefit.arm.values]
    mine = values[arms.index(recommended)]
    rest = values[[arms.index(o) for o in others]]
    count = _bin_count(values.shape[1], bins)
    blocks = []
    for name in parameters.columns:
        x = parameters[name].to_numpy(dtype=float)
        keep = np.isfinite(x) & np.isfinite(mine) & np.isfinite(rest).all(axis=0)
        if keep.sum() < 2 * count or np.unique(x[keep]).size < 2:
            continue
        block = _one_parameter(name, x[keep], mine[keep], rest[:, keep], others, recommended, count)
        blocks.append(block)
    if not blocks:
        return pd.DataFrame(columns=ARM_COLUMNS)
    blocks.sort(key=lambda block: -abs(np.nan_to_num(block[0]["rank_correlation"])))
    rows = [row for block in blocks[:top] for row in block]
    return pd.DataFrame(rows, columns=ARM_COLUMNS)


def _one_parameter(
    name: str,
    x: np.ndarray,
    mine: np.ndarray,
    rest: np.ndarray,
    others: list[str],
    recommended: str,
    bins: int,
) -> list[dict[str, object]]:
    """The rows of one parameter: against the best other arm per bin, then each arm."""
    which, count = _bins(x, bins)
    members = [which == b for b in range(count)]
    centres = np.array([x[m].mean() for m in members])
    own = np.array([mine[m].mean() for m in members])
    theirs = np.array([[row[m].mean() for m in members] for row in rest])  # [other, bin]
    leaders = np.argmax(theirs, axis=0)
    names = [recommended, *others]

    def best(b: int) -> str:
        return names[int(np.argmax(np.concatenate([[own[b]], theirs[:, b]])))]

    def row(other: str, state_advantage: np.ndarray, means: np.ndarray) -> dict[str, object]:
        switch, direction = _crossing(centres, means)
        errors = np.array([_standard_error(state_advantage[m]) for m in members])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(errors > 0, means / errors, np.sign(means) * np.inf)
        return {
            "parameter": name,
            "other": other,
            "rank_correlation": float(pd.Series(x).corr(pd.Series(state_advantage), "spearman")),
            "advantage_low_eur": float(means[0]),
            "advantage_high_eur": float(means[-1]),
            "switching_value": switch,
            "recommended_stays_best": direction,
            "best_low": best(0),
            "best_high": best(count - 1),
            "clearest_loss_t": float(t.min()) if (means < 0).any() else np.nan,
            "range_low": float(x.min()),
            "range_high": float(x.max()),
        }

    # Against the best other arm of each bin; per state, against that bin's leader.
    leader_per_state = rest[leaders[which], np.arange(x.size)]
    rows = [row(ANY, mine - leader_per_state, own - theirs.max(axis=0))]
    closest_first = np.argsort((own - theirs).mean(axis=1), kind="stable")
    return rows + [row(others[i], mine - rest[i], own - theirs[i]) for i in closest_first]


def _standard_error(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(values.size)) if values.size > 1 else np.inf


def _crossing(centres: np.ndarray, means: np.ndarray) -> tuple[float, str]:
    """Where the binned mean advantage first changes sign, and on which side it stays positive.

    Returns:
        The first crossing and "below" or "above" (the side where the advantage is
        positive) when it changes sign once; the first crossing and "mixed" when it
        changes sign more than once; NaN and "everywhere", "nowhere" or "mixed"
        (zeros only between signs) when it never crosses between bins.
    """
    crossings = []
    signs = np.sign(means)
    for i in range(len(means) - 1):
        if signs[i] != signs[i + 1] and signs[i] != 0 and signs[i + 1] != 0:
            fraction = means[i] / (means[i] - means[i + 1])
            value = float(centres[i] + fraction * (centres[i + 1] - centres[i]))
            crossings.append((value, "below" if means[i] > 0 else "above"))
    if len(crossings) == 1:
        return crossings[0]
    if crossings:
        return crossings[0][0], "mixed"
    return float(
        "nan"
    ), "everywhere" if means.min() > 0 else "nowhere" if means.max() < 0 else "mixed"


def most_influential(table: pd.DataFrame) -> str | None:
    """The parameter the choice hinges on most: the first with a switching value.

    Args:
        table: `switching_against_arms(...)`, most influential first.

    Returns:
        The first parameter whose advantage over the best other arm changes sign
        once within its range, else the first parameter; None for an empty table.
    """
    if table.empty:
        return None
    overall = table[table["other"] == ANY]
    turning = overall[overall["recommended_stays_best"].isin(["below", "above"])]
    return str((turning if not turning.empty else overall)["parameter"].iloc[0])
