"""Simulation-based calibration: the posterior's credible intervals cover the truth."""

import pytest

from calibration.config import Target
from calibration.coverage import rounded, simulation_based_calibration
from experiments.calibrating.coverage import REDUCED
from experiments.config.schema import load_calibration_config

SMALL_WORLD = REDUCED


def test_figures_are_rounded_as_the_field_reports_them():
    assert rounded(2.4, Target(2.0, precision=1.0)) == 2.0
    assert rounded(0.634, Target(0.63, precision=0.01)) == pytest.approx(0.63)


@pytest.mark.slow
def test_ninety_percent_intervals_hold_the_truth_about_ninety_percent_of_the_time():
    """The default calibration's 25 sampled parameters, each truth drawn as a whole.

    About 5.5 minutes on 2 cores (measured 2026-12-07: 148 of 175 intervals, 85 %,
    7 of 12 truths valid); docs/calibration/coverage.md has 20 truths at the
    calibration's own particles.
    """
    config = load_calibration_config(SMALL_WORLD)
    result = simulation_based_calibration(config, truths=12, progress=print)
    # A truth whose world has a moment of 0 (often the level-4 share on 27 territories)
    # is skipped: 5 to 7 of 12 are, so at least 4 must remain (100 intervals).
    assert result.covered.size >= 100
    print(f"coverage {result.rate:.2f} over {result.covered.size} intervals")
    # A correct posterior gives 0.9; the intervals of one truth are correlated, so the
    # bound is wider than a binomial one (about 0.85-0.95 for 175 intervals).
    assert 0.75 <= result.rate <= 1.0
