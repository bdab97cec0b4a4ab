import numpy as np

from calibration.config import MOMENTS, Target
from calibration.loss import loss, scaled_log_ratios

TARGETS = {
    "frugality": Target(2.0, 0.1),
    "durability": Target(3.0, 0.1),
    "maturity_4": Target(0.03, 0.5),
}


def moments(**values):
    m = np.ones(len(MOMENTS))
    for name, value in values.items():
        m[MOMENTS.index(name)] = value
    return m


def test_loss_is_zero_on_target_and_at_most_one_within_tolerance():
    assert loss(moments(frugality=2.0, durability=3.0, maturity_4=0.03), TARGETS, 0.005) == 0.0
    within = moments(frugality=2.0 * 1.09, durability=3.0 / 1.09, maturity_4=0.03 * 1.4)
    assert loss(within, TARGETS, 0.005) < 1.0
    outside = moments(frugality=2.0 * 1.3, durability=3.0, maturity_4=0.03)
    assert loss(outside, TARGETS, 0.005) > 1.0


def test_log_ratios_treat_too_high_and_too_low_alike():
    high = scaled_log_ratios(moments(frugality=4.0, durability=3.0, maturity_4=0.03), TARGETS, 0)
    low = scaled_log_ratios(moments(frugality=1.0, durability=3.0, maturity_4=0.03), TARGETS, 0)
    np.testing.assert_allclose(high, -low)


def test_a_zero_share_is_floored_and_a_missing_ratio_is_infinitely_bad():
    zero_share = moments(frugality=2.0, durability=3.0, maturity_4=0.0)
    assert np.isfinite(loss(zero_share, TARGETS, 0.005))
    undefined = moments(frugality=np.nan, durability=3.0, maturity_4=0.03)
    assert loss(undefined, TARGETS, 0.005) == np.inf


def test_shares_below_the_floor_count_as_equal_on_both_sides():
    """A target share under the floor must not make the truth look wrong."""
    targets = {"maturity_4": Target(0.002, 0.1)}
    assert loss(moments(maturity_4=0.0), targets, 0.005) == 0.0
    assert loss(moments(maturity_4=0.002), targets, 0.005) == 0.0
