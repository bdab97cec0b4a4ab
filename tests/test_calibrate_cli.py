"""`alliance-calibrate` refuses bad input as `alliance-run` does: one line, exit 2, nothing left."""

import subprocess
import sys
from pathlib import Path

import pytest

from . import test_refusals

CALIBRATE = str(Path(sys.executable).parent / "alliance-calibrate")
broken_configs = test_refusals.broken_configs  # the fixture: configs/ with broken fund options


def calibrate_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CALIBRATE, *args], cwd=folder, capture_output=True, text=True, timeout=120
    )


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("alliance-calibrate: invalid"), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("foo=1", ["foo is not a key"]),
        ("calibration.maxitr=3", ["did you mean calibration.maxiter?"]),
        ("calibration.maxiter=abc", ["calibration.maxiter = 'abc'", "allowed: an integer"]),
        ("calibration.maxiter=-3", ["calibration.maxiter", "allowed: an integer >= 1"]),
        (
            "calibration=nonexistent",
            ["calibration = nonexistent; allowed: default, targets"],
        ),
        ("scenario=nope", ["scenario = nope; allowed: default, national"]),
        ("seed=abc", ["seed = 'abc'", "allowed: an integer"]),
        ("~seed", ["~seed", "cannot be deleted"]),
        ("seed=[1", ["invalid override 'seed=[1'"]),
        ("hydra.run.dir=/proc/self/x", ["hydra.run.dir = /proc/self/x cannot be created"]),
    ],
)
def test_a_bad_override_is_one_line_and_leaves_nothing(tmp_path, override, words):
    assert_refused(calibrate_in(tmp_path, override), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("tab", ["invalid config file", "fund/tab.yaml, line 2"]),
        ("emptied", ["invalid config file", "fund/emptied.yaml: it is empty"]),
    ],
)
def test_a_bad_config_file_is_one_line_and_leaves_nothing(broken_configs, tmp_path, option, words):
    result = calibrate_in(tmp_path, f"--config-path={broken_configs}", f"fund={option}")
    assert_refused(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_depends_on_what_its_evaluations_depend_on_only():
    from experiments.calibrating.calibrate import checkpoint_fingerprint
    from experiments.config.schema import load_calibration_config

    base = checkpoint_fingerprint(load_calibration_config([]))
    elsewhere = [
        "calibration.name=other",
        "calibration.output=/tmp/x.yaml",
        "calibration.report_dir=/tmp/report",
        "calibration.posterior_draws=7",
    ]
    assert checkpoint_fingerprint(load_calibration_config(elsewhere)) == base
    for changed in ("calibration.posterior_moves=2", "scenario.n_organisations=5000"):
        assert checkpoint_fingerprint(load_calibration_config([changed])) != base, changed
