import numpy as np
import pytest
import xarray as xr

from experiments import load_config
from simulation import run
from simulation.config import ConfigError
from simulation.discounting import discount_factors

from .conftest import SMALL_OVERRIDES


def test_a_constant_rate_compounds_yearly():
    years = np.array([0.0, 1.0, 2.5])
    np.testing.assert_allclose(discount_factors(years, 0.032), 1.032**-years)


def test_the_green_book_schedule_declines_after_thirty_years():
    factors = discount_factors(np.array([0.0, 30.0, 31.0, 40.0, 80.0]), 0.035, "green_book")
    assert factors[0] == 1.0
    assert factors[1] == pytest.approx(1.035**-30)
    assert factors[2] == pytest.approx(1.035**-31)  # year 31 is still discounted at 3.5 %
    assert factors[3] == pytest.approx(1.035**-31 * 1.030**-9)
    assert factors[4] == pytest.approx(1.035**-31 * 1.030**-45 * 1.025**-4)


@pytest.mark.parametrize(
    ("preset", "rate", "schedule"),
    [
        ("default", 0.045, "constant"),
        ("france_strategie_2021", 0.032, "constant"),
        ("green_book", 0.035, "green_book"),
        ("quinet_2013", 0.045, "constant"),
    ],
)
def test_each_preset_composes_and_the_dataset_records_its_factors(preset, rate, schedule):
    config = load_config([*SMALL_OVERRIDES, f"accounting={preset}"])
    assert config.accounting.discount_rate_per_year == rate
    assert config.accounting.discount_schedule == schedule
    if preset == "france_strategie_2021":
        dataset = run(config)
        assert dataset.attrs["discount_rate_per_year"] == 0.032
        # A step's flow is discounted from its start; `year` marks its end.
        start = dataset.year - dataset.year[0]
        np.testing.assert_allclose(dataset.discount_factor, 1.032**-start)
        # Present values are the recorded factors applied to the flows.
        treated = dataset.sel(world="treated")
        spent = (treated.fund_spending.sum("instrument") * dataset.discount_factor).sum()
        assert float(spent) == pytest.approx(float(treated.fund_invested_pv))


def test_a_wrong_schedule_or_a_green_book_at_another_rate_is_refused():
    with pytest.raises(ConfigError, match="discount_schedule"):
        load_config([*SMALL_OVERRIDES, "accounting.discount_schedule=hyperbolic"])
    with pytest.raises(ConfigError, match=r"discount_rate_per_year = 0\.04"):
        load_config(
            [*SMALL_OVERRIDES, "accounting=green_book", "accounting.discount_rate_per_year=0.04"]
        )


def test_a_lower_rate_raises_present_values():
    low = run(load_config([*SMALL_OVERRIDES, "accounting=france_strategie_2021", "seed=2"]))
    high = run(load_config([*SMALL_OVERRIDES, "accounting=quinet_2013", "seed=2"]))
    assert (low.value_created_pv > high.value_created_pv).all()
    xr.testing.assert_equal(low.value_created, high.value_created)  # flows do not change
