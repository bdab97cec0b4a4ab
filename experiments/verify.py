"""`alliance-verify OUT_DIR [--rerun]`: check a published package, and reproduce it.

    alliance-verify published/            # manifest, then reopen the data
    alliance-verify published/ --rerun    # and re-run every run from its stored config

Checks, in order: every file against `MANIFEST.sha256` (a changed byte names the
file); the NetCDF and Zarr copies open with plain xarray, hold the same numbers,
every variable has units and a description, and nothing a CF 1.11 or ACDD 1.3
checker flags is missing (`experiments.conventions.convention_problems`); with
`--rerun`, each run is simulated again from `provenance/run_configs.json` and
must give the published numbers exactly. Exits 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import OmegaConf

from experiments.collect import PER_RUN_ATTRS
from experiments.conventions import apply_conventions, convention_problems
from experiments.crate import crate_problems
from experiments.files import open_zarr_zip
from experiments.manifest import check_manifest
from experiments.progress import with_progress
from experiments.publish import as_runs
from experiments.schema import to_config
from simulation import run
from simulation.config import RunConfig


def config_from_dict(values: dict) -> RunConfig:
    """A validated `RunConfig` from its stored dictionary (unknown keys are refused)."""
    return to_config(OmegaConf.merge(OmegaConf.structured(RunConfig), values), RunConfig)


def data_files(folder: Path) -> tuple[Path, Path]:
    """The package's NetCDF file and Zarr store."""
    netcdf = sorted((folder / "data").glob("*.nc"))
    zarr = sorted((folder / "data").glob("*.zarr.zip"))
    if len(netcdf) != 1 or len(zarr) != 1:
        msg = f"expected one .nc and one .zarr.zip in {folder / 'data'}"
        raise ValueError(msg)
    return netcdf[0], zarr[0]


def check_data(folder: Path) -> list[str]:
    """Reopen both copies of the data; compare them; check units and descriptions."""
    netcdf, zarr = data_files(folder)
    problems = []
    with xr.open_dataset(netcdf) as from_netcdf, open_zarr_zip(zarr) as from_zarr:
        try:
            xr.testing.assert_identical(from_netcdf.load(), from_zarr.load())
        except AssertionError:
            problems.append(f"differ: {netcdf.relative_to(folder)} and {zarr.relative_to(folder)}")
        for name, variable in from_netcdf.data_vars.items():
            if name == "time_bnds":
                continue  # CF bounds inherit their coordinate's metadata
            for attribute in ("units", "description"):
                if not variable.attrs.get(attribute):
                    problems.append(f"variable {name} has no {attribute}")
        problems += convention_problems(from_netcdf)
    problems += crate_problems(folder)
    return problems


def rerun(folder: Path, max_runs: int | None = None) -> tuple[int, list[str]]:
    """Re-run the stored configs and compare with the published numbers.

    Args:
        folder: The package.
        max_runs: Re-run only the first runs (all when None).

    Returns:
        The number of runs re-run, and one problem per mismatching variable.
    """
    netcdf, _ = data_files(folder)
    stored = json.loads((folder / "provenance" / "run_configs.json").read_text())[:max_runs]
    problems = []
    with xr.open_dataset(netcdf) as opened:
        published = as_runs(opened.load())
    for entry in with_progress(stored, len(stored), "re-running", "run"):
        position = entry["run"]
        label = ", ".join(f"{k}={v}" for k, v in position.items())
        expected = published.sel(position)
        # As published: calendar time and CF money (`experiments.conventions`).
        again = apply_conventions(as_runs(run(config_from_dict(entry["config"])))).isel(seed=0)
        for name, variable in again.data_vars.items():
            if name in PER_RUN_ATTRS:
                continue
            # A sweep's outer join can pad dimensions: compare on the run's own labels.
            published_values = expected[name].sel({d: variable[d] for d in variable.dims})
            numeric = variable.dtype.kind in "iuf"
            if not np.array_equal(published_values.values, variable.values, equal_nan=numeric):
                problems.append(f"run {label}: {name} differs from the published values")
    return len(stored), problems


def _at_least_one(text: str) -> int:
    """An integer >= 1, for --max-runs (0 would check nothing, -1 all but one)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"invalid value {text!r}; allowed: an integer >= 1"
        raise argparse.ArgumentTypeError(msg)
    return value


def main(argv: list[str] | None = None) -> None:
    """Command line: verify a package; print each problem; exit 1 on any."""
    parser = argparse.ArgumentParser(prog="alliance-verify", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a package written by alliance-publish")
    parser.add_argument("--rerun", action="store_true", help="re-run the runs and compare")
    parser.add_argument(
        "--max-runs", type=_at_least_one, help="with --rerun: only the first N runs (N >= 1)"
    )
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"alliance-verify: no such folder: {args.folder}", file=sys.stderr)
        sys.exit(1)
    problems = check_manifest(args.folder)
    if problems:
        for problem in problems:
            print(f"alliance-verify: {problem}", file=sys.stderr)
        sys.exit(1)
    print("manifest: every file matches its SHA-256", flush=True)
    problems = check_data(args.folder)
    if not problems:
        print("data: NetCDF and Zarr open, agree, and every variable has units and a description")
    if args.rerun and not problems:
        count, problems = rerun(args.folder, args.max_runs)
        if not problems:
            print(f"rerun: {count} run(s) reproduced exactly")
    for problem in problems:
        print(f"alliance-verify: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
