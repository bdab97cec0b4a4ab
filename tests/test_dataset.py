import json

import numpy as np

from simulation import __version__, run

from .conftest import small_config


def test_every_variable_and_coordinate_is_described():
    ds = run(small_config())
    for name, variable in ds.data_vars.items():
        assert variable.attrs.get("units"), name
        assert variable.attrs.get("long_name"), name
        assert len(variable.attrs.get("description", "")) > len(variable.attrs["long_name"]), name
    for name, coordinate in ds.coords.items():
        assert coordinate.attrs.get("long_name"), name
    assert ds.time.attrs["units"] == "1"
    assert ds.year.attrs["units"] == "year"
    assert list(ds.premium_leverage.view.values) == [
        "observed",
        "matched",
        "effect_on_backed",
        "causal",
    ]
    assert list(ds.premium_leverage.measure.values) == ["value", "net", "resources"]


def test_value_is_credited_to_every_member_and_adds_up():
    config = small_config()
    config.accounting.value_persistence_per_step = 0.5
    ds = run(config)
    by_member = ds.value_by_profile.sum("profile")
    by_lead = ds.value_by_lead_profile.sum("profile")
    total = ds.value_created.sum("territory")
    np.testing.assert_allclose(by_member, total, rtol=1e-10)
    np.testing.assert_allclose(by_lead, total, rtol=1e-10)
    # companies and foundations rarely lead but often partner: credited more as members
    funders = ["company", "foundation"]
    assert float(ds.value_by_profile.sel(profile=funders).sum()) > float(
        ds.value_by_lead_profile.sel(profile=funders).sum()
    )


def test_plausibility_and_budget_figures():
    ds = run(small_config())
    share = ds.value_below_resources_share.sel(world="treated")
    assert ((share >= 0) & (share <= 1)).all()
    per_eur = ds.value_per_eur_of_resources.sel(world="treated")
    # alliances are more frugal, so they create more value per euro than solo projects
    assert per_eur.sel(project_type="alliance") > per_eur.sel(project_type="solo")
    paid = float(ds.fund_spending.sel(world="treated").sum())
    assert float(ds.budget_paid_share) == paid / 1.5e6
    extra = float(
        ds.value_created_pv.sel(world="treated") - ds.value_created_pv.sel(world="counterfactual")
    )
    assert float(ds.value_per_eur_budgeted) == extra / 1.5e6


def test_provenance_is_in_the_attributes():
    config = small_config(seed=9)
    ds = run(config)
    assert ds.attrs["seed"] == 9
    assert ds.attrs["package_version"] == __version__ != "unknown"
    stored = json.loads(ds.attrs["config_json"])
    assert stored["scenario"]["n_organisations"] == 1500
    assert stored["fund"]["strategy"]["name"] == "uniform"


def test_time_series_add_up():
    ds = run(small_config())
    treated = ds.sel(world="treated")
    shares = treated.maturity_share.sum("maturity_level").values
    np.testing.assert_allclose(shares, 1.0)
    assert (treated.active_alliances <= treated.active_projects).all()
    spent = float(treated.fund_spending.sum())
    assert 0 < spent <= 1.5e6
