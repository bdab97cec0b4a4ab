"""The posterior predictive check counts worlds that round to each reported figure."""

import math

import numpy as np
import pytest

from calibration.config import MOMENTS, Target
from calibration.predictive import attainable_share, predictive_check, predictive_table


def worlds(frugality: list[float], seeds: int = 1) -> np.ndarray:
    moments = np.full((len(frugality) // seeds, seeds, len(MOMENTS)), 1.0)
    moments[:, :, 0] = np.reshape(frugality, (-1, seeds))
    return moments


def test_a_world_reproduces_a_figure_when_it_rounds_to_it():
    targets = {"frugality": Target(value=2.0, tolerance=0.1, precision=1.0)}
    rows = predictive_check(worlds([1.5, 2.49, 2.51, 1.2, np.nan]), targets, 20)
    (row,) = rows
    assert row.worlds == 4  # the NaN world has no figure
    assert row.within_precision == pytest.approx(0.5)  # 1.5 and 2.49
    assert row.within_tolerance == 0.0  # none within 10 % of 2
    assert row.p_value == pytest.approx(0.5)  # 1.5 and 1.2 below 2
    assert not row.reproduced
    assert "| frugality | 2 | [1.5, 2.5] | 50% | 50% |" in "\n".join(predictive_table(rows))


def test_draws_are_judged_on_their_mean_over_seeds_and_worlds_one_by_one():
    targets = {"frugality": Target(value=2.0, tolerance=0.1, precision=1.0)}
    # Two draws, two seeds each: draw means 2.0 and 2.05; single worlds 1.2 and 2.9 miss.
    (row,) = predictive_check(worlds([1.2, 2.8, 2.0, 2.1], seeds=2), targets, 20)
    assert row.within_precision == 1.0
    assert row.worlds_within_precision == pytest.approx(0.5)
    assert row.reproduced


def test_eighty_percent_of_worlds_reproduce():
    targets = {"frugality": Target(value=2.0, tolerance=0.1, precision=1.0)}
    (row,) = predictive_check(worlds([2.0, 2.1, 1.9, 2.2, 3.0]), targets, 20)
    assert row.within_precision == pytest.approx(0.8)
    assert row.reproduced


def test_the_shape_is_checked():
    with pytest.raises(ValueError, match="shape"):
        predictive_check(np.ones((3, len(MOMENTS))), {}, 20)


LEVERAGE = {"frugality": Target(value=7.0, tolerance=0.1, precision=1.0)}


def posterior_worlds(spread: float, world_sd: float, draws: int, seeds: int, rng) -> np.ndarray:
    """Draws whose expectation is spread around 7 by `spread`, worlds around it by `world_sd`."""
    expected = 7.0 + spread * rng.standard_normal(draws)
    return worlds(
        list((expected[:, None] + world_sd * rng.standard_normal((draws, seeds))).ravel()), seeds
    )


def test_a_correct_posterior_gives_the_attainable_share_and_a_wider_one_falls_short():
    rng = np.random.default_rng(0)
    world_sd, replicates, seeds, draws = 0.9, 20, 6, 4000
    # A correct posterior: the expectation known to one world's noise, rounding and R seeds.
    right = np.sqrt(world_sd**2 * (1 + 1 / replicates) + 1.0 / 12)
    (row,) = predictive_check(
        posterior_worlds(right, world_sd, draws, seeds, rng), LEVERAGE, replicates
    )
    assert row.world_sd == pytest.approx(world_sd, rel=0.02)
    assert row.attainable == pytest.approx(0.37, abs=0.02)  # far below the 80 % bar
    assert row.within_precision == pytest.approx(row.attainable, abs=0.025)
    assert not row.reproduced and row.as_data_allow
    # Twice as wide (uncertain parameters the figure would rule out): below what the data allow.
    (wide,) = predictive_check(
        posterior_worlds(2 * right, world_sd, draws, seeds, rng), LEVERAGE, replicates
    )
    assert wide.attainable == pytest.approx(row.attainable, abs=0.02)
    assert wide.within_precision < row.attainable - 0.1
    assert not wide.as_data_allow
    table = "\n".join(predictive_table([row, wide]))
    assert "| no | 37% | yes |" in table and table.count("| no |") == 3
    assert "a correct posterior gives" not in "\n".join(predictive_table([row], judged=False))


def test_the_attainable_share_follows_its_formula():
    # No world noise, infinite seeds: only the rounding, uniform on +-p/2 taken as normal.
    assert attainable_share(0.0, 1.0, 10**9, 10**9) == pytest.approx(0.9167, abs=1e-4)
    # One world's sd equal to the precision, R = 20, n = 6: tau^2 = 1 + 1/20 + 1/6 + 1/12.
    tau = np.sqrt(1 + 1 / 20 + 1 / 6 + 1 / 12)
    expected = 2 * (0.5 * (1 + math.erf(0.5 / tau / np.sqrt(2)))) - 1
    assert attainable_share(1.0, 1.0, 20, 6) == pytest.approx(expected)
    assert np.isnan(attainable_share(np.nan, 1.0, 20, 6))
    with pytest.raises(ValueError, match="at least 1"):
        attainable_share(1.0, 1.0, 0, 6)


def test_one_seed_a_draw_leaves_the_attainable_share_unknown():
    (row,) = predictive_check(worlds([7.0, 9.0, 5.0]), LEVERAGE, 20)
    assert np.isnan(row.world_sd) and np.isnan(row.attainable)
    assert not row.as_data_allow  # 33 % of draws, and nothing to excuse it
    assert "| - | no |" in "\n".join(predictive_table([row]))
