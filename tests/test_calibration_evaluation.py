import json

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


def test_a_save_appends_only_the_new_evaluations(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        e.moments(np.array([[1.0]]), seeds=[1, 2])
        first = path.read_bytes()
        e.moments(np.array([[1.0], [2.0]]), seeds=[1, 2])
    lines = path.read_text().splitlines()
    assert path.read_bytes().startswith(first)  # appended, not rewritten
    assert len(lines) == 1 + 4  # the header, then one line per evaluation
    assert json.loads(lines[0]) == {"fingerprint": fingerprint("test", PATHS)}


def test_a_write_cut_short_loses_its_last_line_only(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        expected = e.moments(np.array([[1.0], [2.0]]), seeds=[1])
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the last evaluation's line without its end
    with evaluator(path) as resumed:
        again = resumed.moments(np.array([[1.0], [2.0]]), seeds=[1])
        assert resumed.new_evaluations == 1  # the cut line is simulated again
    np.testing.assert_array_equal(again, expected)
    assert path.read_bytes() == whole  # cut from the file, then appended again


def test_a_line_that_is_not_an_evaluation_is_refused_naming_it(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        e.moments(np.array([[1.0]]), seeds=[1, 2])
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + '{"theta": ["0x1.0p+0"], "seed": 1}\n' + lines[2])
    with pytest.raises(ValueError, match=r"line 2, is not an evaluation"):
        Checkpoint(path, fingerprint("test", PATHS))
    path.write_text("not json\n")
    with pytest.raises(ValueError, match="is not a calibration checkpoint"):
        Checkpoint(path, fingerprint("test", PATHS))


def test_a_checkpoint_in_the_earlier_form_is_read_and_rewritten(tmp_path):
    path = tmp_path / "checkpoint.json"
    with evaluator(path) as e:
        expected = e.moments(np.array([[1.0]]), seeds=[1, 2])
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    earlier = {"fingerprint": fingerprint("test", PATHS), "evaluations": records, "stages": {}}
    path.write_text(json.dumps(earlier))  # one JSON object, no end of line
    with evaluator(path) as resumed:
        np.testing.assert_array_equal(resumed.moments(np.array([[1.0]]), seeds=[1, 2]), expected)
        assert resumed.new_evaluations == 0
    assert len(path.read_text().splitlines()) == 1 + 2
