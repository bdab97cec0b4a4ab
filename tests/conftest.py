import dataclasses

import pytest

from simulation.config import RunConfig, ScenarioConfig


def small_config(seed: int = 0, **fund_changes) -> RunConfig:
    """A fast world: 12 territories, 1,500 organisations, 5 years."""
    config = RunConfig(
        seed=seed,
        scenario=ScenarioConfig(n_territories=12, n_organisations=1500, years=5),
    )
    config.accounting.rmst_horizon_years = 4.0
    config.fund.years = 2.0
    config.fund.ticket_eur = 5000.0
    if fund_changes:
        config.fund = dataclasses.replace(config.fund, **fund_changes)
    return config


@pytest.fixture
def small() -> RunConfig:
    return small_config()


# The same small world as command-line overrides, for the CLI and sweep tests.
SMALL_OVERRIDES = [
    "scenario.n_territories=10",
    "scenario.n_organisations=800",
    "scenario.years=4",
    "fund.years=2",
    "accounting.rmst_horizon_years=3",
]
