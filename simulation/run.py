"""Run a scenario and its counterfactual; return one dataset.

This is the library's entry point for notebooks and for the command line alike:

    >>> from simulation import RunConfig, run
    >>> dataset = run(RunConfig(seed=3))
    >>> dataset.premium_leverage.sel(view="causal")
"""

from __future__ import annotations

import dataclasses

import xarray as xr

from simulation.config import RunConfig
from simulation.dataset import build_dataset, invested_pv
from simulation.model import AllianceModel
from simulation.premium import causal_premium, comparison_groups, observed_premium


def counterfactual_config(config: RunConfig) -> RunConfig:
    """The same run without the fund: same world, same seed, zero budget."""
    return dataclasses.replace(config, fund=dataclasses.replace(config.fund, budget_eur=0.0))


def run(config: RunConfig) -> xr.Dataset:
    """Simulate the treated world and its counterfactual with common random numbers.

    Args:
        config: The run configuration; validated before anything runs.

    Returns:
        The run's dataset (see `simulation.dataset`).
    """
    config.validate()
    treated = AllianceModel(config).run()
    counterfactual = AllianceModel(counterfactual_config(config)).run()
    scenario = config.scenario
    n_steps = scenario.n_steps
    tau = config.accounting.rmst_horizon_years * scenario.steps_per_year
    period = treated.fund.period_steps
    invested = invested_pv(treated)
    premium = {
        "observed": observed_premium(treated.projects, invested, period, n_steps, tau),
        "causal": causal_premium(treated.projects, counterfactual.projects, invested, n_steps, tau),
    }
    backed, comparable = comparison_groups(treated.projects, period)
    counts = {"backed_projects": backed.size, "comparable_projects": comparable.size}
    return build_dataset(treated, counterfactual, premium, counts)
