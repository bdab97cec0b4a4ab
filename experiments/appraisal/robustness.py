"""Choosing a strategy under uncertainty: probability of being best, regret, satisficing.

The criteria of decision-making under deep uncertainty (Rhodium, EMA Workbench)
and of health economics (the cost-effectiveness acceptability curve), computed
state by state over the paired worlds:

- net benefit of an arm in a state: the net social benefit, `lambda x extra value -
  fund money paid - extra private resources`, where `lambda` is the value placed on
  one EUR of social value (1 by default: the net present value, `npv_eur`) and the
  extra private resources are the members' own and mobilised resources and set-up
  costs used with the fund beyond those used without it. Every resource's
  opportunity cost is counted, as in the Green Book and SROI practice. The gross
  objective (`objective="gross"`: `lambda x extra value - fund money paid`) is
  kept for comparison with earlier appraisals;
- probability of being best: the share of states where the arm's net benefit is
  the highest (ties shared);
- regret type 2: the best arm's net benefit in the state minus the arm's; type 1:
  how far the arm falls below its own mean (Herman et al. 2015); both at the 90th
  percentile, and the conditional value at risk of type 2 (the mean of its worst
  10 %);
- satisficing: the share of states where the arm's benefit-cost ratio (extra value
  per extra EUR used, the fund's and the partners') reaches a threshold, 1 by
  default (the extra value covers every extra EUR used: a net social benefit of at
  least 0); where the fund's world used no more resources than the world without
  it, the ratio is undefined and a state satisfices if it created more value. With
  the gross objective the ratio is the value per fund EUR, and the default
  threshold 2.5 (the Rise Fund's Impact Multiple of Money hurdle).

The recommended robust arm has the smallest 90th-percentile regret (type 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from experiments.wording.formats import money, percent

PERCENTILE = 90.0
# The objectives: net of every extra resource, or of the fund's money alone.
OBJECTIVES = ("net", "gross")
# Per objective, the default ratio of extra value to extra EUR counted that satisfices.
SATISFICING_THRESHOLDS = {"net": 1.0, "gross": 2.5}
SATISFICING_THRESHOLD = SATISFICING_THRESHOLDS["net"]
# How a sentence names each objective's ratio.
RATIO_WORDS = {
    "net": "a benefit-cost ratio (extra value per extra EUR used, the fund's and the partners')",
    "gross": "a gross value per fund EUR",
}
# Fewer states than this cannot support a "robust" choice.
MIN_STATES = 5
# When no state holds a run of every arm (each of them unfinished somewhere).
NO_COMPLETE_STATE = (
    "no state of the world holds a run of every strategy; allowed: a sweep whose states "
    "each hold every strategy's run (alliance-run -m re-runs the missing jobs)"
)


def _objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        msg = f"objective = {objective!r}; allowed: {', '.join(OBJECTIVES)}"
        raise ValueError(msg)
    return objective


def resources_counted(outcomes: xr.Dataset, objective: str = "net") -> xr.DataArray:
    """The extra EUR an objective counts as costs, per arm and state.

    Args:
        outcomes: `states.outcomes(dataset)`.
        objective: "net": the fund's money paid and the extra private resources
            (members' own and mobilised resources, set-up costs); "gross": the
            fund's money alone.

    Returns:
        Over (`arm`, `state`), EUR (present values).
    """
    if _objective(objective) == "gross":
        return outcomes.paid_eur
    return outcomes.paid_eur + outcomes.extra_private_resources_eur


def net_benefit(
    outcomes: xr.Dataset, value_per_eur: float = 1.0, objective: str = "net"
) -> xr.DataArray:
    """`value_per_eur x extra value - resources_counted`, per arm and state (EUR).

    With the default objective ("net") this is the net social benefit: extra value
    minus the fund's money paid and the extra private resources; "gross" leaves the
    extra private resources out.
    """
    return value_per_eur * outcomes.extra_value_eur - resources_counted(outcomes, objective)


def satisfices(outcomes: xr.Dataset, threshold: float, objective: str = "net") -> xr.DataArray:
    """Whether the extra value reaches `threshold` times the extra EUR counted, per state.

    That is the benefit-cost ratio (gross: the value per fund EUR) reaching the
    threshold where the extra EUR counted are positive; where they are zero or
    negative (no more resources used with the fund than without it) the ratio is
    undefined, and the state satisfices when the fund's world created more value.
    """
    extra = outcomes.extra_value_eur
    cost = resources_counted(outcomes, objective)
    return xr.where(cost > 0, extra >= threshold * cost, extra > 0)


def satisficing_threshold(threshold: float | None, objective: str = "net") -> float:
    """The threshold given, or the objective's default (`SATISFICING_THRESHOLDS`)."""
    return SATISFICING_THRESHOLDS[_objective(objective)] if threshold is None else threshold


def _share_best(benefit: np.ndarray) -> np.ndarray:
    """Per arm (rows), the share of states (columns) where it is best, ties shared."""
    best = benefit.max(axis=0)
    winners = np.isclose(benefit, best, rtol=0.0, atol=1e-6)
    return (winners / winners.sum(axis=0)).mean(axis=1)


def robustness(
    outcomes: xr.Dataset,
    threshold: float | None = None,
    value_per_eur: float = 1.0,
    objective: str = "net",
) -> pd.DataFrame:
    """The robustness table: one row per arm, best (smallest regret) first.

    Args:
        outcomes: `states.outcomes(dataset)`.
        threshold: The ratio a state must reach to count as satisficing (the
            benefit-cost ratio, or with the gross objective the value per fund EUR);
            default: the objective's (`SATISFICING_THRESHOLDS`).
        value_per_eur: Value placed on one EUR of social value.
        objective: "net" (the net social benefit) or "gross" (`net_benefit`).

    Returns:
        Per arm: expected net benefit, probability of being best, regret type 2
        (90th percentile, CVaR), regret type 1 (90th percentile), satisficing
        share, and the number of states.
    """
    threshold = satisficing_threshold(threshold, objective)
    benefit = net_benefit(outcomes, value_per_eur, objective).transpose("arm", "state").values
    # Arms are compared only where every arm ran (`appraise` drops the other states
    # and says so): a missing run is no number, neither a loss nor a win.
    complete = np.isfinite(benefit).all(axis=0)
    if not complete.any():
        raise ValueError(NO_COMPLETE_STATE)
    benefit = benefit[:, complete]
    best = benefit.max(axis=0)
    regret2 = best - benefit
    regret1 = np.clip(benefit.mean(axis=1, keepdims=True) - benefit, 0.0, None)
    satisficing = satisfices(outcomes, threshold, objective).transpose("arm", "state").values
    satisficing = satisficing[:, complete]
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
                "satisficing_share": float(np.mean(satisficing[i])),
                "states": int(benefit.shape[1]),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values(
        ["regret_p90_eur", "expected_net_benefit_eur"], ascending=[True, False], ignore_index=True
    )


def acceptability(
    outcomes: xr.Dataset, values_per_eur: np.ndarray | None = None, objective: str = "net"
) -> pd.DataFrame:
    """The probability that each arm is best against the value placed on one EUR of value.

    Where arms differ in cost (a budget sweep), the best arm depends on how much one
    EUR of social value is worth to the funder: this is health economics'
    cost-effectiveness acceptability curve.

    Args:
        outcomes: `states.outcomes(dataset)`.
        values_per_eur: The values of one EUR of social value to evaluate.
        objective: "net" (the net social benefit) or "gross" (`net_benefit`).

    Returns:
        One row per value: the probability of being best of each arm (columns).
    """
    if values_per_eur is None:
        values_per_eur = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0])
    rows = []
    for value in values_per_eur:
        benefit = net_benefit(outcomes, float(value), objective).transpose("arm", "state").values
        benefit = np.where(np.isfinite(benefit), benefit, -np.inf)
        shares = _share_best(benefit)
        rows.append(
            {"value_per_eur": float(value), **dict(zip(outcomes.arm.values, shares, strict=True))}
        )
    return pd.DataFrame(rows)


def recommend(
    table: pd.DataFrame, threshold: float | None = None, objective: str = "net"
) -> tuple[str, str]:
    """The recommended robust arm and the reason, in one sentence that never overstates.

    Args:
        table: `robustness(...)`.
        threshold: The satisficing threshold used (default: the objective's).
        objective: The objective `table` was computed on.

    Returns:
        (arm, sentence).
    """
    threshold = satisficing_threshold(threshold, objective)
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
    benefit = "net social benefit" if objective == "net" else "gross net benefit"
    best = float(top["probability_best"])
    regret = float(top["regret_p90_eur"])
    if np.isclose(best, 1.0):
        standing = f"it is the best arm in every one of the {states} states"
    elif np.isclose(regret, 0.0, atol=0.5):
        standing = f"it is the best arm in {percent(best)} of the {states} states"
    else:
        standing = (
            f"in 9 states out of 10 its regret in {benefit} (what it falls short of the "
            f"best arm of the state) is at most {money(regret)}, the smallest of all "
            f"arms; it is best in {percent(best)} of the {states} states"
        )
    sentence = (
        f"{top['arm']} is the robust choice on the {benefit}: {standing}, and reaches "
        f"{RATIO_WORDS[objective]} of {threshold:g} in {percent(top['satisficing_share'])} "
        "of them."
    )
    return (str(top["arm"]), sentence)
