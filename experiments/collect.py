"""`alliance-collect SWEEP_DIR`: merge every run of a sweep into one dataset.

    alliance-collect multirun/strategy_comparison   # writes SWEEP_DIR/collected.nc
    alliance-collect multirun/big_sweep --lazy      # through dask, larger than memory

Each job folder of a Hydra sweep holds `.hydra/overrides.yaml` and either
`dataset.nc` (done) or `error.txt` (failed). The overrides that vary between jobs
become dimensions of the merged dataset (`fund/strategy` -> `strategy`,
`fund.budget_eur` -> `budget_eur`, `seed` -> `seed`); those that are the same in
every job are kept as attributes. Failed and unfinished jobs are listed and left out.

Runs are read into memory when the sweep fits comfortably (fast), and otherwise
opened lazily with dask and written chunk by chunk, so the merge never holds the
whole sweep in memory.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr
import yaml

from experiments.files import NETCDF_ENGINE, write_netcdf_atomically
from experiments.progress import with_progress
from experiments.sweep.jobs import DATASET_NAME, ERROR_NAME

COLLECTED_NAME = "collected.nc"
# Attributes every run of a sweep shares, kept on the merged dataset.
SHARED_ATTRS = (
    "package_version",
    "git_commit",
    "mesa_version",
    "calibrated_set",
    "sensitivity_design",
)
# Attributes that differ by run, kept as string variables over the swept dimensions.
PER_RUN_ATTRS = {
    "run_config": ("config_json", "Run configuration", "The run's full resolved config (JSON)"),
    "run_command": ("command", "Run command", "The command line that ran the job"),
}
# Eager merges hold the runs plus the merged copy: stay well under the machine's RAM.
MEMORY_SHARE = 0.25
# What opening a damaged or truncated NetCDF file raises.
UNREADABLE = (OSError, ValueError, KeyError, RuntimeError)


@dataclass
class SweepJobs:
    """The jobs found in a sweep folder.

    Attributes:
        done: Job folder -> its overrides as {key: value}.
        failed: Job folder -> the last line of its error.
        unfinished: Job folders with neither a dataset nor an error.
    """

    done: dict[Path, dict[str, object]] = field(default_factory=dict)
    failed: dict[Path, str] = field(default_factory=dict)
    unfinished: list[Path] = field(default_factory=list)


def dimension_name(key: str) -> str:
    """Dimension name of an override key: its last path component."""
    return key.replace("/", ".").split(".")[-1]


def _parse(value: str) -> object:
    parsed = yaml.safe_load(value)
    return parsed if isinstance(parsed, int | float | str) else value


def find_jobs(sweep_dir: Path) -> SweepJobs:
    """Classify the job folders of a sweep.

    Args:
        sweep_dir: The sweep's folder (`hydra.sweep.dir`).

    Returns:
        The jobs, done, failed and unfinished.
    """
    jobs = SweepJobs()
    for overrides_file in sorted(sweep_dir.rglob(".hydra/overrides.yaml")):
        job = overrides_file.parent.parent
        overrides = {}
        for item in yaml.safe_load(overrides_file.read_text()) or []:
            key, _, value = item.lstrip("+~").partition("=")
            if key != "experiment":
                overrides[key] = _parse(value)
        if (job / DATASET_NAME).exists():
            jobs.done[job] = overrides
        elif (job / ERROR_NAME).exists():
            lines = (job / ERROR_NAME).read_text().strip().splitlines()
            jobs.failed[job] = lines[-1] if lines else "unknown error"
        else:
            jobs.unfinished.append(job)
    return jobs


def available_memory() -> int:
    """Physical memory of this machine, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def fits_in_memory(jobs: SweepJobs) -> bool:
    """Whether the sweep's runs, decoded, fit in a share of this machine's memory."""
    for job in jobs.done:
        try:
            with xr.open_dataset(job / DATASET_NAME, engine=NETCDF_ENGINE) as first:
                run_bytes = first.nbytes
            break
        except UNREADABLE:
            continue
    else:
        return True
    return run_bytes * len(jobs.done) < MEMORY_SHARE * available_memory()


def _open_run(path: Path, lazy: bool) -> xr.Dataset:
    if lazy:
        return xr.open_dataset(path, engine=NETCDF_ENGINE, chunks={})
    with xr.open_dataset(path, engine=NETCDF_ENGINE) as opened:
        return opened.load()


def mergeable(run: xr.Dataset) -> xr.Dataset:
    """One run as a part of a merge: per-run attributes become variables.

    The run's config and command become string variables (they differ between
    runs), and the territory size classes, drawn per seed, a variable rather than
    a shared coordinate. Global attributes are dropped.
    """
    per_run = {
        name: (
            (),
            str(run.attrs.get(attr, "")),
            {"units": "1", "long_name": long, "description": text},
        )
        for name, (attr, long, text) in PER_RUN_ATTRS.items()
    }
    return run.reset_coords("size_class").drop_attrs(deep=False).assign(per_run)


def collect(sweep_dir: Path, lazy: bool | None = None) -> tuple[xr.Dataset, SweepJobs]:
    """Merge the datasets of a sweep's finished jobs.

    Args:
        sweep_dir: The sweep's folder.
        lazy: Open the runs with dask instead of reading them; None decides by
            whether the sweep fits in memory.

    Returns:
        The merged dataset and the job census.

    Raises:
        ValueError: No job finished.
    """
    jobs = find_jobs(sweep_dir)
    if not jobs.done:
        msg = f"no finished job in {sweep_dir} ({len(jobs.failed)} failed)"
        raise ValueError(msg)
    keys = sorted({k for overrides in jobs.done.values() for k in overrides})
    varying = [k for k in keys if len({str(o.get(k)) for o in jobs.done.values()}) > 1]
    if "seed" not in varying:
        varying.append("seed")
    if lazy is None:
        lazy = not fits_in_memory(jobs)
    if lazy:
        # Every run stays open until the merged dataset is written: without a large
        # enough file cache, each variable's write would reopen every file.
        xr.set_options(file_cache_maxsize=max(128, len(jobs.done) + 16))
    parts = []
    shared: dict[str, set[str]] = {k: set() for k in SHARED_ATTRS}
    done = list(jobs.done.items())
    for job, overrides in with_progress(done, len(done), "reading runs", "run"):
        try:
            dataset = _open_run(job / DATASET_NAME, lazy)
        except UNREADABLE as error:
            # One damaged file must not stop the merge: list it, merge the rest.
            del jobs.done[job]
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            jobs.failed[job] = f"unreadable {DATASET_NAME}: {reason}"
            continue
        for key in SHARED_ATTRS:
            if key in dataset.attrs:
                shared[key].add(str(dataset.attrs[key]))
        values = {**overrides, "seed": dataset.attrs["seed"]}
        parts.append(
            mergeable(dataset).expand_dims({dimension_name(k): [values[k]] for k in varying})
        )
    if not parts:
        msg = f"no readable run in {sweep_dir} ({len(jobs.failed)} failed)"
        raise ValueError(msg)
    # "override": each variable keeps its units and descriptions (those of the first run).
    merged = xr.combine_by_coords(parts, combine_attrs="override", join="outer")
    for key in varying:
        merged[dimension_name(key)].attrs = (
            {"long_name": "Seed", "description": "Root of every random number of the run"}
            if key == "seed"
            else {"long_name": dimension_name(key), "description": f"Swept override {key}"}
        )
    for name in PER_RUN_ATTRS:
        # A run missing from the Cartesian sweep (failed) has no config: empty, not NaN.
        merged[name] = merged[name].fillna("")
    merged.attrs = {
        "title": "Alliance premium simulation: merged sweep",
        "sweep_dir": str(sweep_dir),
        "swept": ", ".join(f"{dimension_name(k)} ({k})" for k in varying),
        "fixed_overrides": ", ".join(
            f"{k}={jobs.done[next(iter(jobs.done))][k]}" for k in keys if k not in varying
        ),
        "runs": len(jobs.done),
        "failed_runs": len(jobs.failed),
        # Runs of one sweep share these; differing values are kept, all of them.
        **{k: "; ".join(sorted(v)) for k, v in shared.items() if v},
    }
    return merged, jobs


def main(argv: list[str] | None = None) -> None:
    """Command line: merge a sweep, print the census, write `collected.nc`."""
    parser = argparse.ArgumentParser(prog="alliance-collect", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="the sweep folder (hydra.sweep.dir)")
    parser.add_argument("--output", type=Path, help=f"default: SWEEP_DIR/{COLLECTED_NAME}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--lazy", action="store_true", help="always merge through dask")
    mode.add_argument("--eager", action="store_true", help="always read runs into memory")
    args = parser.parse_args(argv)
    lazy = True if args.lazy else False if args.eager else None
    if not args.sweep_dir.is_dir():
        print(f"alliance-collect: no such folder: {args.sweep_dir}", file=sys.stderr)
        sys.exit(1)
    try:
        merged, jobs = collect(args.sweep_dir, lazy=lazy)
    except ValueError as error:
        print(f"alliance-collect: {error}", file=sys.stderr)
        sys.exit(1)
    for job, message in jobs.failed.items():
        print(f"failed: {job}: {message}")
    for job in jobs.unfinished:
        print(f"unfinished: {job}")
    output = args.output or args.sweep_dir / COLLECTED_NAME
    write_netcdf_atomically(merged, output)
    dims = ", ".join(f"{k}={v}" for k, v in merged.sizes.items())
    print(f"{len(jobs.done)} runs merged ({dims}); {len(jobs.failed)} failed")
    print(f"dataset: {output}")
