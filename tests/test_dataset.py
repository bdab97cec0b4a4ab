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
    assert set(ds.premium_leverage.view.values) == {"observed", "causal"}


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
