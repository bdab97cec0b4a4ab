"""`alliance-collect SWEEP_DIR`: merge every run of a sweep into one dataset.

    alliance-collect multirun/strategy_comparison   # writes SWEEP_DIR/collected.nc

Each job folder of a Hydra sweep holds `.hydra/overrides.yaml` and either
`dataset.nc` (done) or `error.txt` (failed). The overrides that vary between jobs
become dimensions of the merged dataset (`fund/strategy` -> `strategy`,
`fund.budget_eur` -> `budget_eur`, `seed` -> `seed`); those that are the same in
every job are kept as attributes. Failed and unfinished jobs are listed and left out.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr
import yaml

from experiments.files import write_netcdf_atomically
from experiments.run import DATASET_NAME, ERROR_NAME

COLLECTED_NAME = "collected.nc"


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


def collect(sweep_dir: Path) -> tuple[xr.Dataset, SweepJobs]:
    """Merge the datasets of a sweep's finished jobs.

    Args:
        sweep_dir: The sweep's folder.

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
    parts = []
    for job, overrides in jobs.done.items():
        with xr.open_dataset(job / DATASET_NAME, engine="h5netcdf") as opened:
            dataset = opened.load()
        seed = dataset.attrs["seed"]
        # Territory size classes are drawn per seed: a variable, not a shared coordinate.
        dataset = dataset.reset_coords("size_class").drop_attrs(deep=False)
        values = {**overrides, "seed": seed}
        dataset = dataset.expand_dims({dimension_name(k): [values[k]] for k in varying})
        parts.append(dataset)
    merged = xr.combine_by_coords(parts, combine_attrs="drop", join="outer")
    merged.attrs = {
        "title": "Alliance premium simulation: merged sweep",
        "sweep_dir": str(sweep_dir),
        "swept": ", ".join(f"{dimension_name(k)} ({k})" for k in varying),
        "fixed_overrides": ", ".join(
            f"{k}={jobs.done[next(iter(jobs.done))][k]}" for k in keys if k not in varying
        ),
        "runs": len(jobs.done),
        "failed_runs": len(jobs.failed),
    }
    first = next(iter(jobs.done))
    with xr.open_dataset(first / DATASET_NAME, engine="h5netcdf") as opened:
        merged.attrs["package_version"] = opened.attrs["package_version"]
        merged.attrs["calibrated_set"] = opened.attrs.get("calibrated_set", "")
    return merged, jobs


def main(argv: list[str] | None = None) -> None:
    """Command line: merge a sweep, print the census, write `collected.nc`."""
    parser = argparse.ArgumentParser(prog="alliance-collect", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="the sweep folder (hydra.sweep.dir)")
    parser.add_argument("--output", type=Path, help=f"default: SWEEP_DIR/{COLLECTED_NAME}")
    args = parser.parse_args(argv)
    try:
        merged, jobs = collect(args.sweep_dir)
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
