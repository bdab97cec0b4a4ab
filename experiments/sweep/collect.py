"""`alliance-collect SWEEP_DIR`: merge every run of a sweep into one dataset.

    alliance-collect multirun/strategy_comparison   # writes SWEEP_DIR/collected.nc

Each job folder of a sweep holds `job.json` (its overrides, status and config
hash) and either `dataset.nc` (done) or `error.txt` (failed); folders of older
sweeps hold `.hydra/overrides.yaml` instead. The overrides that vary between
jobs become dimensions of the merged dataset (`fund/strategy` -> `strategy`,
`fund.budget_eur` -> `budget_eur`, `seed` -> `seed`); those that are the same in
every job are kept as attributes. Failed, unreadable and unfinished jobs are
listed and left out.

Runs made under configurations that differ beyond the swept keys (a YAML
default edited between two runs of a sweep), or runs that set different keys,
are refused, naming the keys. A file is merged only once checked against what it
claims to be: a dataset whose size or SHA-256 differs from its `job.json`, a
`job.json` recorded for another folder, a dataset whose seed, config hash or
overrides are not its job's, and two jobs of one cell are refused, naming the
folder (exit 2).

Runs of one shape are streamed into the merged file a few milliseconds each
(`experiments.sweep.merge`), in memory a few runs at a time; a sweep over the
world's shape is merged through xarray's outer join (`combine`).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import xarray as xr
import yaml

from experiments.process.commandline import Parser, processes, refuse, refusing_unreadable
from experiments.process.progress import with_progress
from experiments.storage.files import NETCDF_ENGINE, write_netcdf_atomically
from experiments.sweep.jobs import (
    DATASET_NAME,
    DONE,
    ERROR_NAME,
    RECORD_NAME,
    damage,
    read_record,
    record_identity,
)
from experiments.sweep.merge import (
    PER_RUN_ATTRS,
    CollectRefused,
    ConfigMismatch,
    RunFile,
    ShapeMismatch,
    check_identity,
    merge_runs,
)
from experiments.sweep.runfile import open_run

if TYPE_CHECKING:
    from hydra.core.override_parser.overrides_parser import OverridesParser

__all__ = [
    "PER_RUN_ATTRS",
    "SHARED_ATTRS",
    "collect",
    "collect_dataset",
    "combine",
    "find_jobs",
    "mergeable",
]

PROGRAM = "alliance-collect"
COLLECTED_NAME = "collected.nc"
# Attributes every run of a sweep shares, kept on the merged dataset.
SHARED_ATTRS = (
    "package_version",
    "git_commit",
    "mesa_version",
    "calibrated_set",
    "sensitivity_design",
)
# Swept keys whose values change the model's parameters beyond their own path.
MODEL_WIDE_KEYS = ("calibrated", "draw", "sensitivity.sample", "model")

# A value Hydra reads as this decimal integer (no leading zero: `007` is a string).
INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
# A plain key and a plain word (`fund/strategy=uniform`): Hydra reads the word as this
# text, unless it is one of its keywords.
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*([./][A-Za-z_][A-Za-z0-9_]*)*")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEYWORDS = frozenset({"true", "false", "null", "nan", "inf"})
# What opening a damaged or truncated NetCDF file raises.
UNREADABLE = (OSError, ValueError, KeyError, RuntimeError)


@dataclass
class SweepJobs:
    """The jobs found in a sweep folder.

    Attributes:
        done: Job folder -> its swept values as {override key: value} (seed included).
        failed: Job folder -> the last line of its error.
        unfinished: Job folders with neither a dataset nor an error.
        identity: Done job folder -> what its dataset's attributes must say
            (seed, config hash, overrides), from its record or its folder.
        unchecked: Done job folders whose dataset no checksum vouches for (a
            record of an older sweep, a single run): only its attributes are checked.
    """

    done: dict[Path, dict[str, object]] = field(default_factory=dict)
    identity: dict[Path, dict[str, str]] = field(default_factory=dict)
    failed: dict[Path, str] = field(default_factory=dict)
    unfinished: list[Path] = field(default_factory=list)
    unchecked: list[Path] = field(default_factory=list)


def dimension_name(key: str) -> str:
    """Dimension name of an override key: its last path component."""
    return key.replace("/", ".").split(".")[-1]


@functools.cache
def _override_parser() -> OverridesParser:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


@functools.lru_cache(maxsize=4096)
def override_value(item: str) -> tuple[str, object]:
    """An override's key and value as Hydra reads them: `2e6` a float, `none` a string.

    The rule by which the sweep's planner types each job's values
    (`OverridesParser`), so that a run collected from its record or its
    `.hydra/overrides.yaml` has the coordinates the sweep gave it (YAML 1.1 read
    `2e6` as a string). A decimal integer, and a plain word for a plain key
    (`fund/strategy=uniform`), are read at once (the same value; Hydra itself is
    imported only for other overrides: a tenth of a second of `alliance-collect`).

    Args:
        item: `key=value`, `+key=value` or `~key`.

    Returns:
        The key (without `+`, `~`), and the value: a number, a boolean or a string
        (a list, a dict, a deletion or an override Hydra cannot parse: the text given).
    """
    key, _, text = item.lstrip("+~").partition("=")
    if INTEGER.fullmatch(text):
        return key, int(text)
    if PLAIN_KEY.fullmatch(key) and WORD.fullmatch(text) and text.lower() not in KEYWORDS:
        return key, text
    from hydra.errors import HydraException

    try:
        override = _override_parser().parse_override(item)
        value = override.value()
    except (HydraException, ValueError):
        return key, text
    return override.key_or_group, value if isinstance(value, int | float | str) else text


def _overrides(items: list[str]) -> dict[str, object]:
    overrides = {}
    for item in items:
        key, value = override_value(item)
        if key != "experiment":
            overrides[key] = value
    return overrides


def _last_error_line(job: Path) -> str:
    try:
        lines = (job / ERROR_NAME).read_text().strip().splitlines()
    except OSError:
        return "unknown error"
    return lines[-1] if lines else "unknown error"


def _check_record(job: Path, record: dict) -> None:
    """Refuse a done job whose record is another folder's or whose dataset is not its own."""
    recorded = Path(str(record.get("folder") or job.name)).parts
    if job.parts[-len(recorded) :] != recorded:  # a sweep's subfolder may be collected
        msg = (
            f"{job}: its {RECORD_NAME} is the record of job folder {record['folder']!r} "
            "(copied or moved); remove the folder, or re-run the sweep"
        )
        raise CollectRefused(msg)
    if "dataset" not in record:
        return  # an older sweep's record: no checksum to check (the attributes still are)
    reason = damage(job, record)
    if reason is not None:
        msg = f"{job}: {reason}; re-run the sweep (alliance-run -m re-runs this job)"
        raise CollectRefused(msg)


def _walk(top: Path) -> Iterator[tuple[str, list[os.DirEntry]]]:
    """`Path.walk(top)` in its order (top-down, links not followed), each folder's entries.

    The entries are `os.DirEntry`s, which know whether they are links without a
    system call of their own.
    """
    try:
        scanned = os.scandir(top)
    except OSError:  # as Path.walk: a folder that cannot be opened is passed over
        return
    with scanned:  # one that opens but cannot be listed (/proc/1/map_files) is refused
        entries = list(scanned)
    yield str(top), entries
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))


def sweep_files(sweep_dir: Path) -> tuple[list[Path], list[Path]]:
    """One pass over a sweep's folder: refuse any link; its jobs' records and Hydra's overrides.

    Args:
        sweep_dir: The sweep's folder.

    Returns:
        The `job.json` files and the `.hydra/overrides.yaml` files below it,
        sorted (what `Path.rglob` finds of each).

    Raises:
        CollectRefused: A symbolic link in the sweep's folder (`check_no_links`).
    """
    records, overrides = [], []
    for folder, entries in _walk(sweep_dir):
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_symlink():
                _refuse_link(Path(entry.path))
            if entry.name == RECORD_NAME:
                records.append(Path(entry.path))
            elif entry.name == "overrides.yaml" and os.path.basename(folder) == ".hydra":
                overrides.append(Path(entry.path))
    return sorted(records), sorted(overrides)


def check_no_links(sweep_dir: Path) -> None:
    """Refuse a sweep folder holding a symbolic link: a job folder or file is never a link.

    A link to another job's folder would be skipped by the search for jobs (the
    job silently missing from the merge), or merged as a second copy of the
    other's run. The sweep's own folder may be a link.

    Raises:
        CollectRefused: Naming the first link found and where it points.
    """
    sweep_files(sweep_dir)


def _refuse_link(path: Path) -> NoReturn:
    msg = (
        f"{path}: a symbolic link (to {os.readlink(path)}) in the sweep's folder; "
        "allowed: job folders and files themselves; replace the link by the job's "
        "own folder, or remove it and re-run the sweep"
    )
    raise CollectRefused(msg)


def find_jobs(sweep_dir: Path) -> SweepJobs:
    """Classify the job folders of a sweep from their `job.json` records.

    Folders without a record but with Hydra's `.hydra/overrides.yaml` (sweeps made
    before records existed, single runs) are read the old way.

    Args:
        sweep_dir: The sweep's folder (`hydra.sweep.dir`).

    Returns:
        The jobs, done, failed and unfinished.

    Raises:
        CollectRefused: A symbolic link in the sweep's folder, a done job's record
            belongs to another folder, or its dataset is not the one its record
            describes (`jobs.damage`).
    """
    record_files, overrides_files = sweep_files(sweep_dir)  # links refused first
    jobs = SweepJobs()
    recorded = set()
    for record_file in record_files:
        job = record_file.parent
        recorded.add(job)
        record = read_record(job)
        if record is None:
            jobs.unfinished.append(job)
            continue
        values = {"seed": record.get("seed", 0), **_overrides(record.get("overrides", []))}
        if record.get("status") == DONE and (job / DATASET_NAME).exists():
            _check_record(job, record)
            jobs.done[job] = values
            jobs.identity[job] = record_identity(record)
            if "dataset" not in record:
                jobs.unchecked.append(job)
        elif (job / ERROR_NAME).exists():
            jobs.failed[job] = _last_error_line(job)
        else:
            jobs.unfinished.append(job)
    for overrides_file in overrides_files:
        job = overrides_file.parent.parent
        if job in recorded:
            continue
        items = [str(item) for item in yaml.safe_load(overrides_file.read_text()) or []]
        values = _overrides(items)
        if (job / DATASET_NAME).exists():
            config = yaml.safe_load((job / ".hydra" / "config.yaml").read_text()) or {}
            jobs.done[job] = {"seed": config.get("seed", 0), **values}
            # The dataset repeats its folder's overrides (`annotate`): one swapped with
            # another run's is refused, not merged under the other's values.
            jobs.identity[job] = {
                "seed": str(jobs.done[job]["seed"]),
                "hydra_overrides": " ".join(items),
            }
            jobs.unchecked.append(job)
        elif (job / ERROR_NAME).exists():
            jobs.failed[job] = _last_error_line(job)
        else:
            jobs.unfinished.append(job)
    return jobs


def swept_keys(jobs: SweepJobs) -> tuple[list[str], list[str]]:
    """The override keys that vary between the done jobs (seed always), and all keys.

    Raises:
        ConfigMismatch: Some jobs set a key that others do not (runs of
            different sweeps, or single runs with different overrides).
    """
    keys = sorted({k for values in jobs.done.values() for k in values})
    partial = [k for k in keys if any(k not in values for values in jobs.done.values())]
    if partial:
        without = next(job for job, values in jobs.done.items() if partial[0] not in values)
        msg = (
            f"runs made under different overrides: {', '.join(partial[:5])} set in some runs "
            f"and not in others (e.g. not in {without}); collect the runs of one sweep, or "
            "runs that set the same keys"
        )
        raise ConfigMismatch(msg)
    varying = [k for k in keys if len({str(v.get(k)) for v in jobs.done.values()}) > 1]
    if "seed" not in varying:
        varying.append("seed")
    return varying, keys


def check_cells(jobs: SweepJobs, varying: list[str]) -> None:
    """Refuse two done jobs at the same coordinates (a copied job folder).

    Raises:
        CollectRefused: Naming both folders and the cell.
    """
    seen: dict[tuple, Path] = {}
    for job, values in jobs.done.items():
        cell = tuple(values[k] for k in varying)  # 2e6 and 2000000 are one cell
        if cell in seen:
            where = ", ".join(f"{k}={v}" for k, v in zip(varying, cell, strict=True))
            msg = (
                f"{job}: a second run of the cell {where} (the first is {seen[cell]}); "
                "remove the copy"
            )
            raise CollectRefused(msg)
        seen[cell] = job


@functools.cache
def calibrated_keys() -> frozenset[str]:
    """What a calibrated set, a posterior draw or a design row may change.

    Every mechanism parameter (`model`), and the keys of every calibration's free
    parameters and priors (`configs/calibration/*.yaml`): those are the keys a
    calibrated set or a posterior draw writes, whatever section they live in.
    """
    from experiments.config.schema import CONFIG_DIR

    keys = {"model"}
    for path in sorted((Path(CONFIG_DIR) / "calibration").glob("*.yaml")):
        settings = yaml.safe_load(path.read_text()) or {}
        for section in ("parameters", "priors"):
            keys.update(settings.get(section) or {})
    return frozenset(keys)


def allowed_differences(varying: list[str]) -> tuple[str, ...]:
    """Config key prefixes that may differ between runs: those the swept keys set."""
    prefixes = set()
    for key in varying:
        if key in MODEL_WIDE_KEYS:
            prefixes.update(calibrated_keys())
        else:
            prefixes.add(key.replace("/", "."))
    return tuple(sorted(prefixes))


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


def _merged_attrs(sweep_dir: Path, jobs: SweepJobs, varying: list[str], keys: list[str]) -> dict:
    first = jobs.done[next(iter(jobs.done))]
    return {
        "title": "Alliance premium simulation: merged sweep",
        "sweep_dir": str(sweep_dir),
        "swept": ", ".join(f"{dimension_name(k)} ({k})" for k in varying),
        "fixed_overrides": ", ".join(f"{k}={first[k]}" for k in keys if k not in varying),
        "runs": len(jobs.done),
        "failed_runs": len(jobs.failed),
    }


def _dim_attrs(key: str) -> dict[str, str]:
    """Attributes of the merged dimension of swept key `key`."""
    if key == "seed":
        return {"long_name": "Seed", "description": "Root of every random number of the run"}
    return {"long_name": dimension_name(key), "description": f"Swept override {key}"}


def _label_dims(dataset: xr.Dataset, varying: list[str]) -> xr.Dataset:
    for key in varying:
        dataset[dimension_name(key)].attrs = _dim_attrs(key)
    return dataset


def collect(sweep_dir: Path, output: Path | None = None, workers: int = -1) -> SweepJobs:
    """Merge the runs of a sweep's finished jobs into one NetCDF file.

    Args:
        sweep_dir: The sweep's folder.
        output: The merged file; default `SWEEP_DIR/collected.nc`.
        workers: Processes reading runs; -1 for one per core.

    Returns:
        The job census; unreadable runs are moved from `done` to `failed`.

    Raises:
        ValueError: No job finished.
        CollectRefused: A run that is not what its folder and record say, or two
            runs of one cell (naming the folder); runs made under different
            configurations (`ConfigMismatch`, naming the keys).
    """
    output = output or sweep_dir / COLLECTED_NAME
    jobs = find_jobs(sweep_dir)
    if not jobs.done:
        msg = f"no finished job in {sweep_dir} ({len(jobs.failed)} failed)"
        raise ValueError(msg)
    varying, keys = swept_keys(jobs)
    check_cells(jobs, varying)
    template = None
    for job in list(jobs.done):
        try:
            template = mergeable(open_run(job / DATASET_NAME))
            break
        except UNREADABLE as error:
            del jobs.done[job]
            jobs.failed[job] = f"unreadable {DATASET_NAME}: {str(error).splitlines()[0]}"
    if template is None:
        msg = f"no readable run in {sweep_dir} ({len(jobs.failed)} failed)"
        raise ValueError(msg)
    template.attrs = _merged_attrs(sweep_dir, jobs, varying, keys)
    coords = {
        dimension_name(k): sorted({values[k] for values in jobs.done.values()}) for k in varying
    }
    runs = [
        RunFile(
            job / DATASET_NAME,
            {dimension_name(k): values[k] for k in varying},
            jobs.identity.get(job, {}),
        )
        for job, values in jobs.done.items()
    ]
    workers = (os.cpu_count() or 1) if workers < 1 else workers
    try:
        unreadable = merge_runs(
            runs,
            coords,
            output,
            template,
            {dimension_name(k): _dim_attrs(k) for k in varying},
            allowed_differences(varying),
            workers,
            SHARED_ATTRS,
        )
    except ShapeMismatch:
        write_netcdf_atomically(combine(sweep_dir, jobs, varying, keys), output)
        return jobs
    for job, reason in unreadable.items():
        del jobs.done[job]
        jobs.failed[job] = reason
    return jobs


def collect_dataset(sweep_dir: Path, output: Path | None = None) -> tuple[xr.Dataset, SweepJobs]:
    """`collect`, then the merged dataset read into memory (for notebooks and tests).

    Args:
        sweep_dir: The sweep's folder.
        output: The merged file; default `SWEEP_DIR/collected.nc`.

    Returns:
        The merged dataset and the job census.
    """
    output = output or sweep_dir / COLLECTED_NAME
    jobs = collect(sweep_dir, output)
    with xr.open_dataset(output, engine=NETCDF_ENGINE) as merged:
        return merged.load(), jobs


def combine(sweep_dir: Path, jobs: SweepJobs, varying: list[str], keys: list[str]) -> xr.Dataset:
    """Merge runs of different shapes through xarray's outer join, in memory.

    The slow path (about 20 ms a run): for sweeps over the world's shape, and the
    independent check of the streaming merge in the tests.

    Args:
        sweep_dir: The sweep's folder.
        jobs: Its census; unreadable runs are moved to `failed`.
        varying: The swept keys.
        keys: All override keys.

    Returns:
        The merged dataset.
    """
    parts = []
    shared: dict[str, set[str]] = {k: set() for k in SHARED_ATTRS}
    done = list(jobs.done.items())
    for job, values in with_progress(done, len(done), "reading runs", "run"):
        try:
            dataset = open_run(job / DATASET_NAME)
        except UNREADABLE as error:
            del jobs.done[job]
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            jobs.failed[job] = f"unreadable {DATASET_NAME}: {reason}"
            continue
        check_identity(job, dataset.attrs, jobs.identity.get(job, {}))
        for key in SHARED_ATTRS:
            if key in dataset.attrs:
                shared[key].add(str(dataset.attrs[key]))
        parts.append(
            mergeable(dataset).expand_dims({dimension_name(k): [values[k]] for k in varying})
        )
    if not parts:
        msg = f"no readable run in {sweep_dir} ({len(jobs.failed)} failed)"
        raise ValueError(msg)
    # "override": each variable keeps its units and descriptions (those of the first run).
    merged = xr.combine_by_coords(parts, combine_attrs="override", join="outer")
    for name in PER_RUN_ATTRS:
        # A run missing from the Cartesian sweep (failed) has no config: empty, not NaN.
        merged[name] = merged[name].fillna("")
    merged.attrs = {
        **_merged_attrs(sweep_dir, jobs, varying, keys),
        **{k: "; ".join(sorted(v)) for k, v in shared.items() if v},
    }
    return _label_dims(merged, varying)


def _argument_problem(sweep_dir: Path, output: Path) -> str | None:
    """What is wrong with the folder and output given, in one line; None if nothing."""
    if not sweep_dir.is_dir():
        return (
            f"no such folder: {sweep_dir}; allowed: a sweep's folder (hydra.sweep.dir) or a "
            "folder of single runs"
        )
    if output.is_dir():
        return (
            f"invalid --output {output}: it is a folder; allowed: a file (default: "
            f"SWEEP_DIR/{COLLECTED_NAME})"
        )
    if not output.absolute().parent.is_dir():
        return (
            f"invalid --output {output}: its folder {output.absolute().parent} does not "
            "exist; allowed: a file in an existing folder"
        )
    return None


def main(argv: list[str] | None = None) -> None:
    """Command line: merge a sweep, print the census, write `collected.nc`."""
    parser = Parser(
        PROGRAM,
        "Merge every finished run of a sweep into one NetCDF file (SWEEP_DIR/collected.nc),\n"
        "the swept values as its dimensions; failed and unfinished jobs are listed and left out.",
        examples=[
            "alliance-collect multirun/strategy_comparison",
            "alliance-collect multirun/appraisal --output appraisal.nc --workers 2",
        ],
        docs=[
            'README.md ("Sweeps, merged datasets and the strategy comparison")',
            "docs/tutorials/strategy-comparison.md",
        ],
    )
    parser.add_argument(
        "sweep_dir",
        type=Path,
        metavar="SWEEP_DIR",
        help="a sweep's folder (hydra.sweep.dir) or a folder of single runs",
    )
    parser.add_argument(
        "--output", type=Path, metavar="FILE", help=f"default: SWEEP_DIR/{COLLECTED_NAME}"
    )
    parser.add_argument(
        "--workers",
        type=processes,
        default=-1,
        metavar="N",
        help="processes reading runs: an integer >= 1, or -1 (default) for one per core",
    )
    args = parser.parse_args(argv)
    output = args.output or args.sweep_dir / COLLECTED_NAME
    problem = _argument_problem(args.sweep_dir, output)
    if problem:
        refuse(PROGRAM, problem)
    try:
        with refusing_unreadable(PROGRAM, written=[output]):
            jobs = collect(args.sweep_dir, output, args.workers)
    except CollectRefused as error:
        refuse(PROGRAM, str(error))
    except ValueError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        sys.exit(1)
    for job, message in jobs.failed.items():
        print(f"failed: {job}: {message}")
    for job in jobs.unfinished:
        print(f"unfinished: {job}")
    with xr.open_dataset(output, engine=NETCDF_ENGINE) as merged:
        dims = ", ".join(f"{k}={v}" for k, v in merged.sizes.items())
    unchecked = len([job for job in jobs.unchecked if job in jobs.done])
    checked = (
        f"; {unchecked} not checked against a checksum (single runs or an older sweep's "
        "records: only their seed and overrides were)"
        if unchecked
        else ""
    )
    print(f"{len(jobs.done)} runs merged ({dims}); {len(jobs.failed)} failed{checked}")
    print(f"dataset: {output}")
