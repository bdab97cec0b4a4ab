"""The sampled space: free parameters, then joint priors, log coordinates where log-uniform."""

import numpy as np
import pytest

from calibration.space import SampledSpace
from experiments.config.schema import load_calibration_config

HALF_SATURATION = "model.engineering.grant_half_saturation_eur_per_organisation"


def test_without_joint_priors_only_the_free_parameters_are_sampled():
    overrides = ["calibration.joint_priors=false"]
    space = SampledSpace.of(load_calibration_config(overrides).calibration)
    assert len(space.names) == 6 and not space.log_scale.any()
    middle = space.from_unit(np.full(6, 0.5))
    np.testing.assert_allclose(middle, (space.lower + space.upper) / 2)


def test_the_default_samples_every_prior_and_log_uniform_ones_in_logs():
    space = SampledSpace.of(load_calibration_config([]).calibration)
    assert len(space.names) == 25  # 6 free, 19 priors, all jointly
    j = space.names.index(HALF_SATURATION)
    assert space.log_scale[j] and (space.lower[j], space.upper[j]) == (75.0, 1200.0)
    # The middle of the unit cube is the geometric middle of a log-uniform prior.
    middle = space.from_unit(np.full(len(space.names), 0.5))
    assert middle[j] == pytest.approx(300.0)
    # A uniform draw of the cube is a draw of the prior: a quarter of it below 150 EUR.
    draws = space.from_unit(np.random.default_rng(0).random((20_000, len(space.names))))
    assert np.mean(draws[:, j] < 150.0) == pytest.approx(0.25, abs=0.01)
    assert ((draws >= space.lower - 1e-9) & (draws <= space.upper + 1e-9)).all()
    np.testing.assert_allclose(space.natural(space.sampling(draws)), draws)
