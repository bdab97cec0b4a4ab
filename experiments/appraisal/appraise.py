"""The whole appraisal of a merged sweep, as tables and sentences (no files, no HTML)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.discovery import Box, box_table, prim
from experiments.appraisal.robustness import (
    MIN_STATES,
    NO_COMPLETE_STATE,
    acceptability,
    net_benefit,
    recommend,
    robustness,
    satisficing_threshold,
)
from experiments.appraisal.states import as_sweep, outcomes, state_dims, state_parameters
from experiments.appraisal.switching import ARM_COLUMNS as SWITCHING
from experiments.appraisal.switching import switching_against_arms
from experiments.appraisal.value_map import value_map
from experiments.appraisal.voi import MIN_DRAWS, draws_needed, value_of_information
from experiments.wording.formats import money

# Fewer seeds than this under parameter draws: the page says the states share few worlds.
MIN_WORLDS = 10

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
        switching: Switching values of the recommended arm against every other arm
            (`switching.switching_against_arms`; empty without parameter uncertainty).
        discovery: The PRIM box where the recommended arm loses to the runner-up.
        voi: EVPI and EVPPI per parameter.
        voi_draws_needed: Parameter draws the per-parameter EVPPI needs to be told
            from zero (`voi.draws_needed`; 0 when the EVPI is 0).
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
    voi_draws_needed: int = 0
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
    result, kept, dropped = complete_states(outcomes(dataset), dataset)
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
    if dropped:
        appraisal.warnings.append(dropped)
    appraisal.warnings += _unspent_warnings(result)
    if result.sizes["state"] < MIN_STATES:
        appraisal.warnings.append(
            f"Only {result.sizes['state']} state(s) of the world: intervals and choices are "
            f"not reliable below {MIN_STATES}."
        )
    appraisal.warnings += _world_warnings(as_sweep(dataset), result.sizes["state"])
    parameters = state_parameters(dataset)
    if not parameters.empty:
        parameters = parameters.iloc[kept].reset_index(drop=True)
    if parameters.empty:
        appraisal.warnings.append(
            "The states differ only in their seed: switching values, scenario discovery and "
            "the value of information need parameter uncertainty (a sweep with "
            "calibrated=posterior 'draw=range(0,100)')."
        )
    elif appraisal.runner_up is not None:
        benefit = net_benefit(result, objective=objective)
        advantage = (benefit.sel(arm=recommended) - benefit.sel(arm=appraisal.runner_up)).values
        appraisal.switching = switching_against_arms(benefit, parameters, recommended)
        losses = advantage < 0
        box, _ = prim(parameters, losses)
        appraisal.discovery = box_table(box)
        if losses.any() and appraisal.discovery.empty:
            appraisal.warnings.append(
                f"{recommended} loses to {appraisal.runner_up} in {int(losses.sum())} of "
                f"{losses.size} states, with no parameter range that concentrates them "
                "beyond chance (scenario discovery found no box)."
            )
        appraisal.voi, appraisal.voi_draws_needed = _voi(benefit, parameters)
        appraisal.warnings += _voi_warnings(appraisal)
    return appraisal


def complete_states(
    result: xr.Dataset, dataset: xr.Dataset
) -> tuple[xr.Dataset, np.ndarray, str | None]:
    """The states where every arm ran; the others dropped, and a sentence saying which.

    A merged sweep with an unfinished or failed job has no numbers (NaN) for that
    arm in that state: compared there, the missing arm would count as the worst
    (an infinite regret) and the others as winners. Every criterion is computed
    over the complete states only.

    Args:
        result: `states.outcomes(dataset)`.
        dataset: The merged sweep (for the states' labels).

    Returns:
        The outcomes over the complete states, their positions among all states,
        and the warning (None when no state is dropped).

    Raises:
        ValueError: No state holds every arm's run (one line, what is allowed).
    """
    finite = np.isfinite(result.net_social_benefit_eur.transpose("arm", "state").values)
    complete = finite.all(axis=0)
    kept = np.flatnonzero(complete)
    if complete.all():
        return result, kept, None
    if not complete.any():
        raise ValueError(NO_COMPLETE_STATE)
    sweep = as_sweep(dataset)
    dims = state_dims(sweep)
    labels = list(itertools.product(*(sweep[d].values for d in dims)))
    arms = [str(arm) for arm in result.arm.values]
    cells = [
        ", ".join(f"{d}={v}" for d, v in zip(dims, labels[i], strict=True))
        + ": "
        + ", ".join(arm for arm, ran in zip(arms, finite[:, i], strict=True) if not ran)
        for i in np.flatnonzero(~complete)
    ]
    shown = "; ".join(cells[:5]) + (f"; and {len(cells) - 5} more" if len(cells) > 5 else "")
    warning = (
        f"{len(cells)} of {complete.size} states of the world dropped: a strategy's run is "
        f"missing there (unfinished or failed: {shown}). Every choice criterion compares the "
        f"strategies over the {kept.size} complete states only; alliance-run -m re-runs the "
        "missing jobs."
    )
    return result.isel(state=kept), kept, warning


def _world_warnings(sweep: xr.Dataset, states: int) -> list[str]:
    """Say when many states of the world share a few worlds (seeds).

    A sweep of parameter draws crossed with two seeds has 200 states but only two
    worlds: the territories, organisations and chance events of those two seeds.
    A strategy's lead can hang on them (docs/model.md 8.5), so the page says how
    many worlds its states span when they are fewer than `MIN_WORLDS`.
    """
    if "seed" not in sweep.dims or sweep.sizes["seed"] >= MIN_WORLDS:
        return []
    worlds = sweep.sizes["seed"]
    if states <= worlds:
        return []
    return [
        f"The {states} states of the world share {worlds} world(s) (seed "
        f"{', '.join(str(s) for s in sweep['seed'].values)}): a strategy's lead can depend on "
        f"those worlds' territories and chance events. Check it in other worlds, or run at "
        f"least {MIN_WORLDS} seeds (for example seed=range(0,{MIN_WORLDS}))."
    ]


def _voi_warnings(appraisal: Appraisal) -> list[str]:
    """Say when the per-parameter values of information rest on too few draws.

    Two cases: the noise of the draws exceeds the EVPI (`voi.draws_needed`), or
    there are fewer draws than `voi.MIN_DRAWS`, enough for bins of 10 draws each.
    """
    draws = int(appraisal.voi["states"].iloc[0]) if not appraisal.voi.empty else 0
    needed = max(appraisal.voi_draws_needed, MIN_DRAWS)
    if not draws or draws >= needed:
        return []
    value = float(appraisal.voi["value_eur"].iloc[0])
    zero = bool((appraisal.voi["value_eur"].iloc[1:] == 0).all())
    reading = "every one reads 0 here" if zero else "their order here is noise"
    start = (
        f"The value of information per parameter (EVPPI) is not reliable with {draws} "
        "parameter draws: "
    )
    rerun = (
        f"(alliance-calibrate calibration.posterior_draws={needed}, then a sweep with "
        f"calibrated=posterior 'draw=range(0,{needed})')."
    )
    if appraisal.voi_draws_needed > draws:
        reason = (
            f"a parameter can be worth at most the EVPI ({money(value)}), and at this size "
            "the noise of the draws is larger than that, so the per-parameter values cannot "
            f"be told from zero ({reading}). About {needed:,} draws are needed "
        )
    else:
        reason = (
            f"its bins hold too few draws each, and so few draws can miss the states where "
            f"another strategy would win (EVPI {money(value)}). At least {needed:,} draws are "
            "needed "
        )
    return [start + reason + rerun]


def _voi(benefit: xr.DataArray, parameters: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Value of information over the parameter states, each averaged over its seeds.

    Returns:
        The EVPI and EVPPI table, and the draws the EVPPI needs (`voi.draws_needed`).
    """
    keys = [tuple(row) for row in parameters.to_numpy()]
    order = list(dict.fromkeys(keys))
    groups = np.array([order.index(k) for k in keys])
    values = benefit.transpose("arm", "state").values
    averaged = np.stack([values[:, groups == g].mean(axis=1) for g in range(len(order))], axis=1)
    unique = pd.DataFrame(order, columns=parameters.columns)
    return value_of_information(averaged, unique), draws_needed(averaged)


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
