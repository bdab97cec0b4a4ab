import numpy as np
import pytest

from simulation.premium import causal_premium, comparison_groups, observed_premium
from simulation.projects import ProjectTable


def table(rows: list[dict]) -> ProjectTable:
    t = ProjectTable.empty(max_members=2, capacity=len(rows))
    for i, row in enumerate(rows):
        for key, value in row.items():
            getattr(t, key)[i] = value
    t.size = len(rows)
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
            mobilised_pv=300,
            fund_pv=100,
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
    premium = observed_premium(t, invested_pv=350, fund_period_steps=4, n_steps=10, tau_steps=10)
    assert premium.frugality == pytest.approx(2.0)  # a ratio of sums would give 325/1100 / 0.25
    # lifetimes: backed 8; comparables 2 and 4 -> RMST 3
    assert premium.durability == pytest.approx(8 / 3)
    assert premium.leverage == pytest.approx((400 + 300) / 350)


def test_causal_premium_compares_whole_worlds():
    treated = table(
        [
            dict(birth=0, death=5, value_pv=300, resources_pv=100, mobilised_pv=50),
            dict(birth=1, death=6, value_pv=300, resources_pv=100),
        ]
    )
    counterfactual = table(
        [
            dict(birth=0, death=1, value_pv=100, resources_pv=100),
            dict(birth=1, death=2, value_pv=300, resources_pv=300),
        ]
    )
    premium = causal_premium(treated, counterfactual, invested_pv=25, n_steps=10, tau_steps=10)
    assert premium.frugality == pytest.approx(3.0)
    assert premium.durability == pytest.approx(6 / 2)
    assert premium.leverage == pytest.approx((650 - 400) / 25)
