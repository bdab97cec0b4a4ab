"""The budget map: the best arm as a function of the fund's budget and of one uncertain parameter.

A sweep over budgets (`fund.budget_eur`, a swept dimension `budget_eur`) and
strategies answers "which strategy, for which budget"; crossed with the
parameter the choice hinges on most (`switching.most_influential`), it answers
"under which assumption". The parameter is either swept too (a dimension of the
sweep, e.g. `model.engineering.grant_half_saturation_eur_per_organisation=75,300,1200`)
or drawn (a posterior draw's value, `states.state_parameters`), then cut into
quantile bins.

In each cell (budget, parameter level) the arms are compared state by state on
the net benefit (`robustness.net_benefit`: the net social benefit by default,
from `flows.money_flows`); the best arm of a cell is the one with the largest
expected net benefit, given with the share of the cell's states in which it is
best. Along the budget (or the parameter), where the best arm changes between
two neighbouring cells, the switching point is where the two arms' mean net
benefits cross, interpolated linearly in the logarithm of the budget (budgets are
swept on a log scale, and a strategy's value saturates with its money) and of
the parameter when all its levels are positive.

Pure functions of an `xarray.Dataset` and of the tables they return, for a
notebook as for `alliance-report` and `benchmarks/budget_map.py`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.flows import money_flows
from experiments.appraisal.robustness import OBJECTIVES
from experiments.appraisal.states import arm_dims, as_sweep, state_dims, state_parameters

# The swept dimension of the fund's budget (`alliance-collect` names it after the key).
BUDGET = "budget_eur"
# The `level` of every row when no parameter is crossed with the budget.
ALL = "all"
# The columns of `budget_outcomes`, `budget_map` and `switches`.
OUTCOME_COLUMNS = [
    "budget_eur",
    "parameter",
    "level",
    "arm",
    "states",
    "net_benefit_eur",
    "probability_best",
    "value_per_budget_eur",
    "paid_share",
]
MAP_COLUMNS = [
    "budget_eur",
    "level",
    "best",
    "net_benefit_eur",
    "probability_best",
    "runner_up",
    "margin_eur",
    "states",
]
SWITCH_COLUMNS = ["along", "at", "below", "above", "from_value", "to_value", "switch_value"]


def swept_key(dataset: xr.Dataset, dimension: str) -> str:
    """The configuration key of a swept dimension (`alliance-collect` records it)."""
    description = str(dataset[dimension].attrs.get("description", ""))
    prefix = "Swept override "
    return description[len(prefix) :] if description.startswith(prefix) else dimension


def parameter_dimension(dataset: xr.Dataset, parameter: str) -> str | None:
    """The swept dimension of a parameter given by its key or its dimension name, if swept."""
    for dimension in arm_dims(dataset):
        if parameter in (dimension, swept_key(dataset, dimension)):
            return dimension
    return None


def budget_outcomes(
    dataset: xr.Dataset,
    parameter: str | None = None,
    levels: int = 3,
    objective: str = "net",
) -> pd.DataFrame:
    """Per budget, parameter level and arm: the expected net benefit and the chance of being best.

    Args:
        dataset: A merged sweep with a `budget_eur` dimension (several budgets).
        parameter: The parameter crossed with the budget: a swept dimension (its
            name or its configuration key) or a drawn parameter's key (then cut
            into `levels` quantile bins, each labelled by its median value); None
            for the budget alone.
        levels: Quantile bins of a drawn parameter.
        objective: "net" (the net social benefit) or "gross" (`robustness.net_benefit`).

    Returns:
        One row per budget, level and arm: the parameter's key ("" for none; the
        same in every row, so that the table read back from budget_map.csv says
        what it crossed), the states, the mean net benefit (EUR),
        the share of the states in which the arm is best, the mean gross extra
        value per EUR budgeted and the mean share of the budget paid.

    Raises:
        ValueError: No budget dimension, an unknown objective, or a parameter that
            is neither swept nor drawn.
    """
    if objective not in OBJECTIVES:
        msg = f"objective = {objective!r}; allowed: {', '.join(OBJECTIVES)}"
        raise ValueError(msg)
    dataset = as_sweep(dataset)
    if BUDGET not in dataset.dims:
        msg = f"no {BUDGET} dimension: sweep fund.budget_eur (e.g. fund.budget_eur=1e6,3e6,1e7)"
        raise ValueError(msg)
    flows = money_flows(dataset)
    benefit = flows.net if objective == "net" else flows.extra - flows.paid
    frame = (
        xr.Dataset(
            {
                "benefit": benefit,
                "value_per_budget": flows.extra / dataset.fund_budget,
                "paid_share": dataset.budget_paid_share.fillna(0.0),
            }
        )
        .compute()
        .to_dataframe()
        .reset_index()
    )
    swept = parameter_dimension(dataset, parameter) if parameter else None
    arms = [d for d in arm_dims(dataset) if d not in (BUDGET, swept)]
    if not arms:
        frame["arm"] = ALL
    elif len(arms) == 1:
        frame["arm"] = frame[arms[0]].astype(str)
    else:
        frame["arm"] = frame[arms].apply(
            lambda r: ", ".join(f"{k}={v}" for k, v in r.items()), axis=1
        )
    states = state_dims(dataset)
    if parameter is None:
        frame["level"] = ALL
    elif swept is not None:
        frame["level"] = frame[swept].astype(float)
    else:
        frame["level"] = _drawn_levels(dataset, parameter, levels, frame[states])
    keys = [BUDGET, "level", *states]
    wide = frame.pivot_table(index=keys, columns="arm", values="benefit", aggfunc="mean")
    winners = wide.idxmax(axis=1).rename("winner").reset_index()
    rows = []
    for (budget, level), cell in frame.groupby([BUDGET, "level"], sort=True):
        won = winners[(winners[BUDGET] == budget) & (winners["level"] == level)]["winner"]
        for arm, group in cell.groupby("arm", sort=False):
            rows.append(
                {
                    "budget_eur": float(budget),
                    "parameter": (swept_key(dataset, swept) if swept else parameter) or "",
                    "level": level,
                    "arm": str(arm),
                    "states": len(group),
                    "net_benefit_eur": float(group["benefit"].mean()),
                    "probability_best": float((won == arm).mean()) if len(won) else np.nan,
                    "value_per_budget_eur": float(group["value_per_budget"].mean()),
                    "paid_share": float(group["paid_share"].mean()),
                }
            )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def _drawn_levels(
    dataset: xr.Dataset, parameter: str, levels: int, states: pd.DataFrame
) -> np.ndarray:
    """Each row's quantile bin of a drawn parameter, labelled by the bin's median value."""
    drawn = state_parameters(dataset)
    if parameter not in drawn:
        msg = (
            f"parameter {parameter!r} is neither swept nor drawn in this sweep; "
            f"allowed: {', '.join([*arm_dims(dataset), *drawn.columns]) or 'none'}"
        )
        raise ValueError(msg)
    dims = state_dims(dataset)
    index = pd.MultiIndex.from_product([dataset[d].values for d in dims], names=dims)
    values = pd.Series(drawn[parameter].to_numpy(), index=index)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, levels + 1)))
    which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    medians = pd.Series(values.to_numpy()).groupby(which).median()
    labels = pd.Series(medians.loc[which].to_numpy(), index=index)
    return labels.loc[pd.MultiIndex.from_frame(states)].to_numpy(dtype=float)


def budget_map(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The best arm of each cell (budget, parameter level): the largest expected net benefit.

    Args:
        outcomes: `budget_outcomes(...)`.

    Returns:
        One row per budget and level: the best arm, its mean net benefit and its
        chance of being best, the runner-up and the margin between them (EUR).
    """
    rows = []
    for (budget, level), cell in outcomes.groupby(["budget_eur", "level"], sort=True):
        ranked = cell.sort_values("net_benefit_eur", ascending=False)
        top = ranked.iloc[0]
        second = ranked.iloc[1] if len(ranked) > 1 else None
        rows.append(
            {
                "budget_eur": float(budget),
                "level": level,
                "best": str(top["arm"]),
                "net_benefit_eur": float(top["net_benefit_eur"]),
                "probability_best": float(top["probability_best"]),
                "runner_up": str(second["arm"]) if second is not None else "",
                "margin_eur": float(top["net_benefit_eur"] - second["net_benefit_eur"])
                if second is not None
                else np.nan,
                "states": int(top["states"]),
            }
        )
    return pd.DataFrame(rows, columns=MAP_COLUMNS)


def switches(outcomes: pd.DataFrame, along: str = "budget_eur") -> pd.DataFrame:
    """Where the best arm changes along the budget (at each level) or the level (at each budget).

    Args:
        outcomes: `budget_outcomes(...)`.
        along: "budget_eur" or "level" (only with numeric levels).

    Returns:
        One row per change between neighbouring cells: what is held (`at`), the arm
        best below and above, the two cells' values and the switching value, where
        the two arms' mean net benefits cross (interpolated in logarithms when the
        values are positive, else linearly).
    """
    if along not in ("budget_eur", "level"):
        msg = f"along = {along!r}; allowed: budget_eur, level"
        raise ValueError(msg)
    held = "level" if along == "budget_eur" else "budget_eur"
    if (outcomes["level"] == ALL).all() and along == "level":
        return pd.DataFrame(columns=SWITCH_COLUMNS)
    means = outcomes.pivot_table(index=[held, along], columns="arm", values="net_benefit_eur")
    rows = []
    for at, part in means.groupby(level=0, sort=True):
        part = part.droplevel(0).sort_index()
        values = part.index.to_numpy(dtype=float)
        best = part.idxmax(axis=1).to_numpy()
        scale = math.log if (values > 0).all() else (lambda v: v)
        for i in range(len(values) - 1):
            low, high = best[i], best[i + 1]
            if low == high:
                continue
            d0 = part[low].iloc[i] - part[high].iloc[i]
            d1 = part[low].iloc[i + 1] - part[high].iloc[i + 1]
            fraction = d0 / (d0 - d1) if d0 != d1 else 0.5
            x0, x1 = scale(values[i]), scale(values[i + 1])
            point = x0 + fraction * (x1 - x0)
            rows.append(
                {
                    "along": along,
                    "at": at,
                    "below": str(low),
                    "above": str(high),
                    "from_value": float(values[i]),
                    "to_value": float(values[i + 1]),
                    "switch_value": float(math.exp(point) if scale is math.log else point),
                }
            )
    return pd.DataFrame(rows, columns=SWITCH_COLUMNS)


def budget_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The map as a board reads it: one row per budget, one column per parameter level.

    Each cell: the best arm and its chance of being best, e.g. "concentrated (88 %)".
    """
    best = budget_map(outcomes)
    cells = best.assign(
        cell=best["best"]
        + " ("
        + (100 * best["probability_best"]).round().astype(int).astype(str)
        + " %)"
    )
    table = cells.pivot(index="budget_eur", columns="level", values="cell")
    table.index = [f"{b / 1e6:g} MEUR" for b in table.index]
    return table
