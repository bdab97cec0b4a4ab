"""Run a scenario and its counterfactual; return one dataset.

This is the library's entry point for notebooks:

    >>> from simulation import RunConfig, run
    >>> dataset = run(RunConfig(seed=3))
    >>> dataset.premium_leverage.sel(view="causal", measure="value")

`RunConfig()` holds the uncalibrated assumptions of `configs/model/default.yaml`;
the command line uses the calibrated set on top of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from simulation.config import FundConfig, RunConfig
from simulation.dataset import build_dataset, invested_pv
from simulation.premium import (
    causal_premium,
    comparison_groups,
    decompose,
    effect_on_backed_premium,
    matched_premium,
    observed_premium,
)

if TYPE_CHECKING:  # both imported when a run starts, xarray when its dataset is built
    import xarray as xr

    from simulation.model import AllianceModel


def counterfactual_config(config: RunConfig) -> RunConfig:
    """The same run without the fund: same world, same seed, no fund.

    A fund with no budget changes nothing and draws no random number, so its other
    settings do not matter; they are reset to the defaults so that runs that differ
    only in their fund share one counterfactual world (`tests/test_run.py` checks
    that the result is the same as with the run's own fund settings at zero budget).
    """
    no_fund = FundConfig(budget_eur=0.0)
    no_fund.years = min(no_fund.years, float(config.scenario.years))  # stays valid
    return dataclasses.replace(config, fund=no_fund)


def run(config: RunConfig, on_step: Callable[[], None] | None = None) -> xr.Dataset:
    """Simulate the treated world and its counterfactual with common random numbers.

    Args:
        config: The run configuration; validated before anything runs.
        on_step: Called after each simulated step of either world, so
            `2 x config.scenario.n_steps` times (a progress display for long runs).

    Returns:
        The run's dataset (see `simulation.dataset`).
    """
    from simulation.model import AllianceModel

    config.validate()
    treated = AllianceModel(config).run(on_step).free_stepping_state()
    counterfactual = AllianceModel(counterfactual_config(config)).run(on_step)
    return measure(treated, counterfactual.free_stepping_state())


def measure(treated: AllianceModel, counterfactual: AllianceModel) -> xr.Dataset:
    """The premium in every view, its decomposition, and the dataset of a pair of worlds.

    Args:
        treated: The world with the fund, after running.
        counterfactual: The same world without it, after running.

    Returns:
        The run's dataset.
    """
    config = treated.config
    scenario = config.scenario
    n_steps = scenario.n_steps
    tau = config.accounting.rmst_horizon_years * scenario.steps_per_year
    paid = invested_pv(treated)
    matched = matched_premium(treated.projects, treated.landmarks.arrays(), paid, n_steps, tau)
    effect = effect_on_backed_premium(
        treated.projects, counterfactual.projects, paid, n_steps, tau, scenario.n_organisations
    )
    premium = {
        "observed": observed_premium(
            treated.projects, paid, treated.fund.period_steps, n_steps, tau
        ),
        "matched": matched.premium,
        "effect_on_backed": effect.premium,
        "causal": causal_premium(treated.projects, counterfactual.projects, paid, n_steps, tau),
    }
    backed, comparable = comparison_groups(treated.projects, treated.fund.period_steps)
    diagnostics = {
        "backed_projects": backed.size,
        "comparable_projects": comparable.size,
        "matched_share": matched.matched_share,
        "matched_same_territory_share": matched.same_territory_share,
        "twins_found_share": effect.twins_found_share,
        "twins_same_members_share": effect.twins_same_members_share,
    }
    return build_dataset(treated, counterfactual, premium, decompose(premium), diagnostics)
