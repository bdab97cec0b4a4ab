"""The `alliance-run` command as a user runs it (in a subprocess, from a scratch folder)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from hydra._internal.hydra import Hydra

from experiments.cli.run import mode_from_command_line, mode_only_on_command_line
from experiments.config.schema import CONFIG_DIR
from simulation import RunConfig

from .conftest import SMALL_OVERRIDES

# The console script installed beside the interpreter running the tests.
RUN = str(Path(sys.executable).parent / "alliance-run")


def alliance_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RUN, *args, f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/multi"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_writes_a_dataset_and_prints_the_summary(tmp_path):
    result = alliance_run(tmp_path, *SMALL_OVERRIDES, "fund/strategy=small_territories", "seed=3")
    assert result.returncode == 0, result.stderr
    assert "frugality" in result.stdout and "causal" in result.stdout
    lines = result.stdout.strip().splitlines()
    assert lines[2].startswith("In short: the fund paid")  # the answer first
    # The dataset's path once, last: not again in a log line after it.
    assert lines[-1] == f"dataset: {tmp_path / 'run' / 'dataset.nc'}"
    assert "dataset.nc" not in result.stderr
    with xr.open_dataset(tmp_path / "run" / "dataset.nc") as ds:
        assert ds.attrs["strategy"] == "small_territories"
        assert ds.attrs["seed"] == 3
        assert "fund/strategy=small_territories" in ds.attrs["hydra_overrides"]
        assert ds.sizes["territory"] == 10
    assert not list((tmp_path / "run").glob(".*.tmp-*"))


def test_python_and_the_command_line_give_the_same_numbers(tmp_path):
    from experiments import load_config
    from simulation import run

    overrides = [*SMALL_OVERRIDES, "fund/strategy=concentrated", "seed=5"]
    result = alliance_run(tmp_path, *overrides)
    assert result.returncode == 0, result.stderr
    from_python = run(load_config(overrides))
    with xr.open_dataset(tmp_path / "run" / "dataset.nc") as from_cli:
        xr.testing.assert_equal(from_cli.load(), from_python)
        assert from_cli.attrs["config_json"] == from_python.attrs["config_json"]
    # the calibrated set is part of both: not the raw assumptions of RunConfig()
    assert load_config([]).model.production != RunConfig().model.production


def test_the_placebo_switch_on_the_command_line(tmp_path):
    result = alliance_run(tmp_path, *SMALL_OVERRIDES, "fund.placebo=true", "fund.budget_eur=3e5")
    assert result.returncode == 0, result.stderr
    assert "PLACEBO" in result.stdout
    with xr.open_dataset(tmp_path / "run" / "dataset.nc") as ds:
        assert (ds.premium_leverage.sel(view="causal") == 0).all()


def test_a_misspelt_key_is_refused_with_or_without_plus(tmp_path):
    for override in ("model.production.frugality_gian=5", "+model.production.frugality_gian=5"):
        result = alliance_run(tmp_path, *SMALL_OVERRIDES, override)
        assert result.returncode != 0, override
        assert "frugality_gian" in result.stderr
    assert "did you mean model.production.frugality_gain" in result.stderr
    assert not (tmp_path / "run").exists()


def test_bad_config_fails_before_anything_is_written(tmp_path):
    result = alliance_run(tmp_path, *SMALL_OVERRIDES, "fund.budget_eur=-1")
    assert result.returncode != 0
    assert "fund.budget_eur" in result.stderr and "allowed" in result.stderr
    assert not (tmp_path / "run").exists()


def test_unknown_strategy_lists_the_available_ones(tmp_path):
    result = alliance_run(tmp_path, "fund/strategy=everything")
    assert result.returncode != 0
    assert "maturity_matched" in result.stderr
    assert not (tmp_path / "run").exists()


def test_multirun_writes_one_dataset_per_job(tmp_path):
    result = alliance_run(tmp_path, "-m", *SMALL_OVERRIDES, "seed=1,2")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "multi").glob("*/dataset.nc"))) == 2


CALIBRATE = str(Path(sys.executable).parent / "alliance-calibrate")
TINY_CALIBRATION = [
    *SMALL_OVERRIDES,
    "calibration.name=tiny",
    "calibration.maxiter=1",
    "calibration.popsize=1",
    "calibration.seeds=[1]",
    "calibration.holdout_seeds=[2]",
    "calibration.covariance_seeds=[10,11,12,13,14,15,16,17,18,19,20,21]",
    "calibration.optimiser_replicates=1",
    "calibration.maturity_observation_year=2",
    "calibration.posterior_particles=8",
    "calibration.posterior_draws=12",
    "calibration.workers=1",
]


def alliance_calibrate(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CALIBRATE,
            *args,
            f"hydra.run.dir={tmp_path}/calibration",
            f"calibration.output={tmp_path}/calibrated.yaml",
            f"calibration.report_dir={tmp_path}/report",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )


def test_calibrate_writes_the_set_and_the_report_and_resumes(tmp_path):
    first = alliance_calibrate(tmp_path, *TINY_CALIBRATION)
    assert first.returncode == 0, first.stderr
    assert "generation" in first.stdout
    calibrated = (tmp_path / "calibrated.yaml").read_text()
    assert calibrated.startswith("# @package _global_")
    assert "frugality_gain" in calibrated and "holdout_mean" in calibrated
    for name in ("calibration.md", "moments.png", "sensitivity.png", "posterior.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert (tmp_path / "calibration" / "checkpoint.json").exists()
    assert "posterior stage" in first.stdout
    report = (tmp_path / "report" / "calibration.md").read_text()
    assert "Hansen's J test" in report and "credible interval" in report
    draws = json.loads((tmp_path / "posterior_draws.json").read_text())
    assert draws["draws"] == 12
    assert len(draws["calibrated"]["model.production.frugality_gain"]) == 12
    # The default calibration samples its priors jointly: in the posterior's draws.
    assert len(draws["calibrated"]["model.engineering.grant_effect"]) == 12
    assert draws["uncertain"] == {}
    assert "${posterior_draw:" in (tmp_path / "posterior.yaml").read_text()

    again = alliance_calibrate(tmp_path, *TINY_CALIBRATION)
    assert again.returncode == 0, again.stderr
    assert "resuming from" in again.stdout
    assert "(new 0)" in again.stdout  # nothing simulated twice


@pytest.mark.slow
def test_a_calibration_is_the_same_on_other_blas_kernels_and_without_numpys_simd(tmp_path):
    # What a processor without AVX2 would run: OpenBLAS's Sandybridge kernels and
    # numpy at its baseline. The tempered sampler's covariances and proposals, the
    # synthetic likelihood and every logarithm gave other last bits there, and
    # another path (calibration/linear.py; the unit check is tests/test_linear.py).
    other = {
        "OPENBLAS_CORETYPE": "Sandybridge",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    }
    found = {}
    for name, env in (("detected", None), ("other", other)):
        (tmp_path / name).mkdir()
        result = alliance_calibrate(tmp_path / name, *TINY_CALIBRATION, env=env)
        assert result.returncode == 0, result.stderr
        draws = json.loads((tmp_path / name / "posterior_draws.json").read_text())
        calibrated = (tmp_path / name / "calibrated.yaml").read_text()
        found[name] = (draws["calibrated"], re.sub(r"(?m)^.*date: .*$", "", calibrated))
    assert found["detected"] == found["other"]


@pytest.mark.parametrize("workers", [2, 1])
def test_ctrl_c_in_calibrate_keeps_the_checkpoint_and_says_how_to_resume(tmp_path, workers):
    import signal

    process = subprocess.Popen(
        [
            CALIBRATE,
            *TINY_CALIBRATION,
            "calibration.maxiter=100000",
            "calibration.tol=0",
            "calibration.popsize=4",
            f"calibration.workers={workers}",  # 1: evaluated in the main process
            f"hydra.run.dir={tmp_path}/calibration",
            f"calibration.output={tmp_path}/calibrated.yaml",
            f"calibration.report_dir={tmp_path}/report",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: a background job (CI) may inherit SIGINT ignored, and
        # Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for line in process.stdout:
        if line.startswith("generation"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "interrupted" in stderr and "run the same command to resume" in stderr
    assert (tmp_path / "calibration" / "checkpoint.json").exists()


def test_calibrate_refuses_a_bad_setting_before_any_work(tmp_path):
    result = alliance_calibrate(tmp_path, *TINY_CALIBRATION, "calibration.popsize=0")
    assert result.returncode != 0
    assert "calibration.popsize" in result.stderr
    assert not (tmp_path / "calibrated.yaml").exists()
    assert not (tmp_path / "calibration").exists()


def test_no_config_file_sets_the_run_mode():
    # `experiments.cli.run.mode_from_command_line` relies on it: the mode comes from
    # the command line alone. Each file's content is placed at its package.
    files = list(Path(CONFIG_DIR).rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        header = re.search(r"^# @package (\S+)", text, re.MULTILINE)
        group = ".".join(path.relative_to(CONFIG_DIR).parent.parts)
        package = header.group(1) if header else group
        placed = yaml.safe_load(text) or {}
        for key in reversed([k for k in package.split(".") if k and k != "_global_"]):
            placed = {key: placed}
        assert "mode" not in (placed.get("hydra") or {}), path


def test_the_mode_is_read_without_composing_unless_the_command_line_may_set_it():
    composing = Hydra.get_mode
    with mode_from_command_line(["seed=3", "fund.budget_eur=5e6"]):
        assert Hydra.get_mode is not composing
        assert Hydra.get_mode(None, config_name="config", overrides=["seed=3"]) is None
    assert Hydra.get_mode is composing
    for arguments in (["-m", "seed=1,2"], ["--multirun"], ["--cfg", "job"], ["hydra.modes=1"]):
        assert mode_only_on_command_line(arguments), arguments
    for arguments in (
        ["hydra.mode=MULTIRUN"],
        ["+hydra.searchpath=[x]"],
        ["-cd", "elsewhere"],
        ["--config-d=elsewhere"],  # argparse's abbreviations, as Hydra parses them
        ["--config-n=calibrate"],
        ["-cp", "elsewhere"],
    ):
        assert not mode_only_on_command_line(arguments), arguments
        with mode_from_command_line(arguments):
            assert Hydra.get_mode is composing


def test_a_mode_override_still_runs_a_sweep(tmp_path):
    result = alliance_run(tmp_path, "hydra.mode=MULTIRUN", *SMALL_OVERRIDES, "seed=1,2")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "multi").glob("*/dataset.nc"))) == 2
    assert not (tmp_path / "run").exists()


def test_help_config_shows_every_setting_and_the_groups(tmp_path):
    result = alliance_run(tmp_path, "--help-config", "fund/strategy=concentrated")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("alliance-run: every setting and its default")
    assert "powered by Hydra" not in text
    assert "fund/strategy: concentrated, engineering_only" in text  # the options
    assert "budget_eur: 1500000.0" in text and "name: concentrated" in text  # the settings
    assert not list(tmp_path.iterdir())
    calibrate = alliance_calibrate(tmp_path, "--help-config")
    assert calibrate.returncode == 0, calibrate.stderr
    assert calibrate.stdout.startswith("alliance-calibrate: every setting and its default")
    assert "maxiter:" in calibrate.stdout


def test_python_dash_m_answers_help_and_version(tmp_path):
    for flag, words in (("--help", "usage: alliance-run"), ("--version", "(alliance-premium)")):
        result = subprocess.run(
            [sys.executable, "-m", "experiments.cli.run", flag],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0 and words in result.stdout, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        [RUN, "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=1"],  # Hydra's launcher
        [
            sys.executable,
            "-m",
            "experiments.cli.run",
            "-m",
            "hydra.launcher.n_jobs=1",
        ],  # the project's
    ],
    ids=["joblib", "python-m"],
)
def test_a_sweep_with_a_failed_job_exits_1(tmp_path, command):
    # seed 2's job cannot write its dataset: a folder is in the way.
    (tmp_path / "multi" / "seed2" / "dataset.nc").mkdir(parents=True)
    result = subprocess.run(
        [
            *command,
            *SMALL_OVERRIDES,
            "seed=1,2",
            f"hydra.sweep.dir={tmp_path}/multi",
            "hydra.sweep.subdir=seed${seed}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert (tmp_path / "multi" / "seed1" / "dataset.nc").is_file()  # the other job went on
    assert "1 failed" in result.stdout or "1 of 2 jobs failed" in result.stderr


def test_priors_left_out_of_the_posterior_are_drawn_apart_in_a_latin_hypercube():
    """The draws file's `uncertain` part, written when joint_priors is false."""
    from experiments.calibrating.calibration_report import prior_samples
    from experiments.config.schema import load_calibration_config

    assert prior_samples(load_calibration_config([]), 12) == {}  # all sampled jointly
    config = load_calibration_config(["calibration.joint_priors=false"])
    samples = prior_samples(config, 12)
    assert list(samples) == list(config.calibration.priors)
    for name, values in samples.items():
        prior = config.calibration.priors[name]
        assert len(values) == 12 and all(prior.lower <= v <= prior.upper for v in values), name
        # A Latin hypercube: one draw in each twelfth of the prior's probability.
        if prior.shape == "log_uniform":
            u = np.log(np.array(values) / prior.lower) / np.log(prior.upper / prior.lower)
        else:
            u = (np.array(values) - prior.lower) / (prior.upper - prior.lower)
        assert sorted(np.floor(12 * u).astype(int)) == list(range(12)), name
