"""Choosing a strategy under uncertainty: probability of being best, regret, satisficing.

The criteria of decision-making under deep uncertainty (Rhodium, EMA Workbench)
and of health economics (the cost-effectiveness acceptability curve), computed
state by state over the paired worlds:

- net benefit of an arm in a state: `lambda x extra value - fund money paid`, where
  `lambda` is the value placed on one EUR of social value (1 by default: the
  net present value);
- probability of being best: the share of states where the arm's net benefit is
  the highest (ties shared);
- regret type 2: the best arm's net benefit in the state minus the arm's; type 1:
  how far the arm falls below its own mean (Herman et al. 2015); both at the 90th
  percentile, and the conditional value at risk of type 2 (the mean of its worst
  10 %);
- satisficing: the share of states where the arm's value leverage (extra value per
  EUR paid) reaches a threshold, 2.5 by default (the Rise Fund's Impact Multiple of
  Money hurdle).

The recommended robust arm has the smallest 90th-percentile regret (type 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

PERCENTILE = 90.0
SATISFICING_THRESHOLD = 2.5
# Fewer states than this cannot support a "robust" choice.
MIN_STATES = 5


def net_benefit(outcomes: xr.Dataset, value_per_eur: float = 1.0) -> xr.DataArray:
    """`value_per_eur x extra value - fund money paid`, per arm and state (EUR)."""
    return value_per_eur * outcomes.extra_value_eur - outcomes.paid_eur


def _share_best(benefit: np.ndarray) -> np.ndarray:
    """Per arm (rows), the share of states (columns) where it is best, ties shared."""
    best = benefit.max(axis=0)
    winners = np.isclose(benefit, best, rtol=0.0, atol=1e-6)
    return (winners / winners.sum(axis=0)).mean(axis=1)


def robustness(
    outcomes: xr.Dataset,
    threshold: float = SATISFICING_THRESHOLD,
    value_per_eur: float = 1.0,
) -> pd.DataFrame:
    """The robustness table: one row per arm, best (smallest regret) first.

    Args:
        outcomes: `states.outcomes(dataset)`.
        threshold: Value leverage a state must reach to count as satisficing.
        value_per_eur: Value placed on one EUR of social value.

    Returns:
        Per arm: expected net benefit, probability of being best, regret type 2
        (90th percentile, CVaR), regret type 1 (90th percentile), satisficing
        share, and the number of states.
    """
    benefit = net_benefit(outcomes, value_per_eur).transpose("arm", "state").values
    benefit = np.where(np.isfinite(benefit), benefit, -np.inf)
    best = benefit.max(axis=0)
    regret2 = best - benefit
    regret1 = np.clip(benefit.mean(axis=1, keepdims=True) - benefit, 0.0, None)
    leverage = outcomes.benefit_cost_ratio.transpose("arm", "state").values
    p_best = _share_best(benefit)
    rows = []
    for i, arm in enumerate(outcomes.arm.values):
        tail = np.sort(regret2[i])[int(np.floor(PERCENTILE / 100 * regret2.shape[1])) :]
        rows.append(
            {
                "arm": str(arm),
                "expected_net_benefit_eur": float(benefit[i].mean()),
                "probability_best": float(p_best[i]),
                "regret_p90_eur": float(np.percentile(regret2[i], PERCENTILE)),
                "regret_cvar90_eur": float(tail.mean()) if tail.size else float(regret2[i].max()),
                "shortfall_p90_eur": float(np.percentile(regret1[i], PERCENTILE)),
                "satisficing_share": float(np.mean(np.nan_to_num(leverage[i]) >= threshold)),
                "states": int(benefit.shape[1]),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values(
        ["regret_p90_eur", "expected_net_benefit_eur"], ascending=[True, False], ignore_index=True
    )


def acceptability(outcomes: xr.Dataset, values_per_eur: np.ndarray | None = None) -> pd.DataFrame:
    """The probability that each arm is best against the value placed on one EUR of value.

    Where arms differ in cost (a budget sweep), the best arm depends on how much one
    EUR of social value is worth to the funder: this is health economics'
    cost-effectiveness acceptability curve.

    Args:
        outcomes: `states.outcomes(dataset)`.
        values_per_eur: The values of one EUR of social value to evaluate.

    Returns:
        One row per value: the probability of being best of each arm (columns).
    """
    if values_per_eur is None:
        values_per_eur = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0])
    rows = []
    for value in values_per_eur:
        benefit = net_benefit(outcomes, float(value)).transpose("arm", "state").values
        benefit = np.where(np.isfinite(benefit), benefit, -np.inf)
        shares = _share_best(benefit)
        rows.append(
            {"value_per_eur": float(value), **dict(zip(outcomes.arm.values, shares, strict=True))}
        )
    return pd.DataFrame(rows)


def recommend(table: pd.DataFrame, threshold: float = SATISFICING_THRESHOLD) -> tuple[str, str]:
    """The recommended robust arm and the reason, in one sentence that never overstates.

    Args:
        table: `robustness(...)`.
        threshold: The satisficing threshold used.

    Returns:
        (arm, sentence).
    """
    top = table.iloc[0]
    states = int(top["states"])
    if states < MIN_STATES:
        return (
            str(top["arm"]),
            f"No robust choice from {states} state(s) of the world: run at least "
            f"{MIN_STATES} seeds (and posterior draws) before choosing.",
        )
    if len(table) == 1:
        return (str(top["arm"]), f"One arm only ({top['arm']}): nothing to choose between.")
    sentence = (
        f"{top['arm']} is the robust choice: its regret against the best arm of each state "
        f"stays under {top['regret_p90_eur'] / 1e6:.2f} MEUR in 90 % of the {states} states, "
        f"the smallest of all arms; it is best in {top['probability_best']:.0%} of them and "
        f"reaches a value leverage of {threshold:g} in {top['satisficing_share']:.0%}."
    )
    return (str(top["arm"]), sentence)
