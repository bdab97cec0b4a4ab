"""The four views on whole runs: placebo, decomposition, twins, and the grant's diversification."""

import numpy as np
import pytest

from simulation import AllianceModel, run
from simulation.run import counterfactual_config

from .conftest import small_config

PLACEBO_SEEDS = range(24)


def placebo_config(seed: int):
    # A budget that backs a few of the eligible projects each step, leaving controls.
    config = small_config(seed=seed, budget_eur=5e5)
    config.fund.placebo = True
    return config


@pytest.fixture(scope="module")
def placebo_runs():
    return [run(placebo_config(seed)) for seed in PLACEBO_SEEDS]


def test_a_placebo_fund_pays_but_changes_nothing(placebo_runs):
    ds = placebo_runs[0]
    treated, counterfactual = ds.sel(world="treated"), ds.sel(world="counterfactual")
    for name in ("value_created", "resources_used", "engineering_capacity", "trust", "maturity"):
        np.testing.assert_array_equal(treated[name].values, counterfactual[name].values)
    assert float(treated.fund_spending.sum()) > 0.9 * 5e5  # the money is still paid
    assert int(ds.backed_projects) > 10
    assert ds.attrs["placebo"] == 1


def test_under_a_placebo_the_effect_on_backed_and_causal_views_are_neutral(placebo_runs):
    for ds in placebo_runs:
        for view in ("effect_on_backed", "causal"):
            assert float(ds.premium_frugality.sel(view=view)) == 1.0
            assert float(ds.premium_durability.sel(view=view)) == 1.0
            assert (ds.premium_leverage.sel(view=view) == 0.0).all()
        assert float(ds.twins_found_share) == 1.0
        assert (ds.spillover_leverage == 0.0).all()


def test_under_a_placebo_observed_is_pure_selection_and_matched_removes_it(placebo_runs):
    observed_f = np.mean([float(ds.premium_frugality.sel(view="observed")) for ds in placebo_runs])
    observed_d = np.mean([float(ds.premium_durability.sel(view="observed")) for ds in placebo_runs])
    matched_f = np.mean([float(ds.premium_frugality.sel(view="matched")) for ds in placebo_runs])
    matched_d = np.mean([float(ds.premium_durability.sel(view="matched")) for ds in placebo_runs])
    # Selection alone makes the naive comparison look like a large premium ...
    assert observed_f > 1.4
    assert observed_d > 1.4
    # ... which the matched design brings back within sampling noise of 1.
    assert matched_f == pytest.approx(1.0, abs=0.1)
    assert matched_d == pytest.approx(1.0, abs=0.2)
    # The observed premium is then exactly its selection term.
    for ds in placebo_runs:
        assert float(ds.selection_frugality) == float(ds.premium_frugality.sel(view="observed"))


def test_observed_is_effect_on_backed_times_selection_and_causal_adds_spillover():
    ds = run(small_config(seed=2, budget_eur=3e6))
    for ratio in ("frugality", "durability"):
        premium = ds[f"premium_{ratio}"]
        assert float(premium.sel(view="observed")) == pytest.approx(
            float(premium.sel(view="effect_on_backed")) * float(ds[f"selection_{ratio}"])
        )
    leverage = ds.premium_leverage
    np.testing.assert_allclose(
        leverage.sel(view="observed"),
        leverage.sel(view="effect_on_backed") + ds.selection_leverage,
    )
    np.testing.assert_allclose(
        leverage.sel(view="causal"),
        leverage.sel(view="effect_on_backed") + ds.spillover_leverage,
    )
    np.testing.assert_allclose(
        leverage.sel(measure="net"),
        leverage.sel(measure="value") - leverage.sel(measure="resources"),
    )
    # A real fund: its backed projects gain, and its twins were mostly found.
    assert float(leverage.sel(view="effect_on_backed", measure="value")) > 0
    assert float(ds.premium_durability.sel(view="effect_on_backed")) > 1.0
    assert float(ds.twins_found_share) > 0.8


def test_twins_of_an_innovation_only_fund_are_the_same_projects():
    """Innovation grants act after birth, so every backed project's twin exists, same members."""
    config = small_config(seed=3, budget_eur=3e6)
    config.fund.strategy.shares = {"engineering": 0.0, "innovation": 1.0, "structural": 0.0}
    ds = run(config)
    assert float(ds.twins_found_share) == 1.0
    assert float(ds.twins_same_members_share) == 1.0


def test_the_grant_counts_in_diversification_only_while_it_is_paid():
    config = small_config(seed=1, budget_eur=3e6)
    treated = AllianceModel(config).run()
    p = treated.projects
    backed = np.flatnonzero(p.column("backed"))
    assert (p.diversification_granted[backed] != p.diversification[backed]).all()
    # Replay the cumulative hazard of long-lived backed projects: D with the grant for
    # grant_steps steps from the landmark, the project's own D afterwards.
    survival = config.model.survival
    long_lived = backed[(p.death[backed] < 0)]
    assert long_lived.size > 0
    for row in long_lived[:5]:
        steps = config.scenario.n_steps - p.birth[row]
        granted = np.zeros(steps, dtype=bool)
        start = p.backed_step[row] - p.birth[row]
        granted[start : start + config.fund.grant_steps] = True
        factor = np.where(np.arange(steps) >= start, survival.backing_hazard_factor, 1.0)
        d = np.where(granted, p.diversification_granted[row], p.diversification[row])
        expected = (
            survival.base_hazard
            * np.exp(
                -survival.quality_effect * p.quality[row] - survival.diversification_effect * d
            )
            * factor
        ).sum()
        assert p.cumulative_hazard[row] == pytest.approx(expected, rel=1e-12)


def test_the_counterfactual_differs_only_in_its_budget():
    config = small_config(seed=1)
    config.fund.placebo = True
    counterfactual = counterfactual_config(config)
    assert counterfactual.fund.budget_eur == 0.0
    assert counterfactual.scenario == config.scenario
    assert counterfactual.model == config.model


def test_freeing_the_stepping_state_leaves_the_dataset_as_it_was():
    """`run()` frees each world's organisations once it has run; the measures never read them."""
    from simulation.run import measure

    config = small_config(seed=4)
    kept = measure(AllianceModel(config).run(), AllianceModel(counterfactual_config(config)).run())
    freed = run(config)
    assert freed.identical(kept)

    world = AllianceModel(config).run().free_stepping_state()
    assert not hasattr(world, "population") and not hasattr(world, "load")
    with pytest.raises(AttributeError):
        world.step()  # its organisations are gone: it cannot step again
