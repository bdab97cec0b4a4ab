import numpy as np
import pytest

from simulation.premium import (
    Leverage,
    Premium,
    causal_premium,
    comparison_groups,
    decompose,
    effect_on_backed_premium,
    matched_premium,
    observed_premium,
    plausibility,
    twins,
)
from simulation.projects import ProjectTable


def table(rows: list[dict]) -> ProjectTable:
    t = ProjectTable.empty(max_members=2, capacity=max(1, len(rows)))
    t.add_blank(len(rows))
    for i, row in enumerate(rows):
        for key, value in row.items():
            getattr(t, key)[i] = value
    return t


def test_observed_premium_on_a_hand_made_table():
    rows = [
        # backed: 2x the value per resource of the comparables, lives 8 steps, got 100 EUR
        dict(
            territory=0,
            birth=0,
            death=7,
            backed=True,
            value_pv=400,
            resources_pv=100,
            private_pv=60,
            mobilised_pv=30,
            fund_pv=40,
        ),
        # comparables: same territory, born in the fund period
        dict(territory=0, birth=1, death=2, value_pv=100, resources_pv=50),
        dict(territory=0, birth=2, death=5, value_pv=100, resources_pv=50),
        # not comparable: other territory, or born after the fund period
        dict(territory=1, birth=0, death=0, value_pv=1, resources_pv=100),
        dict(territory=0, birth=6, death=6, value_pv=1, resources_pv=100),
    ]
    t = table(rows)
    backed, comparable = comparison_groups(t, fund_period_steps=4)
    np.testing.assert_array_equal(backed, [0])
    np.testing.assert_array_equal(comparable, [1, 2])
    premium = observed_premium(t, paid_pv=200, fund_period_steps=4, n_steps=10, tau_steps=10)
    assert premium.frugality == pytest.approx(2.0)  # a ratio of sums would give 325/1100 / 0.25
    # lifetimes: backed 8; comparables 2 and 4 -> RMST 3
    assert premium.durability == pytest.approx(8 / 3)
    # value and private resources of the backed project, per EUR the whole fund paid;
    # mobilised resources are part of the private resources, not added to value
    assert premium.leverage.value == pytest.approx(400 / 200)
    assert premium.leverage.resources == pytest.approx(60 / 200)
    assert premium.leverage.net == pytest.approx((400 - 60) / 200)


def test_causal_premium_compares_whole_worlds():
    treated = table(
        [
            dict(birth=0, death=5, value_pv=300, resources_pv=100, private_pv=90),
            dict(birth=1, death=6, value_pv=300, resources_pv=100, private_pv=100),
        ]
    )
    counterfactual = table(
        [
            dict(birth=0, death=1, value_pv=100, resources_pv=100, private_pv=100),
            dict(birth=1, death=2, value_pv=300, resources_pv=300, private_pv=300),
        ]
    )
    premium = causal_premium(treated, counterfactual, paid_pv=25, n_steps=10, tau_steps=10)
    assert premium.frugality == pytest.approx(3.0)
    assert premium.durability == pytest.approx(6 / 2)
    assert premium.leverage.value == pytest.approx((600 - 400) / 25)
    assert premium.leverage.resources == pytest.approx((190 - 400) / 25)
    assert premium.leverage.net == pytest.approx((200 + 210) / 25)


def test_twins_are_the_same_lead_and_birth_step_in_the_other_world():
    treated = table([dict(lead=3, birth=2), dict(lead=5, birth=2), dict(lead=3, birth=4)])
    counterfactual = table([dict(lead=3, birth=4), dict(lead=7, birth=1), dict(lead=3, birth=2)])
    rows = np.arange(3)
    np.testing.assert_array_equal(twins(treated, counterfactual, rows, 10), [2, -1, 0])
    np.testing.assert_array_equal(twins(treated, table([]), rows, 10), [-1, -1, -1])


def test_effect_on_backed_pairs_each_backed_project_with_its_twin():
    treated = table(
        [
            dict(
                lead=1, birth=0, death=7, backed=True, value_pv=400, resources_pv=100, private_pv=80
            ),
            dict(
                lead=2, birth=0, death=3, backed=True, value_pv=90, resources_pv=30, private_pv=30
            ),
            dict(lead=3, birth=0, death=1, value_pv=1, resources_pv=1, private_pv=1),
        ]
    )
    # lead 1's twin lived 4 steps and made 150; lead 2 started nothing without the fund
    counterfactual = table(
        [dict(lead=1, birth=0, death=3, value_pv=150, resources_pv=75, private_pv=75)]
    )
    result = effect_on_backed_premium(
        treated, counterfactual, paid_pv=50, n_steps=10, tau_steps=10, n_organisations=5
    )
    assert result.twins_found_share == 0.5
    assert result.premium.frugality == pytest.approx((75 / 150) / (100 / 400))
    assert result.premium.durability == pytest.approx(8 / 4)
    assert result.premium.leverage.value == pytest.approx((400 - 150 + 90) / 50)
    assert result.premium.leverage.resources == pytest.approx((80 - 75 + 30) / 50)


def test_matched_premium_counts_from_the_landmark_and_weights_controls():
    # backed at step 3 (age 3): before it, 100 of value; controls alive at step 3
    projects = table(
        [
            dict(birth=0, death=9, backed=True, value_pv=500, resources_pv=140, private_pv=110),
            dict(birth=1, death=5, value_pv=220, resources_pv=110, private_pv=110),
            dict(birth=0, death=3, value_pv=120, resources_pv=60, private_pv=60),
        ]
    )
    landmarks = {
        "backed": np.array([0]),
        "step": np.array([3]),
        "controls": np.array([[1, 2, -1]]),
        "same_territory": np.array([True]),
        "value_pv": np.array([[100.0, 20.0, 80.0, 0.0]]),
        "private_pv": np.array([[40.0, 10.0, 40.0, 0.0]]),
        "resources_pv": np.array([[40.0, 10.0, 40.0, 0.0]]),
    }
    result = matched_premium(projects, landmarks, paid_pv=100, n_steps=10, tau_steps=20)
    assert result.matched_share == 1.0
    # after the landmark: backed 400 value for 100 resources (cost 0.25); controls
    # 200 for 100 (0.5) and 40 for 20 (0.5), each weighted 1/2
    assert result.premium.frugality == pytest.approx(0.5 / 0.25)
    # remaining lifetimes from step 3: backed 7, controls 3 and 1 -> RMST 2
    assert result.premium.durability == pytest.approx(7 / 2)
    assert result.premium.leverage.value == pytest.approx((400 - (200 + 40) / 2) / 100)
    assert result.premium.leverage.resources == pytest.approx((70 - (100 + 20) / 2) / 100)


def test_decomposition_multiplies_ratios_and_adds_leverage():
    def premium(f, d, v, r):
        return Premium(f, d, Leverage(v, r))

    parts = decompose(
        {
            "observed": premium(2.0, 3.0, 7.0, 5.0),
            "matched": premium(1.1, 1.5, 3.0, 2.0),
            "effect_on_backed": premium(1.25, 2.0, 4.0, 3.0),
            "causal": premium(1.01, 1.02, 10.0, 6.0),
        }
    )
    assert parts.selection_frugality == pytest.approx(1.6)
    assert parts.selection_durability == pytest.approx(1.5)
    assert parts.selection_leverage == pytest.approx({"value": 3.0, "net": 1.0, "resources": 2.0})
    assert parts.spillover_leverage == pytest.approx({"value": 6.0, "net": 3.0, "resources": 3.0})


def test_plausibility_by_project_type():
    projects = table(
        [
            dict(alliance=False, value_pv=50, resources_pv=100),
            dict(alliance=False, value_pv=150, resources_pv=100),
            dict(alliance=True, value_pv=300, resources_pv=100),
        ]
    )
    result = plausibility(projects)
    np.testing.assert_allclose(result["value_below_resources_share"], [0.5, 0.0])
    np.testing.assert_allclose(result["value_per_eur"], [1.0, 3.0])
