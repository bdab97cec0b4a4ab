import itertools

import numpy as np
import pytest

from simulation.config import CommonsConfig, EngineeringConfig, MaturityConfig, TrustConfig
from simulation.territories import (
    maturity_up_probability,
    next_maturity,
    update_commons,
    update_engineering,
    update_trust,
)

# organisations of the territory the grants go to
ORGS = np.array([100])


def test_engineering_grant_raises_capacity_which_decays_without_funding():
    cfg = EngineeringConfig()
    baseline = np.array([0.1])
    capacity = baseline.copy()
    for _ in range(8):
        capacity = update_engineering(capacity, baseline, np.array([50_000.0]), ORGS, cfg)
    funded_peak = capacity[0]
    assert funded_peak > baseline[0] + 0.2
    path = []
    for _ in range(60):
        capacity = update_engineering(capacity, baseline, np.array([0.0]), ORGS, cfg)
        path.append(capacity[0])
    assert all(a > b for a, b in itertools.pairwise(path))  # decays monotonically
    assert abs(path[-1] - baseline[0]) < 0.1 * (funded_peak - baseline[0])


def test_engineering_grant_saturates_below_one():
    cfg = EngineeringConfig()
    capacity = np.array([0.5])
    for _ in range(500):
        capacity = update_engineering(capacity, np.array([0.1]), np.array([1e9]), ORGS, cfg)
    assert capacity[0] < 1.0


def test_commons_grows_with_investment_and_decays_without():
    cfg = CommonsConfig()
    k = 0.0
    for _ in range(10):
        k = update_commons(k, 100_000.0, 10_000, cfg)
    assert 0.3 < k < 1.0
    assert update_commons(k, 0.0, 10_000, cfg) == k * (1 - cfg.decay_per_step)


def test_public_goods_buy_reach_per_organisation():
    """The same money per organisation gives the same capacity; twice the organisations
    need twice the money."""
    eng, com = EngineeringConfig(), CommonsConfig()
    capacity, baseline = np.array([0.2, 0.2]), np.array([0.1, 0.1])
    one = update_engineering(capacity, baseline, np.array([1e4, 2e4]), np.array([50, 100]), eng)
    assert one[0] == one[1]
    assert update_commons(0.3, 5e4, 10_000, com) == update_commons(0.3, 1e5, 20_000, com)
    assert update_commons(0.3, 5e4, 20_000, com) < update_commons(0.3, 5e4, 10_000, com)


def test_linear_regime_makes_reach_proportional_to_money():
    """Far below half-saturation, capacity-organisations bought are proportional to euros,
    whatever the number of organisations: the per-euro figures cannot grow with the world."""
    eng = EngineeringConfig()
    baseline = np.zeros(2)
    tiny = 1e-6 * eng.grant_half_saturation_eur_per_organisation
    organisations = np.array([100.0, 10_000.0])
    grants = tiny * np.array([100.0, 100.0])
    gain = update_engineering(baseline, baseline, grants, organisations, eng)
    capacity_organisations = gain * organisations
    assert capacity_organisations[0] == pytest.approx(capacity_organisations[1], rel=1e-5)


def test_maturity_rises_faster_with_engineering_and_never_above_four():
    cfg = MaturityConfig()
    level = np.array([1, 1, 4])
    low = maturity_up_probability(level, np.array([0.0, 0.0, 1.0]), 0.0, np.zeros(3), cfg)
    high = maturity_up_probability(level, np.array([0.9, 0.9, 1.0]), 0.0, np.zeros(3), cfg)
    assert high[0] > low[0]
    assert high[2] == 0.0
    moved = next_maturity(level, np.array([1.0, 0.0, 0.0]), np.array([0.5, 0.5, 0.9999]), cfg)
    np.testing.assert_array_equal(moved, [2, 1, 3])


def test_trust_learns_from_successes_and_failures():
    cfg = TrustConfig()
    trust = np.array([0.5, 0.5, 0.5])
    new = update_trust(trust, np.array([4.0, 0.0, 0.0]), np.array([0.0, 4.0, 0.0]), cfg)
    assert new[0] > 0.5 > new[1]
    assert new[2] == 0.5


def test_initial_maturity_counts_are_the_rounded_shares_for_every_seed():
    from simulation.config import EngineeringConfig, ScenarioConfig, TrustConfig
    from simulation.state import TerritoryState, initial_maturity_levels

    levels = initial_maturity_levels([0.85, 0.12, 0.03, 0.0], 81)
    np.testing.assert_array_equal(np.bincount(levels, minlength=5)[1:], [69, 10, 2, 0])
    assert initial_maturity_levels([0.25, 0.25, 0.25, 0.25], 6).tolist() == [1, 1, 2, 2, 3, 4]
    counts = {
        tuple(
            np.bincount(
                TerritoryState.create(
                    ScenarioConfig(), EngineeringConfig(), TrustConfig(), np.random.default_rng(s)
                ).maturity,
                minlength=5,
            )
        )
        for s in range(5)
    }
    assert counts == {(0, 69, 10, 2, 0)}


def test_a_level_factor_above_one_speeds_the_higher_levels():
    cfg = MaturityConfig(level_factor=1.5)
    p = maturity_up_probability(np.array([1, 2, 3]), np.zeros(3), 0.0, np.zeros(3), cfg)
    assert p[0] < p[1] < p[2]


def fragile_territories(n_territories=2, n_domains=3, level=0.6):
    from simulation.config import ScenarioConfig
    from simulation.state import TerritoryState

    scenario = ScenarioConfig(n_territories=n_territories, n_domains=n_domains)
    state = TerritoryState.create(
        scenario, EngineeringConfig(), TrustConfig(), np.random.default_rng(0)
    )
    state.fragility[:] = level
    state.fragility_initial[:] = level
    return state


def test_value_relieves_the_fragility_it_answers_with_saturation():
    from simulation.config import FragilityConfig
    from simulation.territories import relieve_fragility

    cfg = FragilityConfig(relief_rate=0.2, relief_half_saturation_eur_per_organisation=10.0)
    state = fragile_territories()
    value = np.zeros((2, 3))
    value[0, 1] = 1000.0  # 10 organisations: 100 EUR each, 10x the half-saturation
    alliances = value / 4
    relieve_fragility(state, value, alliances, np.array([10, 10]), cfg)
    expected = 0.6 - 0.2 * (100 / 110) * 0.6
    assert state.fragility[0, 1] == pytest.approx(expected)
    untouched = np.delete(state.fragility.ravel(), 1)
    np.testing.assert_array_equal(untouched, 0.6)  # no value, no relief, no recovery needed
    assert state.alliance_relief[0, 1] == pytest.approx((0.6 - expected) / 4)
    assert state.alliance_relief.sum() == pytest.approx(state.alliance_relief[0, 1])


def test_fragility_returns_to_its_initial_level_without_projects():
    from simulation.config import FragilityConfig
    from simulation.territories import relieve_fragility

    cfg = FragilityConfig(relief_rate=0.5, recovery_per_step=0.1)
    state = fragile_territories(level=0.6)
    state.fragility[:] = 0.2
    nothing = np.zeros((2, 3))
    for _ in range(100):
        relieve_fragility(state, nothing, nothing, np.array([5, 5]), cfg)
    np.testing.assert_allclose(state.fragility, 0.6, atol=1e-4)
    assert not state.alliance_relief.any()


def test_a_world_with_relief_has_lower_fragility_and_less_value_per_euro_later():
    from simulation.model import AllianceModel

    from .conftest import small_config

    def world(rate):
        config = small_config(seed=2, budget_eur=0.0)
        config.model.fragility.relief_rate = rate
        return AllianceModel(config).run()

    still, relieved = world(0.0), world(0.3)
    np.testing.assert_array_equal(still.territories.fragility, still.territories.fragility_initial)
    assert relieved.territories.fragility.mean() < 0.9 * still.territories.fragility.mean()
    late = relieved.projects.column("birth") >= relieved.config.scenario.n_steps // 2
    late_still = still.projects.column("birth") >= still.config.scenario.n_steps // 2
    assert (
        relieved.projects.column("value_per_eur")[late].mean()
        < still.projects.column("value_per_eur")[late_still].mean()
    )
