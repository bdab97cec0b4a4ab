"""The sensitivity design (SALib), its validation, and the analysis on known functions."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from calibration.config import CalibrationSettings, FreeParameter, get_parameter, with_parameters
from experiments.config.schema import JobConfig
from experiments.config.sensitivity import (
    SensitivityDesign,
    analyse,
    design_matrix,
    design_size,
    sample_config,
)
from experiments.sweep.collect import collect_dataset
from simulation.config import ConfigError, RunConfig
from simulation.dataset import config_json

from .conftest import cli, small_sweep

PARAMETERS = {
    "model.production.frugality_gain": FreeParameter(0.0, 8.0),
    "model.production.productivity": FreeParameter(0.1, 2.0),
    "model.maturity.base_rate": FreeParameter(0.0, 0.02),
}


def design(method: str = "sobol", base_samples: int = 8, sample: int = 0) -> SensitivityDesign:
    return SensitivityDesign(
        method=method,
        base_samples=base_samples,
        sample=sample,
        problem=CalibrationSettings(parameters=dict(PARAMETERS)),
    )


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_design_size_matches_salib_and_rows_stay_in_bounds(method):
    chosen = design(method)
    matrix = design_matrix(chosen.description())
    assert matrix.shape == (design_size(method, 8, 3), 3) == (chosen.rows, 3)
    for column, bounds in zip(matrix.T, PARAMETERS.values(), strict=True):
        assert bounds.lower <= column.min() and column.max() <= bounds.upper
    np.testing.assert_array_equal(matrix, design_matrix(chosen.description()))
    other_seed = {**chosen.description(), "design_seed": 1}
    assert not np.array_equal(matrix, design_matrix(other_seed))


def test_sample_config_sets_the_row_and_leaves_the_rest():
    chosen = design(sample=5).validate(RunConfig())
    row = design_matrix(chosen.description())[5]
    config = sample_config(RunConfig(), chosen)
    for path, value in zip(PARAMETERS, row, strict=True):
        assert get_parameter(config, path) == value
    assert config.fund == RunConfig().fund


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "fast"}, "sensitivity.method = 'fast'; allowed: ['sobol', 'morris']"),
        ({"base_samples": 6}, "sensitivity.base_samples = 6; allowed: a power of two"),
        ({"sample": 40}, "sensitivity.sample = 40; allowed: 0 to 39"),
        ({"levels": 3}, "sensitivity.levels = 3; allowed: an even integer"),
    ],
)
def test_invalid_designs_name_the_key_and_the_allowed_values(change, message):
    chosen = design()
    for key, value in change.items():
        setattr(chosen, key, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        JobConfig(sensitivity=chosen).validate()


def test_unknown_parameter_path_is_refused():
    chosen = design()
    chosen.problem.parameters["model.production.nothing"] = FreeParameter(0.0, 1.0)
    key = "sensitivity.problem.parameters.model.production.nothing"
    with pytest.raises(ConfigError, match=re.escape(key)):
        chosen.validate(RunConfig())


def synthetic_sweep(chosen: SensitivityDesign, function) -> xr.Dataset:
    """A merged sweep whose outputs are `function(row)` of each design row."""
    matrix = design_matrix(chosen.description())
    y = np.array([function(row) for row in matrix])
    configs = [
        config_json(with_parameters(RunConfig(), dict(zip(PARAMETERS, row, strict=True))))
        for row in matrix
    ]
    premium = np.stack([y, y], axis=-1)[:, None, :]  # (sample, seed, view)
    leverage = np.stack([premium, premium], axis=-1)  # (sample, seed, view, measure)
    worlds = np.stack([2 * y * 1e6, y * 1e6], axis=-1)[:, None, :]  # extra value = y MEUR
    return xr.Dataset(
        {
            name: (("sample", "seed", "view"), premium)
            for name in ("premium_frugality", "premium_durability")
        }
        | {
            "premium_leverage": (("sample", "seed", "view", "measure"), leverage),
            "value_created_pv": (("sample", "seed", "world"), worlds),
            "run_config": (("sample", "seed"), np.array(configs)[:, None]),
        },
        coords={
            "sample": np.arange(len(matrix)),
            "seed": [0],
            "view": ["observed", "causal"],
            "measure": ["value", "net"],
            "world": ["treated", "counterfactual"],
        },
        attrs={"sensitivity_design": json.dumps(chosen.description())},
    )


def test_sobol_analysis_finds_the_only_parameter_that_matters():
    chosen = design(base_samples=256)
    indices = analyse(synthetic_sweep(chosen, lambda row: 3.0 * row[0] + 0.01 * row[1]))
    frugality = indices[indices.output == "observed_frugality"].set_index("parameter")
    assert frugality.loc["model.production.frugality_gain", "ST"] == pytest.approx(1.0, abs=0.05)
    assert frugality.loc["model.production.frugality_gain", "S1"] == pytest.approx(1.0, abs=0.1)
    assert frugality.loc["model.maturity.base_rate", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert set(indices.output) == {
        "observed_frugality",
        "observed_durability",
        "observed_leverage",
        "causal_leverage",
        "extra_value_meur",
    }


def test_morris_analysis_ranks_the_parameters_by_effect():
    chosen = design("morris", base_samples=20)
    indices = analyse(synthetic_sweep(chosen, lambda row: row[0] + 10.0 * row[1]))
    leverage = indices[indices.output == "causal_leverage"].set_index("parameter")
    # SALib divides by the step in the unit cube: a linear effect's mu* is the slope
    # times the parameter's range.
    steps = {p: b.upper - b.lower for p, b in PARAMETERS.items()}
    assert leverage.loc["model.production.frugality_gain", "mu_star"] == pytest.approx(
        steps["model.production.frugality_gain"]
    )
    assert leverage.loc["model.production.productivity", "mu_star"] == pytest.approx(
        10 * steps["model.production.productivity"]
    )
    assert leverage.loc["model.maturity.base_rate", "mu_star"] == 0.0


def test_analysis_refuses_an_incomplete_or_mismatched_sweep():
    chosen = design()
    sweep = synthetic_sweep(chosen, lambda row: row[0])
    with pytest.raises(ValueError, match="have no finished run"):
        analyse(sweep.isel(sample=slice(1, None)))
    tampered = sweep.copy()
    tampered.attrs = {"sensitivity_design": json.dumps({**chosen.description(), "design_seed": 9})}
    with pytest.raises(ValueError, match="do not match the design"):
        analyse(tampered)


def test_sensitivity_experiment_end_to_end(tmp_path):
    """The sweep covers the design exactly; collect and report give the indices."""
    run = small_sweep(tmp_path / "sweep", "+experiment=sensitivity", "sensitivity.base_samples=2")
    assert run.returncode == 0, run.stderr
    merged, jobs = collect_dataset(tmp_path / "sweep", tmp_path / "merged.nc")
    assert len(jobs.done) == 2 * (6 + 2)  # N (D + 2) rows of the default calibration's 6
    assert merged.sizes["sample"] == 16 and merged.sizes["seed"] == 1
    report = cli("alliance-report", str(tmp_path / "sweep" / "collected.nc"), cwd=tmp_path)
    assert report.returncode == 2 and "no such file" in report.stderr
    assert cli("alliance-collect", str(tmp_path / "sweep"), cwd=tmp_path).returncode == 0
    report = cli("alliance-report", str(tmp_path / "sweep" / "collected.nc"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    indices = pd.read_csv(tmp_path / "sweep" / "collected_report" / "sensitivity.csv")
    frugality = indices[indices.output == "observed_frugality"].set_index("parameter")
    # Frugality is value per euro, 1 + phi Q: its gain phi is what moves it.
    assert frugality["ST"].idxmax() == "model.production.frugality_gain"
    assert (
        "driven mostly by frugality_gain"
        in (tmp_path / "sweep" / "collected_report" / "report.html").read_text()
    )


def test_bad_sensitivity_setting_fails_before_any_run(tmp_path):
    run = small_sweep(tmp_path / "sweep", "+experiment=sensitivity", "sensitivity.base_samples=3")
    assert run.returncode != 0
    assert "sensitivity.base_samples = 3; allowed: a power of two" in run.stderr
    assert not list((tmp_path / "sweep").rglob("dataset.nc"))
