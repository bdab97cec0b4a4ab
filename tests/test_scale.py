"""Per-euro causal figures do not depend on the world's arbitrary size (docs/model.md 8.4).

Small worlds here; `benchmarks/public_goods.py` measures the default and national
worlds for the docs.
"""

import numpy as np
import pytest

from simulation import run

from .conftest import small_config

SEEDS = range(30)
BUDGET = 3e5


def causal_leverage(territories: int, organisations: int, budget: float) -> np.ndarray:
    """Mean causal leverage (value, net, resources) over `SEEDS`, in a scaled small world."""
    values = []
    for seed in SEEDS:
        config = small_config(seed=seed, budget_eur=budget)
        config.scenario.n_territories *= territories
        config.scenario.n_organisations *= organisations
        dataset = run(config)
        values.append(dataset.premium_leverage.sel(view="causal").values)
    return np.mean(values, axis=0)


@pytest.fixture(scope="module")
def base():
    return causal_leverage(1, 1, BUDGET)


def test_doubling_the_world_and_the_budget_keeps_every_per_euro_measure(base):
    doubled = causal_leverage(2, 2, 2 * BUDGET)
    assert base[0] > 1.0  # a fund that does something
    np.testing.assert_array_less(np.abs(doubled / base - 1), 0.10)


def test_a_world_eight_times_larger_gets_at_most_twice_the_value_per_euro(base):
    larger = causal_leverage(8, 8, BUDGET)
    assert larger[0] <= 2 * base[0]
