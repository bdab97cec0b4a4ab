"""One job of a sweep: what it runs, where it writes, and the record it leaves.

A job folder holds, once the job is done, `dataset.nc`, `run.log` (the run's
summary) and `job.json`, written last: its overrides, the hash of its resolved
configuration, the package version and commit, its status and duration. A job
that failed holds `error.txt` (the traceback) and a `job.json` with status
"failed". A folder without `job.json` never finished.

`job.json` is what a re-run and `alliance-collect` read: a few hundred bytes,
where opening the NetCDF file would cost tens of milliseconds per job. It
records the job's identity (its folder within the sweep, overrides, seed and
config hash, which the dataset's attributes repeat) and the size and SHA-256 of
its dataset, so that a dataset is trusted only once its bytes match the record
(`damage`): a truncated, bit-rotted or swapped file is re-run by the sweep and
refused by `alliance-collect`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.storage.files import write_text_atomically

if TYPE_CHECKING:
    import xarray as xr

    from experiments.config.schema import JobConfig

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
        subdir: The job's folder relative to the sweep's folder ("" outside a
            planned sweep).
    """

    index: int
    overrides: tuple[str, ...]
    folder: Path
    config: JobConfig
    calibrated: str
    command: str
    config_hash: str
    git_commit: str
    subdir: str = ""


def annotate(dataset: xr.Dataset, spec: JobSpec) -> xr.Dataset:
    """Add the job's provenance (`provenance`) to its dataset's attributes (in place).

    Args:
        dataset: The run's dataset.
        spec: The job.

    Returns:
        The same dataset.
    """
    dataset.attrs.update(provenance(spec))
    return dataset


def provenance(spec: JobSpec) -> dict[str, object]:
    """The attributes a job adds to its run's dataset, in their order.

    Args:
        spec: The job.

    Returns:
        Its command line, overrides, calibrated set, posterior draw (if any),
        commit, folder within the sweep (if any) and sensitivity design (if any).
    """
    job = spec.config
    attrs: dict[str, object] = {
        "command": spec.command,
        "hydra_overrides": " ".join(spec.overrides),
        "calibrated_set": spec.calibrated,
    }
    if job.draw is not None:
        attrs["posterior_draw"] = job.draw
    attrs["git_commit"] = spec.git_commit
    if spec.subdir:
        attrs["job_folder"] = spec.subdir
    if job.sensitivity is not None:
        attrs["sensitivity_design"] = json.dumps(job.sensitivity.description())
        attrs["sensitivity_sample"] = job.sensitivity.sample
    return attrs


def read_record(folder: Path) -> dict | None:
    """A job folder's `job.json`, or None if the job never finished (or it is unreadable)."""
    try:
        return json.loads((folder / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return None


def file_digest(path: Path) -> dict[str, object]:
    """A file's size and SHA-256, as `job.json` records them for the dataset."""
    return _digest(path.read_bytes())


def _digest(data: bytes) -> dict[str, object]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def record_identity(record: dict) -> dict[str, str]:
    """What a done job's dataset attributes must say, from its `job.json`.

    Args:
        record: The job's record.

    Returns:
        The seed, config hash and overrides (joined by spaces, as `annotate` writes them).
    """
    return {
        "seed": str(record.get("seed", 0)),
        "config_hash": str(record.get("config_hash")),
        "hydra_overrides": " ".join(record.get("overrides", [])),
    }


def identity_problem(attrs: dict, identity: dict[str, str]) -> str | None:
    """Why a dataset's attributes name another job than `identity`, or None.

    Args:
        attrs: The dataset's global attributes.
        identity: What they must say (`record_identity`, or a folder's seed and overrides).
    """
    for name, expected in identity.items():
        found = str(attrs.get(name, ""))
        if found != expected:
            return f"its dataset is another run's ({name} = {found!r}, its job {expected!r})"
    return None


def damage(folder: Path, record: dict) -> str | None:
    """Why a done job's dataset cannot be trusted, or None if it is its job's, intact.

    The one rule by which a re-run of the sweep skips a job and `alliance-collect`
    trusts it: the dataset's size and SHA-256 match the record, and the header's
    seed, config hash and overrides are the record's (a dataset copied from
    another job, its checksum rewritten, is not this job's). Reading the header
    costs microseconds: the file is read for its SHA-256 anyway.

    Args:
        folder: The job's folder.
        record: Its `job.json`.

    Returns:
        "missing", "unchecked" (a record without a checksum, from an older
        version), "truncated", "changed" or "another run's", with the numbers;
        None if the dataset matches.
    """
    from experiments.sweep.runfile import header_attributes

    expected = record.get("dataset")
    try:
        data = (folder / DATASET_NAME).read_bytes()
    except OSError:
        return f"{DATASET_NAME} is missing"
    found = _digest(data)
    if not isinstance(expected, dict) or "sha256" not in expected:
        return f"{RECORD_NAME} records no checksum of {DATASET_NAME} (an older sweep)"
    if found["bytes"] != expected.get("bytes"):
        return (
            f"{DATASET_NAME} is truncated or replaced: {found['bytes']} bytes, "
            f"{RECORD_NAME} records {expected.get('bytes')}"
        )
    if found["sha256"] != expected["sha256"]:
        return f"{DATASET_NAME} does not match the SHA-256 in {RECORD_NAME} (changed or corrupted)"
    try:
        attrs = header_attributes(data)
    except ValueError as error:
        return f"{DATASET_NAME} has an unreadable header ({error})"
    if attrs is None:  # an older run's NetCDF-4 file: the merge checks its attributes
        return None
    return identity_problem(attrs, record_identity(record))


def write_record(
    spec: JobSpec, status: str, seconds: float, digest: dict[str, object] | None = None
) -> None:
    """Write `job.json`, atomically: the last file a job writes.

    Args:
        spec: The job.
        status: "done" or "failed".
        seconds: How long the job took.
        digest: The dataset's size and SHA-256 (`file_digest`) of a done job;
            computed from the file if not given.
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
    if spec.subdir:
        record["folder"] = spec.subdir
    if status == DONE:
        record["dataset"] = digest or file_digest(spec.folder / DATASET_NAME)
    write_text_atomically(spec.folder / RECORD_NAME, json.dumps(record, indent=1) + "\n")


def write_done(spec: JobSpec, dataset: xr.Dataset, seconds: float) -> None:
    """Write a finished job's files: dataset, log, then record.

    The dataset is a CDF-5 NetCDF file written without HDF5 (`runfile`): about
    3 ms where `to_netcdf` took 26.

    Args:
        spec: The job.
        dataset: Its dataset, annotated.
        seconds: How long the job took.
    """
    from experiments.reports.summary import summary
    from experiments.sweep.runfile import write_run_file

    spec.folder.mkdir(parents=True, exist_ok=True)
    (spec.folder / ERROR_NAME).unlink(missing_ok=True)
    digest = write_run_file(dataset, spec.folder / DATASET_NAME)
    write_text_atomically(spec.folder / LOG_NAME, summary(dataset) + "\n")
    write_record(spec, DONE, seconds, digest)


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
