import numpy as np
import pytest

from calibration.evaluation import Checkpoint, Evaluator, fingerprint
from calibration.moments import replicate_moments

from .conftest import small_config

PATHS = ["model.production.frugality_gain"]


def evaluator(path, workers=1) -> Evaluator:
    checkpoint = Checkpoint(path, fingerprint("test", PATHS))
    return Evaluator(small_config(), PATHS, 2.0, checkpoint, workers)


def test_evaluations_are_the_simulated_moments_and_are_checkpointed(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        got = e.moments(np.array([[2.5], [0.5]]), seeds=[3, 4])
        assert e.new_evaluations == 4
    config = small_config()
    config.model.production.frugality_gain = 2.5
    np.testing.assert_array_equal(got[0], replicate_moments(config, [3, 4], 2.0))
    with evaluator(path) as resumed:
        again = resumed.moments(np.array([[2.5], [0.5]]), seeds=[3, 4])
        assert resumed.new_evaluations == 0  # all from the checkpoint
    np.testing.assert_array_equal(again, got)


def test_parallel_and_serial_evaluations_agree(tmp_path):
    thetas = np.array([[1.0], [3.0]])
    with evaluator(tmp_path / "a.json", workers=1) as serial:
        expected = serial.moments(thetas, seeds=[5, 6])
    with evaluator(tmp_path / "b.json", workers=2) as parallel:
        np.testing.assert_array_equal(parallel.moments(thetas, seeds=[5, 6]), expected)


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        e.moments(np.array([[1.0]]), seeds=[1])
    with pytest.raises(ValueError, match="different calibration config"):
        Checkpoint(path, fingerprint("something else"))
