"""Simulated moments: what the model says the field would measure.

Every moment is computed from a simulation of the treated world; nothing here
reads a target. The observed view needs no counterfactual, so each evaluation
runs one world per replicate seed.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from calibration.config import MOMENTS
from simulation.config import RunConfig
from simulation.dataset import invested_pv
from simulation.model import AllianceModel
from simulation.premium import observed_premium


def simulate_moments(config: RunConfig, maturity_observation_year: float) -> np.ndarray:
    """The moments of one simulated world.

    Args:
        config: The run configuration (its seed is used).
        maturity_observation_year: Year at which maturity shares are read.

    Returns:
        One value per name in `MOMENTS`: observed frugality, durability and
        value leverage (social value of the backed projects per euro paid), the
        backed projects' social value per euro of all resources (`sroi`), then
        the shares of territories at maturity levels 1-4.
    """
    model = AllianceModel(config).run()
    scenario = config.scenario
    premium = observed_premium(
        model.projects,
        invested_pv(model),
        model.fund.period_steps,
        scenario.n_steps,
        config.accounting.rmst_horizon_years * scenario.steps_per_year,
    )
    step = round(maturity_observation_year * scenario.steps_per_year) - 1
    shares = model.recorder.maturity_share[step]
    return np.array(
        [premium.frugality, premium.durability, premium.leverage.value, sroi(model), *shares]
    )


def sroi(model: AllianceModel) -> float:
    """Social value per euro of all resources of the fund's backed projects.

    The ratio an SROI study of the fund's portfolio would publish: the backed
    projects' social value over everything they used (members' own and mobilised
    resources, set-up costs and the fund's grants), present values over the
    horizon. NaN when the fund backed nothing.

    Args:
        model: A world after its run.

    Returns:
        The ratio of sums over the backed projects.
    """
    p = model.projects
    backed = p.column("backed")
    resources = p.column("resources_pv")[backed].sum()
    if resources <= 0:
        return float("nan")
    return float(p.column("value_pv")[backed].sum() / resources)


def replicate_moments(
    config: RunConfig, seeds: list[int], maturity_observation_year: float
) -> np.ndarray:
    """Moments over replicate seeds, shape (seeds, moments)."""
    return np.array(
        [
            simulate_moments(dataclasses.replace(config, seed=seed), maturity_observation_year)
            for seed in seeds
        ]
    ).reshape(len(seeds), len(MOMENTS))
