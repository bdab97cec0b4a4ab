"""The whole appraisal of a merged sweep, as tables and sentences (no files, no HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.discovery import Box, box_table, prim
from experiments.appraisal.robustness import (
    MIN_STATES,
    acceptability,
    net_benefit,
    recommend,
    robustness,
    satisficing_threshold,
)
from experiments.appraisal.states import outcomes, state_parameters
from experiments.appraisal.switching import COLUMNS as SWITCHING
from experiments.appraisal.switching import switching_values
from experiments.appraisal.value_map import value_map
from experiments.appraisal.voi import value_of_information

# Above this share of the budget left unpaid, an arm is flagged.
UNSPENT_WARNING_SHARE = 0.10


@dataclass
class Appraisal:
    """Every table of the appraisal, and what to say about them.

    Attributes:
        outcomes: Per arm and state (`states.outcomes`).
        objective: What the choice maximises: "net" (the net social benefit, extra
            value minus every extra EUR used) or "gross" (minus the fund's money alone).
        value_map: Per arm and quantity, mean and 5-95 % interval.
        robustness: Per arm, the choice criteria, the robust arm first.
        acceptability: Probability of being best against the value of one EUR.
        recommended: The recommended robust arm.
        reason: Why, in one sentence.
        runner_up: The next arm by the same criterion (None with one arm).
        switching: Switching values (empty without parameter uncertainty).
        discovery: The PRIM box where the recommended arm loses to the runner-up.
        voi: EVPI and EVPPI per parameter.
        warnings: Sentences the page must show (too few states, unspent budget, ...).
    """

    outcomes: xr.Dataset
    objective: str
    value_map: pd.DataFrame
    robustness: pd.DataFrame
    acceptability: pd.DataFrame
    recommended: str
    reason: str
    runner_up: str | None = None
    switching: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SWITCHING))
    discovery: pd.DataFrame = field(default_factory=lambda: box_table(Box({}, 0.0, 0.0, 0.0)))
    voi: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["parameter", "value_eur", "states"])
    )
    warnings: list[str] = field(default_factory=list)


def appraise(
    dataset: xr.Dataset, threshold: float | None = None, objective: str = "net"
) -> Appraisal:
    """Appraise every arm of a merged sweep.

    Every choice criterion (probability of being best, regret, satisficing,
    switching values, scenario discovery, value of information) is computed on the
    objective's net benefit (`robustness.net_benefit`).

    Args:
        dataset: A merged sweep (or one run).
        threshold: The benefit-cost ratio that counts as satisficing (gross: the
            value per fund EUR); default: the objective's.
        objective: "net" (the net social benefit, by default) or "gross".

    Returns:
        The appraisal.
    """
    threshold = satisficing_threshold(threshold, objective)
    result = outcomes(dataset)
    table = robustness(result, threshold, objective=objective)
    recommended, reason = recommend(table, threshold, objective)
    appraisal = Appraisal(
        outcomes=result,
        objective=objective,
        value_map=value_map(result),
        robustness=table,
        acceptability=acceptability(result, objective=objective),
        recommended=recommended,
        reason=reason,
        runner_up=str(table.iloc[1]["arm"]) if len(table) > 1 else None,
    )
    appraisal.warnings += _unspent_warnings(result)
    if result.sizes["state"] < MIN_STATES:
        appraisal.warnings.append(
            f"Only {result.sizes['state']} state(s) of the world: intervals and choices are "
            f"not reliable below {MIN_STATES}."
        )
    parameters = state_parameters(dataset)
    if parameters.empty:
        appraisal.warnings.append(
            "The states differ only in their seed: switching values, scenario discovery and "
            "the value of information need parameter uncertainty (a sweep with "
            "calibrated=posterior 'draw=range(0,100)')."
        )
    elif appraisal.runner_up is not None:
        benefit = net_benefit(result, objective=objective)
        advantage = (benefit.sel(arm=recommended) - benefit.sel(arm=appraisal.runner_up)).values
        appraisal.switching = switching_values(advantage, parameters)
        losses = advantage < 0
        box, _ = prim(parameters, losses)
        appraisal.discovery = box_table(box)
        if losses.any() and appraisal.discovery.empty:
            appraisal.warnings.append(
                f"{recommended} loses to {appraisal.runner_up} in {int(losses.sum())} of "
                f"{losses.size} states, with no parameter range that concentrates them "
                "beyond chance (scenario discovery found no box)."
            )
        appraisal.voi = _voi(benefit, parameters)
    return appraisal


def _voi(benefit: xr.DataArray, parameters: pd.DataFrame) -> pd.DataFrame:
    """Value of information over the parameter states, each averaged over its seeds."""
    keys = [tuple(row) for row in parameters.to_numpy()]
    order = list(dict.fromkeys(keys))
    groups = np.array([order.index(k) for k in keys])
    values = benefit.transpose("arm", "state").values
    averaged = np.stack([values[:, groups == g].mean(axis=1) for g in range(len(order))], axis=1)
    unique = pd.DataFrame(order, columns=parameters.columns)
    return value_of_information(averaged, unique)


def _unspent_warnings(result: xr.Dataset) -> list[str]:
    warnings = []
    for arm in result.arm.values:
        budget = float(result.budget_eur.sel(arm=arm).mean())
        unspent = float(result.unspent_eur.sel(arm=arm).mean())
        pays = float(result.paid_eur.sel(arm=arm).mean()) > 0  # not a no-investment control
        if pays and budget > 0 and unspent / budget > UNSPENT_WARNING_SHARE:
            warnings.append(
                f"{arm} leaves {unspent / budget:.0%} of its budget unpaid: its figures are "
                "per EUR paid, not per EUR budgeted."
            )
    return warnings
