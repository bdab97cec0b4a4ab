"""Runs from the posterior: `calibrated=posterior draw=N`, alone and swept."""

import json

import numpy as np
import pytest

from calibration.config import get_parameter
from experiments import load_config
from experiments.config.schema import POSTERIOR_DRAWS
from experiments.sweep.collect import collect_dataset
from simulation.config import ConfigError

from .conftest import SMALL_OVERRIDES, cli, small_sweep

RECORD = json.loads(POSTERIOR_DRAWS.read_text())


def test_a_draw_sets_every_sampled_and_uncertain_parameter_from_the_draws_file():
    config = load_config(["calibrated=posterior", "draw=3"])
    # Priors sampled jointly are among the posterior's draws; the others are drawn apart.
    assert set(RECORD["priors"]) <= set(RECORD["calibrated"]) | set(RECORD["uncertain"])
    assert "model.engineering.grant_effect" in RECORD["calibrated"]  # joint_priors: true
    assert RECORD["calibrated"]
    for kind in ("calibrated", "uncertain"):
        for path, values in RECORD[kind].items():
            assert get_parameter(config, path) == values[3], path
    other = load_config(["calibrated=posterior", "draw=4"])
    assert other.model.production.productivity != config.model.production.productivity


@pytest.mark.parametrize("draw", [-1, RECORD["draws"], "x"])
def test_a_draw_out_of_range_is_refused_with_the_range(draw):
    with pytest.raises(ConfigError, match="draw"):
        load_config(["calibrated=posterior", f"draw={draw}"])


def test_python_refuses_a_draw_without_the_posterior_as_the_command_line_does():
    with pytest.raises(ConfigError, match="allowed only with calibrated=posterior"):
        load_config(["draw=3"])


def test_the_command_line_refuses_a_draw_without_the_posterior(tmp_path):
    result = cli(
        "alliance-run", *SMALL_OVERRIDES, "draw=3", f"hydra.run.dir={tmp_path}/r", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "draw" in result.stderr and "calibrated=posterior" in result.stderr
    assert not (tmp_path / "r").exists()


def test_draws_sweep_like_any_key_and_collect_gives_a_draw_dimension(tmp_path):
    sweep = tmp_path / "sweep"
    result = small_sweep(sweep, "calibrated=posterior", "draw=0,1,2", "seed=0")
    assert result.returncode == 0, result.stderr
    merged, jobs = collect_dataset(sweep)
    assert len(jobs.done) == 3
    assert list(merged.draw.values) == [0, 1, 2]
    productivity = [
        json.loads(str(merged.run_config.sel(draw=d).item()))["model"]["production"]["productivity"]
        for d in range(3)
    ]
    np.testing.assert_allclose(
        productivity, RECORD["calibrated"]["model.production.productivity"][:3]
    )


def test_a_draw_reads_a_prior_drawn_after_the_fit_from_the_uncertain_draws(monkeypatch):
    """With joint_priors false, priors are drawn apart: the resolver reads them there."""
    from experiments.config import schema

    record = {
        "draws": 4,
        "calibrated": {"model.production.frugality_gain": [1.0, 2.0, 3.0, 4.0]},
        "uncertain": {"model.engineering.grant_effect": [0.2, 0.25, 0.3, 0.35]},
    }
    monkeypatch.setitem(schema._DRAWS_CACHE, "record", record)
    assert schema.posterior_draw("model.engineering.grant_effect", 3) == 0.35
    assert schema.posterior_draw("model.production.frugality_gain", 1) == 2.0
