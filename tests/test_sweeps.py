"""A small sweep end to end: alliance-run -m (joblib) -> alliance-collect -> alliance-report."""

import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.reports.report import paired_differences, per_seed_metrics, summary_table
from experiments.sweep.collect import collect_dataset, combine, find_jobs, swept_keys

from .conftest import cli, small_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    result = small_sweep(
        root / "sweep",
        "+experiment=strategy_comparison",
        "fund/strategy=none,uniform,small_territories",
        "seed=0,1",
    )
    assert result.returncode == 0, result.stderr
    return root / "sweep"


def test_collect_merges_swept_values_into_dimensions(sweep):
    merged, jobs = collect_dataset(sweep)
    assert len(jobs.done) == 6 and not jobs.failed
    assert merged.sizes["strategy"] == 3 and merged.sizes["seed"] == 2
    assert set(merged.strategy.values) == {"none", "uniform", "small_territories"}
    none = merged.sel(strategy="none")
    # The no-investment arm creates no causal value: both worlds are the same.
    np.testing.assert_array_equal(
        none.value_created_pv.sel(world="treated"),
        none.value_created_pv.sel(world="counterfactual"),
    )
    uniform = merged.sel(strategy="uniform")
    assert (
        uniform.value_created_pv.sel(world="treated")
        > uniform.value_created_pv.sel(world="counterfactual")
    ).all()


def test_the_streaming_merge_equals_xarrays_outer_join_and_keeps_every_run_config(sweep):
    streamed, jobs = collect_dataset(sweep)
    varying, keys = swept_keys(jobs)
    joined = combine(sweep, find_jobs(sweep), varying, keys)  # the independent, slow path
    joined.to_netcdf(sweep.parent / "joined.nc", engine="netcdf4")
    with xr.open_dataset(sweep.parent / "joined.nc") as reread:
        xr.testing.assert_identical(streamed, reread.load())
    config = json.loads(str(streamed.run_config.sel(strategy="uniform", seed=1).item()))
    assert config["seed"] == 1 and config["fund"]["strategy"]["name"] == "uniform"
    assert streamed.attrs["package_version"] and streamed.attrs["calibrated_set"] == "default"
    assert streamed.value_created_pv.attrs["units"] == "EUR"  # variables keep their metadata


def test_collect_command_and_rerun_skips_finished_jobs(sweep):
    result = cli("alliance-collect", str(sweep), cwd=sweep)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(sweep / "collected.nc") as ds:
        assert ds.attrs["runs"] == 6
    again = small_sweep(
        sweep,
        "+experiment=strategy_comparison",
        "fund/strategy=none,uniform,small_territories",
        "seed=0,1",
    )
    assert again.returncode == 0, again.stderr
    assert "0 done, 0 failed, 6 already complete" in again.stdout


def test_a_failed_job_is_listed_and_the_rest_still_merge(sweep, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(sweep), str(copy)], check=True)
    broken = next(p.parent for p in copy.rglob("job.json"))
    (broken / "dataset.nc").unlink()
    (broken / "error.txt").write_text("Traceback ...\nRuntimeError: boom\n")
    record = json.loads((broken / "job.json").read_text())
    (broken / "job.json").write_text(json.dumps({**record, "status": "failed"}))
    merged, jobs = collect_dataset(copy)
    assert list(jobs.failed.values()) == ["RuntimeError: boom"]
    assert len(jobs.done) == 5
    assert merged.attrs["failed_runs"] == 1
    assert len(find_jobs(copy).failed) == 1


def test_a_truncated_dataset_is_refused_naming_its_folder(sweep, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(sweep), str(copy)], check=True)
    (copy / "collected.nc").unlink(missing_ok=True)
    broken = next(p.parent for p in copy.rglob("job.json"))
    data = (broken / "dataset.nc").read_bytes()
    (broken / "dataset.nc").write_bytes(data[: len(data) // 3])
    result = cli("alliance-collect", str(copy), cwd=copy)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"alliance-collect: {broken}: dataset.nc is truncated or replaced: {len(data) // 3} "
        f"bytes, job.json records {len(data)}; re-run the sweep (alliance-run -m re-runs this job)"
    )
    assert not (copy / "collected.nc").exists()


def test_collect_of_a_missing_folder_says_so(tmp_path):
    result = cli("alliance-collect", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"alliance-collect: no such folder: {tmp_path / 'nowhere'};")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("output", "words"),
    [(".", "it is a folder; allowed: a file"), ("no/such/c.nc", "its folder")],
)
def test_collect_refuses_an_output_it_cannot_write_before_reading_anything(
    sweep, tmp_path, output, words
):
    result = cli("alliance-collect", str(sweep), "--output", output, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"alliance-collect: invalid --output {output}: {words}")
    assert len(result.stderr.splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_report_tables_and_html(sweep, tmp_path):
    merged, _ = collect_dataset(sweep)
    frame = per_seed_metrics(merged)
    table = summary_table(frame)
    assert table.loc[table.arm == "none", "extra_value_meur"].item() == 0.0
    assert table.iloc[0]["extra_value_meur"] > 0  # the best arm is not "none"
    best = table.iloc[0]["arm"]
    differences = paired_differences(frame, best)
    assert set(differences.other) == set(table.arm) - {best}
    assert differences.probability_best_beats_other.between(0, 1).all()
    merged.to_netcdf(tmp_path / "merged.nc", engine="netcdf4")
    result = cli(
        "alliance-report",
        str(tmp_path / "merged.nc"),
        "--output",
        str(tmp_path / "r"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r" / "report.html").read_text()
    assert "data:image/png;base64," in page and "creates the most social value" in page
    for name in ("summary.csv", "paired_differences.csv", "per_seed.csv"):
        assert (tmp_path / "r" / name).stat().st_size > 0


RAY_INSTALLED = importlib.util.find_spec("ray") is not None


@pytest.mark.parametrize(
    "launcher",
    [
        # The SLURM launcher's packing (2 runs per task), run by submitit's local executor.
        pytest.param(
            ["hydra/launcher=slurm_local", "hydra.launcher.runs_per_task=2"], id="slurm_local"
        ),
        # Hydra's own submitit launcher (one job per task) goes through alliance-run's main.
        pytest.param(
            ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"], id="submitit"
        ),
        # A Ray cluster started on this machine; needs the `ray` extra (`make test-ray`).
        pytest.param(
            ["hydra/launcher=ray_cluster"],
            id="ray",
            marks=pytest.mark.skipif(not RAY_INSTALLED, reason="the ray extra is not installed"),
        ),
    ],
)
def test_each_launcher_runs_a_sweep(tmp_path, launcher):
    result = small_sweep(tmp_path / "s", *launcher, "fund/strategy=none,uniform", "seed=0")
    assert result.returncode == 0, result.stderr
    merged, jobs = collect_dataset(tmp_path / "s")
    assert len(jobs.done) == 2 and merged.sizes["strategy"] == 2
    none = merged.sel(strategy="none").value_created_pv
    assert (none.sel(world="treated") == none.sel(world="counterfactual")).all()


def test_the_slurm_option_composes():
    result = cli("alliance-run", "hydra/launcher=slurm", "--cfg", "hydra", cwd=Path.cwd())
    assert result.returncode == 0, result.stderr
    assert "AllianceLauncher" in result.stdout and "backend: slurm" in result.stdout
    assert "runs_per_task: 200" in result.stdout and "mem_gb: 4" in result.stdout


def test_a_swept_draw_may_change_what_the_calibration_sets_and_nothing_else():
    from experiments.sweep.collect import allowed_differences

    allowed = allowed_differences(["draw", "seed"])
    assert "scenario.money_scale" in allowed  # a free parameter outside `model`
    assert "model" in allowed and "seed" in allowed
    assert not any(key.startswith("fund") for key in allowed)
    assert allowed_differences(["seed"]) == ("seed",)
