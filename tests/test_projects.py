import numpy as np

from simulation.config import ProductionConfig, SurvivalConfig
from simulation.projects import diversification, hazard, value_per_eur


def test_zero_quality_gives_no_frugality_gain():
    cfg = ProductionConfig(frugality_gain=3.0)
    fragility = np.array([0.2, 0.7])
    solo = value_per_eur(np.zeros(2), fragility, cfg)
    np.testing.assert_array_equal(solo, cfg.productivity * (0.5 + fragility))
    assert (value_per_eur(np.full(2, 0.5), fragility, cfg) > solo).all()


def test_hazard_falls_with_quality_diversification_and_backing():
    cfg = SurvivalConfig()
    base = hazard(np.array([0.0]), np.array([0.0]), np.array([False]), cfg)[0]
    assert base == cfg.base_hazard
    assert hazard(np.array([0.5]), np.array([0.0]), np.array([False]), cfg)[0] < base
    assert hazard(np.array([0.0]), np.array([0.5]), np.array([False]), cfg)[0] < base
    backed = hazard(np.array([0.0]), np.array([0.0]), np.array([True]), cfg)[0]
    assert backed == base * cfg.backing_hazard_factor


def test_diversification_is_zero_for_one_source_and_grows_with_spread():
    one = diversification(np.array([[5.0, 0.0, 0.0, 0.0]]))[0]
    two = diversification(np.array([[5.0, 5.0, 0.0, 0.0]]))[0]
    four = diversification(np.array([[5.0, 5.0, 5.0, 5.0]]))[0]
    assert one == 0.0
    assert two == 0.5
    assert four == 0.75
