"""Sweeps as a user runs them: validated before work, resumable, stale results refused."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import netCDF4
import pytest
import xarray as xr

from experiments.sweep.collect import collect, collect_dataset
from experiments.sweep.jobs import file_digest
from experiments.sweep.merge import ConfigMismatch

from .conftest import BIN, SMALL_OVERRIDES, cli, small_sweep


def test_a_bad_value_in_any_job_stops_the_sweep_before_anything_runs(tmp_path):
    sweep = tmp_path / "sweep"
    result = small_sweep(sweep, "fund.budget_eur=1e5,inf", "seed=0,1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alliance-run: invalid config: ")
    assert (
        "fund.budget_eur = inf; allowed:" in lines[0] and "(job 2: fund.budget_eur=inf" in lines[0]
    )
    assert not sweep.exists()


def test_each_arm_is_composed_once_and_each_job_leaves_its_record(tmp_path):
    sweep = tmp_path / "sweep"
    result = small_sweep(sweep, "fund/strategy=none,uniform", "seed=0,1,2")
    assert result.returncode == 0, result.stderr
    assert "6 jobs, 2 configuration(s) composed; 6 to run" in result.stderr
    assert "sweep: 6 jobs in" in result.stdout and "6 done, 0 failed" in result.stdout
    assert len(result.stdout.splitlines()) <= 3  # no per-job output on the terminal
    records = [json.loads(p.read_text()) for p in sweep.rglob("job.json")]
    assert len(records) == 6 and {r["status"] for r in records} == {"done"}
    assert all(len(r["config_hash"]) == 16 for r in records)
    assert len(list(sweep.rglob("run.log"))) == 6


def test_a_job_whose_configuration_changed_is_re_run_and_named(tmp_path):
    sweep = tmp_path / "sweep"
    assert small_sweep(sweep, "seed=0,1,2").returncode == 0
    # As after an edit of a YAML default: the stored hash no longer matches.
    record_file = next(sweep.rglob("job.json"))
    record = json.loads(record_file.read_text())
    record_file.write_text(json.dumps({**record, "config_hash": "0" * 16}))
    again = small_sweep(sweep, "seed=0,1,2")
    assert again.returncode == 0, again.stderr
    assert "re-running 1 job(s) whose configuration changed" in again.stderr
    assert str(record_file.parent) in again.stderr
    assert "1 done, 0 failed, 2 already complete, 1 re-run" in again.stdout


def test_collect_refuses_runs_made_under_another_configuration(tmp_path):
    sweep = tmp_path / "sweep"
    assert small_sweep(sweep, "seed=0,1").returncode == 0
    dataset = next(sweep.rglob("dataset.nc"))
    with netCDF4.Dataset(dataset, "a") as handle:
        config = json.loads(handle.getncattr("config_json"))
        config["model"]["production"]["productivity"] += 0.1
        handle.setncattr("config_json", json.dumps(config))
    record = json.loads((dataset.parent / "job.json").read_text())
    record["dataset"] = file_digest(dataset)  # a run made so, not a damaged file
    (dataset.parent / "job.json").write_text(json.dumps(record))
    with pytest.raises(ConfigMismatch, match=r"model\.production\.productivity"):
        collect(sweep, tmp_path / "merged.nc")
    assert not (tmp_path / "merged.nc").exists()
    result = cli("alliance-collect", str(sweep), cwd=tmp_path)
    assert result.returncode == 2 and "model.production.productivity" in result.stderr


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def start_sweep(sweep: Path, seeds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "alliance-run"),
            "-m",
            *SMALL_OVERRIDES,
            f"seed=range(0,{seeds})",
            "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=sweep.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: a background job (CI) may inherit SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_records(sweep: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(list(sweep.rglob("job.json"))) < count:
        assert time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.05)


def test_ctrl_c_prints_one_line_leaves_no_worker_and_the_sweep_resumes(tmp_path):
    sweep = tmp_path / "sweep"
    process = start_sweep(sweep, 60)
    wait_for_records(sweep, 2)
    workers = children(process.pid)
    assert workers  # the pool's processes
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "re-run the same command to resume" in stderr and "of 60 jobs done" in stderr
    time.sleep(0.5)
    assert not [pid for pid in workers if alive(pid)]
    done_before = len(list(sweep.rglob("job.json")))
    assert done_before < 60
    again = small_sweep(sweep, "seed=range(0,60)")
    assert again.returncode == 0, again.stderr
    assert f"{60 - done_before} done, 0 failed, {done_before} already complete" in again.stdout
    # Nothing lost or duplicated: the merge equals that of an uninterrupted sweep.
    whole = tmp_path / "whole"
    assert small_sweep(whole, "seed=range(0,60)").returncode == 0
    resumed, _ = collect_dataset(sweep)
    uninterrupted, _ = collect_dataset(whole)
    xr.testing.assert_equal(
        resumed.drop_vars("run_command"), uninterrupted.drop_vars("run_command")
    )


def test_workers_die_with_a_killed_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    process = start_sweep(sweep, 200)
    wait_for_records(sweep, 1)
    workers = children(process.pid)
    assert workers
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while [pid for pid in workers if alive(pid)]:
        assert time.monotonic() < deadline, "a worker outlived the killed sweep"
        time.sleep(0.1)
