"""The posterior predictive check counts worlds that round to each reported figure."""

import numpy as np
import pytest

from calibration.config import MOMENTS, Target
from calibration.predictive import predictive_check, predictive_table


def worlds(frugality: list[float], seeds: int = 1) -> np.ndarray:
    moments = np.full((len(frugality) // seeds, seeds, len(MOMENTS)), 1.0)
    moments[:, :, 0] = np.reshape(frugality, (-1, seeds))
    return moments


def test_a_world_reproduces_a_figure_when_it_rounds_to_it():
    targets = {"frugality": Target(value=2.0, tolerance=0.1, precision=1.0)}
    rows = predictive_check(worlds([1.5, 2.49, 2.51, 1.2, np.nan]), targets)
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
    (row,) = predictive_check(worlds([1.2, 2.8, 2.0, 2.1], seeds=2), targets)
    assert row.within_precision == 1.0
    assert row.worlds_within_precision == pytest.approx(0.5)
    assert row.reproduced


def test_eighty_percent_of_worlds_reproduce():
    targets = {"frugality": Target(value=2.0, tolerance=0.1, precision=1.0)}
    (row,) = predictive_check(worlds([2.0, 2.1, 1.9, 2.2, 3.0]), targets)
    assert row.within_precision == pytest.approx(0.8)
    assert row.reproduced


def test_the_shape_is_checked():
    with pytest.raises(ValueError, match="shape"):
        predictive_check(np.ones((3, len(MOMENTS))), {})
