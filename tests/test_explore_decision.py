"""What the explorer decides with: the appraisal's net figures per seed, paired by seed."""

import numpy as np
import pytest
import xarray as xr

from experiments.appraisal import states
from experiments.explore import decision
from experiments.explore.choice import Choice
from experiments.explore.compute import combine
from simulation import run

from .conftest import small_config

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def runs() -> list[xr.Dataset]:
    return [run(small_config(seed)) for seed in SEEDS]


def per_seed(extra: list[float], paid: list[float], private: list[float]) -> xr.Dataset:
    """Outcomes over seeds with given extra value, fund money and extra private resources."""
    coords = {"seed": list(range(len(extra)))}
    return xr.Dataset(
        {
            "extra_value_eur": ("seed", np.array(extra, float)),
            "paid_eur": ("seed", np.array(paid, float)),
            "extra_private_resources_eur": ("seed", np.array(private, float)),
        },
        coords=coords,
    )


def test_every_seeds_outcomes_are_the_appraisals_of_its_own_run(runs):
    outcomes = decision.outcomes(combine(runs, Choice(n_seeds=3)))
    assert list(outcomes.seed.values) == SEEDS
    for seed, alone in zip(SEEDS, runs, strict=True):
        expected = states.outcomes(alone).isel(arm=0, state=0)
        for name in ("net_social_benefit_eur", "gross_npv_eur", "benefit_cost_ratio"):
            np.testing.assert_allclose(outcomes[name].sel(seed=seed), expected[name], rtol=1e-12)


def test_the_settings_every_seed_shares_are_read_from_the_first_seeds_config(runs):
    combined = combine(runs, Choice(n_seeds=3))
    assert "config_json" not in combined.attrs  # each seed's differs: combine drops it
    outcomes = decision.outcomes(combined)
    expected = states.outcomes(runs[0]).attrs
    assert outcomes.attrs["discount_rate_per_year"] == expected["discount_rate_per_year"] == 0.045
    assert outcomes.attrs["value_persistence_per_step"] == expected["value_persistence_per_step"]


def test_the_headline_is_the_mean_and_range_over_the_seeds_in_display_units(runs):
    outcomes = decision.outcomes(combine(runs, Choice(n_seeds=3)))
    headline = decision.headline(outcomes)
    assert list(headline) == list(decision.HEADLINE)
    net = outcomes.net_social_benefit_eur.values
    assert headline["net_social_benefit_eur"].mean == pytest.approx(net.mean() / 1e6, rel=1e-12)
    assert headline["net_social_benefit_eur"].low == pytest.approx(np.quantile(net, 0.05) / 1e6)
    ratio = outcomes.benefit_cost_ratio.values
    assert headline["benefit_cost_ratio"].high == pytest.approx(np.quantile(ratio, 0.95))
    # A ratio's headline is the mean value over the mean cost, as the appraisal's.
    cost = outcomes.paid_eur + outcomes.extra_private_resources_eur
    pooled = float(outcomes.extra_value_eur.mean() / cost.mean())
    assert headline["benefit_cost_ratio"].mean == pytest.approx(pooled, rel=1e-12)


def test_against_the_no_fund_world_it_wins_where_its_net_benefit_is_positive():
    strategy = per_seed([10, 10, 10, 10], [2, 2, 2, 2], [3, 9, 20, 5])  # net 5, -1, -12, 3
    versus = decision.versus(strategy, None)
    assert (versus.wins, versus.seeds, versus.probability) == (2, 4, 0.5)
    assert versus.difference.mean == pytest.approx(-1.25)
    assert not versus.enough  # fewer seeds than the appraisal asks for


def test_two_strategies_are_compared_seed_by_seed_with_ties_shared():
    strategy = per_seed([10, 10, 10, 10, 10], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0])  # net 9 each
    baseline = per_seed([20, 5, 9, 1, 10], [1, 1, 0, 1, 1], [0, 0, 0, 0, 0])  # 19, 4, 9, 0, 9
    versus = decision.versus(strategy, baseline, "uniform")
    assert versus.baseline == "uniform" and versus.enough
    assert versus.wins == 2  # seeds 1 and 3; seeds 2 and 4 tie
    assert versus.probability == pytest.approx((2 + 0.5 + 0.5) / 5)
    assert versus.difference.mean == pytest.approx((-10 + 5 + 0 + 9 + 0) / 5)
    with pytest.raises(ValueError, match="same seeds"):
        decision.versus(strategy, baseline.isel(seed=[0, 1]))


def test_a_baseline_keeps_the_world_and_the_fund_size_and_takes_the_presets_own_mix():
    choice = Choice(
        strategy="concentrated",
        budget_eur=2e6,
        shares=(0.5, 0.25, 0.25),
        innovation_target="small",
        scenario="national",
        placebo=True,
        n_seeds=3,
    )
    other = decision.baseline_choice(choice, "uniform")
    assert other == Choice(strategy="uniform", budget_eur=2e6, scenario="national", n_seeds=3)
    assert decision.world_of(other) == decision.world_of(choice)
    assert decision.world_of(choice.with_changes(n_seeds=2)) != decision.world_of(choice)
    assert decision.describe_world(choice) == "national world, 3 seeds"
    posterior = Choice(parameters="posterior", draw=4, n_seeds=1)
    assert decision.describe_world(posterior) == "default world, posterior draw 4, 1 seed"
    # What differs from the choice shown is named, defaults included.
    shown = Choice(discounting="green_book", parameters="none")
    assert decision.describe_world(Choice(), shown) == (
        "default world, calibrated parameters, default discounting, 5 seeds"
    )
