"""One job of a sweep: what it runs, where it writes, and the record it leaves.

A job folder holds, once the job is done, `dataset.nc`, `run.log` (the run's
summary) and `job.json`, written last: its overrides, the hash of its resolved
configuration, the package version and commit, its status and duration. A job
that failed holds `error.txt` (the traceback) and a `job.json` with status
"failed". A folder without `job.json` never finished.

`job.json` is what a re-run and `alliance-collect` read: a few hundred bytes,
where opening the NetCDF file would cost tens of milliseconds per job.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.files import write_netcdf_atomically, write_text_atomically

if TYPE_CHECKING:
    import xarray as xr

    from experiments.schema import JobConfig

DATASET_NAME = "dataset.nc"
ERROR_NAME = "error.txt"
RECORD_NAME = "job.json"
LOG_NAME = "run.log"
DONE = "done"
FAILED = "failed"


@dataclass
class JobSpec:
    """Everything a worker needs to run one job, without Hydra.

    Attributes:
        index: Position of the job in the sweep.
        overrides: The job's override strings, as Hydra passed them.
        folder: The job's output folder.
        config: The validated job configuration.
        calibrated: The `calibrated` option it was composed with.
        command: The command line of the sweep.
        config_hash: `simulation.dataset.config_hash` of its run configuration.
        git_commit: The checkout's commit when the sweep started.
    """

    index: int
    overrides: tuple[str, ...]
    folder: Path
    config: JobConfig
    calibrated: str
    command: str
    config_hash: str
    git_commit: str


def annotate(dataset: xr.Dataset, spec: JobSpec) -> xr.Dataset:
    """Add the job's provenance to its dataset's attributes (in place).

    Args:
        dataset: The run's dataset.
        spec: The job.

    Returns:
        The same dataset.
    """
    job = spec.config
    dataset.attrs["command"] = spec.command
    dataset.attrs["hydra_overrides"] = " ".join(spec.overrides)
    dataset.attrs["calibrated_set"] = spec.calibrated
    if job.draw is not None:
        dataset.attrs["posterior_draw"] = job.draw
    dataset.attrs["git_commit"] = spec.git_commit
    if job.sensitivity is not None:
        dataset.attrs["sensitivity_design"] = json.dumps(job.sensitivity.description())
        dataset.attrs["sensitivity_sample"] = job.sensitivity.sample
    return dataset


def read_record(folder: Path) -> dict | None:
    """A job folder's `job.json`, or None if the job never finished (or it is unreadable)."""
    try:
        return json.loads((folder / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return None


def write_record(spec: JobSpec, status: str, seconds: float) -> None:
    """Write `job.json`, atomically: the last file a job writes.

    Args:
        spec: The job.
        status: "done" or "failed".
        seconds: How long the job took.
    """
    from simulation.dataset import package_version

    record = {
        "status": status,
        "overrides": list(spec.overrides),
        "seed": spec.config.seed,
        "config_hash": spec.config_hash,
        "package_version": package_version(),
        "git_commit": spec.git_commit,
        "seconds": round(seconds, 3),
    }
    write_text_atomically(spec.folder / RECORD_NAME, json.dumps(record, indent=1) + "\n")


def write_done(spec: JobSpec, dataset: xr.Dataset, seconds: float) -> None:
    """Write a finished job's files: dataset, log, then record.

    Args:
        spec: The job.
        dataset: Its dataset, annotated.
        seconds: How long the job took.
    """
    from experiments.summary import summary

    spec.folder.mkdir(parents=True, exist_ok=True)
    (spec.folder / ERROR_NAME).unlink(missing_ok=True)
    write_netcdf_atomically(dataset, spec.folder / DATASET_NAME)
    write_text_atomically(spec.folder / LOG_NAME, summary(dataset) + "\n")
    write_record(spec, DONE, seconds)


def write_failed(spec: JobSpec, traceback_text: str, seconds: float) -> None:
    """Write a failed job's traceback and record; any old dataset is removed.

    Args:
        spec: The job.
        traceback_text: The formatted traceback.
        seconds: How long the job ran before it failed.
    """
    spec.folder.mkdir(parents=True, exist_ok=True)
    (spec.folder / DATASET_NAME).unlink(missing_ok=True)
    write_text_atomically(spec.folder / ERROR_NAME, traceback_text)
    write_record(spec, FAILED, seconds)


def sweep_command() -> str:
    """The command line of this process, as the user typed it."""
    return " ".join(["alliance-run", *sys.argv[1:]])


def absolute(path: Path) -> Path:
    """`path` made absolute against the current folder (workers may start elsewhere)."""
    return path if path.is_absolute() else Path(os.getcwd()) / path
