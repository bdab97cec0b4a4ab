"""The `alliance-run` command as a user runs it (in a subprocess, from a scratch folder)."""

import subprocess
import sys
from pathlib import Path

import xarray as xr

# The console script installed beside the interpreter running the tests.
RUN = str(Path(sys.executable).parent / "alliance-run")
SMALL = [
    "scenario.n_territories=10",
    "scenario.n_organisations=800",
    "scenario.years=4",
    "fund.years=2",
    "accounting.rmst_horizon_years=3",
]


def alliance_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RUN, *args, f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/multi"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_writes_a_dataset_and_prints_the_summary(tmp_path):
    result = alliance_run(tmp_path, *SMALL, "fund/strategy=small_territories", "seed=3")
    assert result.returncode == 0, result.stderr
    assert "frugality" in result.stdout and "causal" in result.stdout
    with xr.open_dataset(tmp_path / "run" / "dataset.nc") as ds:
        assert ds.attrs["strategy"] == "small_territories"
        assert ds.attrs["seed"] == 3
        assert "fund/strategy=small_territories" in ds.attrs["hydra_overrides"]
        assert ds.sizes["territory"] == 10
    assert not list((tmp_path / "run").glob(".*.tmp-*"))


def test_bad_config_fails_before_anything_is_written(tmp_path):
    result = alliance_run(tmp_path, *SMALL, "fund.budget_eur=-1")
    assert result.returncode != 0
    assert "fund.budget_eur" in result.stderr and "allowed" in result.stderr
    assert not (tmp_path / "run").exists()


def test_unknown_strategy_lists_the_available_ones(tmp_path):
    result = alliance_run(tmp_path, "fund/strategy=everything")
    assert result.returncode != 0
    assert "maturity_matched" in result.stderr
    assert not (tmp_path / "run").exists()


def test_multirun_writes_one_dataset_per_job(tmp_path):
    result = alliance_run(tmp_path, "-m", *SMALL, "seed=1,2")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "multi").glob("*/dataset.nc"))) == 2
