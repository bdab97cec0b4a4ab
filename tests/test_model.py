import numpy as np
import xarray as xr

from simulation import AllianceModel, run
from simulation.territories import Territory

from .conftest import small_config


def test_same_seed_gives_identical_datasets():
    a = run(small_config(seed=4))
    b = run(small_config(seed=4))
    xr.testing.assert_identical(a, b)


def test_different_seeds_give_different_numbers():
    a = run(small_config(seed=4))
    b = run(small_config(seed=5))
    assert not np.array_equal(a.value_created.values, b.value_created.values)


def test_zero_budget_makes_the_two_worlds_identical_and_the_premium_neutral():
    ds = run(small_config(budget_eur=0.0))
    treated, counterfactual = ds.sel(world="treated"), ds.sel(world="counterfactual")
    for name in ("value_created", "resources_used", "engineering_capacity", "maturity", "trust"):
        np.testing.assert_array_equal(treated[name].values, counterfactual[name].values)
    causal = ds.sel(view="causal")
    assert causal.premium_frugality == 1.0
    assert causal.premium_durability == 1.0
    assert np.isnan(causal.premium_leverage).all()  # nothing invested: undefined
    assert int(ds.backed_projects) == 0
    assert np.isnan(ds.sel(view="observed").premium_leverage).all()


def test_common_random_numbers_keep_untouched_territories_identical():
    """Engineering grants to small territories must not change the draws elsewhere."""
    from tests.test_fund import strategy

    config = small_config(strategy=strategy("small_territories"))
    config.fund.strategy.shares = {"engineering": 1.0, "innovation": 0.0, "structural": 0.0}
    ds = run(config)
    large = ds.size_class != "small"
    treated = ds.value_created.sel(world="treated").where(large, drop=True)
    counterfactual = ds.value_created.sel(world="counterfactual").where(large, drop=True)
    np.testing.assert_array_equal(treated.values, counterfactual.values)
    small = ds.size_class == "small"
    assert not np.array_equal(
        ds.value_created.sel(world="treated").where(small, drop=True).values,
        ds.value_created.sel(world="counterfactual").where(small, drop=True).values,
    )


def test_zero_quality_weights_give_alliances_the_value_of_solo_projects():
    config = small_config()
    q = config.model.quality
    q.weight_engineering = q.weight_trust = q.weight_complementarity = 0.0
    model = AllianceModel(config).run()
    p = model.projects
    fragility = model.territories.fragility[p.column("territory"), p.column("domain")]
    assert p.column("alliance").any()
    np.testing.assert_allclose(p.column("value_per_eur"), 0.5 + fragility, rtol=1e-12)
    assert (p.column("mobilised_eur") == 0).all()


def test_alliance_quality_makes_backed_projects_more_frugal_and_durable():
    ds = run(small_config(seed=1, budget_eur=3e6))
    observed = ds.sel(view="observed")
    assert observed.premium_frugality > 1.0
    assert observed.premium_durability > 1.0
    assert (observed.premium_leverage.sel(measure=["value", "resources"]) > 0.0).all()


def test_territories_and_fund_are_mesa_agents_with_state_views():
    model = AllianceModel(small_config())
    territories = model.agents_by_type[Territory]
    assert len(territories) == 12
    first = next(iter(territories))
    assert first.engineering_capacity == model.territories.engineering[first.index]
    assert first.size_class in {"small", "medium", "large"}
    assert 1 <= first.maturity <= 4


def test_organisation_counts_and_pillars():
    model = AllianceModel(small_config())
    pop = model.population
    assert pop.size == 1500
    assert (pop.territory_count >= 1).all()
    assert (np.diff(pop.territory) >= 0).all()  # sorted: territories are contiguous blocks
    assert (pop.pillar_eur >= 0).all()


def test_shared_pillars_recomputed_only_where_loads_changed_equal_a_full_recomputation():
    """The model recomputes the shared pillars of projects whose members' loads changed;
    every active project must hold what a recomputation of all of them gives, bit for bit."""
    from simulation.capacity import shared_resources

    model = AllianceModel(small_config(seed=3))
    for _ in range(12):
        model.run_for(1)
        p, rows = model.projects, model._active
        own, mobilised, shares = shared_resources(
            np.take(p.members, rows, axis=0),
            p.quality[rows],
            model.load,
            model.population.pillar_eur,
            model.config.model.production.mobilisation,
        )
        model._share_pillars()  # this step's ended projects left: loads changed again
        np.testing.assert_array_equal(p.own_eur[rows], own)
        np.testing.assert_array_equal(p.mobilised_eur[rows], mobilised)
        np.testing.assert_array_equal(p.member_share[rows], shares)
