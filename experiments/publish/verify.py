"""`alliance-verify OUT_DIR [--rerun]`: check a published package, and reproduce it.

    alliance-verify published/            # manifest, then reopen the data
    alliance-verify published/ --rerun    # and re-run every run from its stored config

Checks, in order: every file against `MANIFEST.sha256` (a changed byte names the
file; a listed path outside the package is refused, never read); the NetCDF and
Zarr copies open with plain xarray, hold the same numbers, every variable has
units and a description, and nothing a CF 1.11 or ACDD 1.3 checker flags is
missing (`experiments.publish.conventions.convention_problems`); the tables
(`tables/*.csv`) are what the published data give; with `--rerun`, each run is
simulated again from `provenance/run_configs.json` and must give the published
numbers exactly. A file that cannot be read is one problem line. Exits 0 when
everything holds, 1 otherwise (2 when FOLDER does not exist).
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import OmegaConf

from experiments.config.schema import to_config
from experiments.process.commandline import Parser, at_least_one, refuse, refusing_unreadable
from experiments.process.progress import with_progress
from experiments.publish.conventions import apply_conventions, convention_problems
from experiments.publish.crate import crate_problems
from experiments.publish.manifest import check_manifest
from experiments.publish.publish import as_runs, csv_text, table_frames
from experiments.storage.files import open_zarr_zip
from experiments.sweep.collect import PER_RUN_ATTRS
from simulation import run
from simulation.config import RunConfig

PROGRAM = "alliance-verify"


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


class Unreadable(Exception):
    """A data file of the package cannot be read (truncated, corrupted, not what it claims)."""


@contextmanager
def readable(
    folder: Path, path: Path, opener: Callable[[Path], xr.Dataset]
) -> Iterator[xr.Dataset]:
    """Open a data file and load it; any failure to read it becomes `Unreadable`.

    A corrupted file fails inside whichever library decodes it (zipfile's
    `BadZipFile`, HDF5's `OSError`, a codec's `ValueError`...): each is reported as
    one line naming the file.

    Args:
        folder: The package.
        path: The data file.
        opener: Opens it as a dataset.

    Yields:
        The loaded dataset.

    Raises:
        Unreadable: The file could not be opened or read.
    """
    opened = None
    try:
        opened = opener(path)
        loaded = opened.load()
    except Exception as error:  # any decoder's failure means a corrupted file
        if opened is not None:
            opened.close()
        lines = str(error).strip().splitlines()
        msg = f"cannot read {path.relative_to(folder)}: {type(error).__name__}"
        raise Unreadable(f"{msg}: {lines[0]}" if lines else msg) from None
    with opened:
        yield loaded


def open_checked_zarr_zip(path: Path) -> xr.Dataset:
    """Open a zipped Zarr store after reading every member against its CRC-32.

    Zarr reads only the members it needs (the consolidated metadata, not each
    variable's own): a changed byte elsewhere would go unseen.

    Raises:
        zipfile.BadZipFile: A member's bytes or header do not match the archive's directory.
    """
    with zipfile.ZipFile(path) as archive:
        damaged = archive.testzip()
    if damaged is not None:
        msg = f"bad CRC-32 for member {damaged}"
        raise zipfile.BadZipFile(msg)
    return open_zarr_zip(path)


def check_data(folder: Path) -> list[str]:
    """Reopen both copies of the data; compare them; check units, descriptions, tables."""
    netcdf, zarr = data_files(folder)
    problems = []
    try:
        with (
            readable(folder, netcdf, xr.open_dataset) as from_netcdf,
            readable(folder, zarr, open_checked_zarr_zip) as from_zarr,
        ):
            try:
                xr.testing.assert_identical(from_netcdf, from_zarr)
            except AssertionError:
                problems.append(
                    f"differ: {netcdf.relative_to(folder)} and {zarr.relative_to(folder)}"
                )
            for name, variable in from_netcdf.data_vars.items():
                if name == "time_bnds":
                    continue  # CF bounds inherit their coordinate's metadata
                for attribute in ("units", "description"):
                    if not variable.attrs.get(attribute):
                        problems.append(f"variable {name} has no {attribute}")
            problems += convention_problems(from_netcdf)
            problems += check_tables(folder, from_netcdf, netcdf.relative_to(folder).as_posix())
    except Unreadable as error:
        return [str(error)]
    problems += crate_problems(folder)
    return problems


def check_tables(folder: Path, data: xr.Dataset, source: str) -> list[str]:
    """Compare the package's CSV tables with the tables its data give.

    Args:
        folder: The package.
        data: Its published data.
        source: The data file's name in the package, for the message.

    Returns:
        One problem per table that is missing, extra, or differs (naming the first
        differing row and column).
    """
    # The tables were computed before the CF time bounds were added (`conventions`).
    frames, _ = table_frames(data.drop_dims("nv", errors="ignore"))
    problems = []
    present = {p.relative_to(folder).as_posix() for p in (folder / "tables").glob("*.csv")}
    for name in sorted(present - set(frames)):
        problems.append(f"{name}: not a table the data give (from {source})")
    for name, frame in frames.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"missing: {name} (the data give it)")
            continue
        found = path.read_text(encoding="utf-8", errors="replace")
        expected = csv_text(frame)
        if found != expected:
            where = first_difference(found, expected)
            problems.append(f"{name} does not match the data in {source}: {where}")
    return problems


def first_difference(found: str, expected: str) -> str:
    """Where two CSV texts first differ, in words (row and column)."""
    found_rows = list(csv.reader(found.splitlines()))
    expected_rows = list(csv.reader(expected.splitlines()))
    header = expected_rows[0] if expected_rows else []
    for number, (got, want) in enumerate(zip(found_rows, expected_rows, strict=False)):
        if got != want:
            for column, (a, b) in enumerate(zip(got, want, strict=False)):
                if a != b:
                    name = header[column] if number and column < len(header) else "header"
                    return f"row {number}, column {name}: {a!r} instead of {b!r}"
            return f"row {number} has {len(got)} cells instead of {len(want)}"
    return f"{len(found_rows)} rows instead of {len(expected_rows)}"


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
        # As published: calendar time and CF money (`experiments.publish.conventions`).
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


def main(argv: list[str] | None = None) -> None:
    """Command line: verify a package; print each problem; exit 1 on any."""
    parser = Parser(
        PROGRAM,
        "Check a package written by alliance-publish: every file against its manifest, the\n"
        "data and tables against each other; with --rerun, re-run every run and compare.\n"
        "Exit 0 when everything holds, 1 otherwise.",
        examples=["alliance-verify published/", "alliance-verify published/ --rerun --max-runs 5"],
        docs=['README.md ("Publishing a dataset")', "docs/tutorials/publishing.md"],
    )
    parser.add_argument(
        "folder", type=Path, metavar="FOLDER", help="a package written by alliance-publish"
    )
    parser.add_argument("--rerun", action="store_true", help="re-run the runs and compare")
    parser.add_argument(
        "--max-runs",
        type=at_least_one,
        metavar="N",
        help="with --rerun: only the first N runs (N >= 1)",
    )
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        refuse(
            PROGRAM,
            f"no such folder: {args.folder}; allowed: a package written by alliance-publish",
        )
    with refusing_unreadable(PROGRAM):  # it writes nothing
        verify(args.folder, args.rerun, args.max_runs)


def verify(folder: Path, again: bool = False, max_runs: int | None = None) -> None:
    """Verify a package, print each problem, and exit 1 on any (0 otherwise).

    Args:
        folder: The package.
        again: Re-run its runs and compare (`--rerun`).
        max_runs: With `again`, only the first runs.
    """
    problems = check_manifest(folder)
    if problems:
        for problem in problems:
            print(f"{PROGRAM}: {problem}", file=sys.stderr)
        sys.exit(1)
    print("manifest: every file matches its SHA-256", flush=True)
    try:
        problems = check_data(folder)
    except ValueError as error:  # not a package: no single .nc and .zarr.zip
        problems = [str(error)]
    if not problems:
        print(
            "data: NetCDF and Zarr open and agree, every variable has units and a description,"
            " and the tables are what the data give"
        )
    if again and not problems:
        count, problems = rerun(folder, max_runs)
        if not problems:
            print(f"rerun: {count} run(s) reproduced exactly")
    for problem in problems:
        print(f"{PROGRAM}: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
