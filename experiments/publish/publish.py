r"""`alliance-publish DATASET OUT_DIR [KEY=VALUE ...]`: a dataset package to deposit as is.

    alliance-publish multirun/strategy_comparison/collected.nc published/ \
        title="Alliance premium: strategy comparison" \
        'creators=[{given_names: Ada, family_names: Lovelace}]'

DATASET is one run's `dataset.nc` or a merged sweep (`alliance-collect`). The
metadata come from `configs/publish.yaml` and the KEY=VALUE overrides; they are
checked before anything is written. OUT_DIR must not exist yet; the package is
built in a temporary folder next to it and renamed at the end:

    data/<name>.nc                  NetCDF-4 (netCDF4), CF-1.11 and ACDD-1.3 attributes
    data/<name>.zarr.zip            the same data as one zipped Zarr store (format 2)
    tables/runs.csv                 headline figures, one row per run
    tables/arms.csv                 sweeps: mean and 95 % interval per arm over seeds
    provenance/provenance.json      versions, git commits, seeds, commands, dates, metadata
    provenance/run_configs.json     the full resolved config of every run
    provenance/calibrated_set.yaml  the calibrated parameter set the runs used, with its fit
    provenance/sources.md           the model's docs/sources.md: every field figure's source
    README.md, CITATION.cff, datapackage.json
    datacite.json                   DataCite 4.5 metadata (every mandatory property)
    .zenodo.json                    Zenodo deposit metadata (experiments.publish.zenodo)
    ro-crate-metadata.json          RO-Crate 1.1, Process Run Crate: one CreateAction per run
    MANIFEST.sha256                 SHA-256 of every other file

Data and tables depend on the runs and the metadata only: publishing the same run
twice gives byte-identical data files. Dates live in the metadata files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException, OverrideParseException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from calibration.config import Target
from experiments.config.provenance import git_commit, library_versions
from experiments.config.refusal import refusal
from experiments.config.schema import CONFIG_DIR, PROJECT_ROOT, refuse_unknown_keys, register
from experiments.process.commandline import Parser, refuse, refusing_unreadable
from experiments.publish.card import citation_cff, data_package, dataset_card
from experiments.publish.conventions import apply_conventions
from experiments.publish.crate import datacite_metadata, write_crate
from experiments.publish.manifest import write_manifest
from experiments.publish.publication import SOURCES, SOURCES_COPY, PublishConfig
from experiments.publish.zenodo import ZENODO_FILE, zenodo_metadata
from experiments.reports.report import per_seed_metrics, summary_table
from experiments.storage.files import NETCDF_ENGINE, check_replaceable, write_zarr_zip
from experiments.sweep.collect import SHARED_ATTRS, mergeable
from simulation.config import ConfigError

PROGRAM = "alliance-publish"
CONVENTIONS = "CF-1.11, ACDD-1.3"
# Files a deposit may hold (Zenodo's limit per record).
MAX_FILES = 100
# Attributes of the runs carried into the published data (all deterministic).
_KEPT_ATTRS = (
    *SHARED_ATTRS,
    "scenario",
    "strategy",
    "seed",
    "discount_rate_per_year",
    "swept",
    "fixed_overrides",
    "runs",
    "failed_runs",
    "config_json",
)
_PER_RUN_DIMS = {"world", "view", "measure", "project_type"}
# numpy dtype kind -> Frictionless field type
_FRICTIONLESS_TYPES = {"b": "boolean", "i": "integer", "u": "integer", "f": "number"}


def load_publish_config(overrides: list[str]) -> PublishConfig:
    """Compose `configs/publish.yaml` with command-line overrides and validate it.

    Args:
        overrides: Hydra overrides, e.g. `["title=My data"]`.

    Returns:
        The validated metadata.

    Raises:
        ConfigError: An unknown key, a wrong type or a value the fields do not allow.
    """
    register("publish")
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="publish", overrides=overrides)
        refuse_unknown_keys(cfg, PublishConfig, "configs/publish.yaml")
        config = OmegaConf.to_object(cfg)
    except (HydraException, OmegaConfBaseException) as error:
        hint = (
            "; quote values with commas, parentheses or quotes: \"title='A (B, C)'\""
            if isinstance(error, OverrideParseException)
            else ""
        )
        where = "configs/publish.yaml"
        keys = tuple(f.name for f in dataclasses.fields(PublishConfig))
        line = refusal(error, overrides=overrides, keys=keys, where=where)
        msg = line if where in line else f"{line}{hint} (keys and defaults: {where})"
        raise ConfigError(msg) from None
    if not isinstance(config, PublishConfig):
        msg = f"expected a PublishConfig, got {type(config).__name__}"
        raise TypeError(msg)
    return config.validate()


def as_runs(dataset: xr.Dataset) -> xr.Dataset:
    """A single run shaped like a merged sweep: a `seed` dimension and `run_config`.

    A merged sweep is returned unchanged, so callers handle one shape.
    """
    if "run_config" in dataset:
        return dataset
    return mergeable(dataset).expand_dims(seed=[dataset.attrs["seed"]])


def run_index(runs: xr.Dataset) -> list[dict[str, object]]:
    """The coordinates of every run that finished (a non-empty config), in order."""
    dims = runs.run_config.dims
    index = []
    for values in itertools.product(*(runs[d].values.tolist() for d in dims)):
        position = dict(zip(dims, values, strict=True))
        config = runs.run_config.sel(position).item()
        if isinstance(config, str) and config:
            index.append(position)
    return index


def _unique(values: xr.DataArray) -> list[str]:
    return sorted({str(v) for v in np.ravel(values.values) if isinstance(v, str) and v})


def _without_hydra_settings(command: str) -> str:
    # Output folders and launchers do not change the numbers, and would make two
    # publications of the same run differ.
    return " ".join(t for t in command.split() if not t.lstrip("+~").startswith("hydra"))


def target_sources() -> list[str]:
    """The source of each calibration target (configs/calibration/targets.yaml), once each."""
    targets = yaml.safe_load((Path(CONFIG_DIR) / "calibration" / "targets.yaml").read_text())
    return list(dict.fromkeys(Target(**target).source for target in targets.values()))


def _references() -> str:
    return "; ".join(
        [
            *target_sources(),
            "Documents of the Fonds ODD 17 and Le RAMEAU: every figure the model takes "
            f"from them, its original words and its source in the model's {SOURCES} "
            "(in its repository and its wheel), the model itself in docs/model.md (ODD)",
        ]
    )


def data_attributes(dataset: xr.Dataset, meta: PublishConfig) -> dict[str, object]:
    """Global CF and ACDD attributes of the published data, from the runs and the metadata.

    Nothing here depends on the time or place of publication, so the data files
    of two publications of the same run are identical.
    """
    runs = as_runs(dataset)
    creators = meta.creators
    affiliations = dict.fromkeys(c.affiliation for c in creators if c.affiliation)
    attrs: dict[str, object] = {
        "Conventions": CONVENTIONS,
        "title": meta.title,
        "summary": meta.summary,
        "keywords": ", ".join(meta.keywords),
        "license": meta.license,
        "creator_name": ", ".join(c.full_name for c in creators),
        "creator_email": ", ".join(c.email for c in creators if c.email),
        # `orcid` is already the URL (https://orcid.org/0000-...; PublishConfig checks it).
        "creator_url": ", ".join(c.orcid for c in creators if c.orcid),
        "creator_institution": ", ".join(affiliations),
        "creator_type": "person",
        "institution": meta.institution,
        # ACDD recommends a publisher; without one, the creators publish their data.
        "publisher_name": meta.publisher_name or ", ".join(c.full_name for c in creators),
        "publisher_email": meta.publisher_email,
        "publisher_url": meta.publisher_url,
        "publisher_institution": meta.publisher_institution,
        "project": meta.project,
        "product_version": meta.version,
        "source": (
            f"alliance-premium {dataset.attrs.get('package_version', 'unknown')} "
            f"(git {dataset.attrs.get('git_commit', 'unknown')}): agent-based simulation "
            f"with Mesa {dataset.attrs.get('mesa_version', 'unknown')}"
        ),
        "history": "\n".join(
            [
                *sorted({_without_hydra_settings(c) for c in _unique(runs.run_command)}),
                *(["alliance-collect (merged the runs)"] if "run_config" in dataset else []),
                "alliance-publish (this package)",
            ]
        ),
        "references": _references(),
        "acknowledgement": meta.acknowledgement,
        "comment": "Provenance (every run's config, versions, seeds) is in provenance/ next "
        "to the data; README.md describes every variable.",
    }
    if meta.doi:
        attrs["id"] = meta.doi
        attrs["naming_authority"] = "org.doi"
    if meta.date_created:
        attrs["date_created"] = meta.date_created
    attrs = {k: v for k, v in attrs.items() if v != ""}
    attrs.update({k: dataset.attrs[k] for k in _KEPT_ATTRS if k in dataset.attrs})
    return attrs


def published_data(dataset: xr.Dataset, meta: PublishConfig) -> xr.Dataset:
    """The data as published: CF calendar time and money, ACDD attributes (`conventions`)."""
    data = dataset.copy()
    data.attrs = data_attributes(dataset, meta)
    return apply_conventions(data, meta.doi)


def run_table(dataset: xr.Dataset) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Headline figures, one row per run, and a description of every column.

    Every variable that is one number per run and world or view becomes one column
    per world or view, named `<variable>_<world or view>`.

    Returns:
        The table and its fields (name, type, unit, description) for datapackage.json.
    """
    runs = as_runs(dataset)
    run_dims = list(runs.run_config.dims)
    columns: dict[str, xr.DataArray] = {}
    fields = []
    for dim in run_dims:
        coordinate = runs[dim]
        fields.append(
            {
                "name": dim,
                "type": _FRICTIONLESS_TYPES.get(coordinate.dtype.kind, "string"),
                "description": coordinate.attrs.get("description", f"swept value: {dim}"),
            }
        )
    for name, variable in runs.data_vars.items():
        extra = [d for d in variable.dims if d not in run_dims]
        if not set(extra) <= _PER_RUN_DIMS or variable.dtype.kind not in "iuf":
            continue
        for combination in itertools.product(*(runs[d].values.tolist() for d in extra)):
            selection = dict(zip(extra, combination, strict=True))
            column = "_".join([name, *map(str, combination)])
            columns[column] = variable.sel(selection, drop=True)
            where = ", ".join(f"{d} {v}" for d, v in selection.items())
            description = variable.attrs.get("description", variable.attrs.get("long_name", ""))
            fields.append(
                {
                    "name": column,
                    "type": _FRICTIONLESS_TYPES.get(variable.dtype.kind, "string"),
                    "unit": variable.attrs.get("units", ""),
                    "description": f"{description} ({where})" if where else description,
                }
            )
    frame = xr.Dataset(columns).to_dataframe().reset_index()
    frame = frame.dropna(how="all", subset=list(columns))
    return frame[[f["name"] for f in fields]], fields


def arm_table(dataset: xr.Dataset) -> pd.DataFrame | None:
    """Per swept arm, mean and 95 % interval over seeds (the report's table).

    None without replicate seeds: an interval needs at least two.
    """
    runs = as_runs(dataset)
    if runs.sizes["seed"] < 2:
        return None
    return summary_table(per_seed_metrics(runs))


def table_frames(dataset: xr.Dataset) -> tuple[dict[str, pd.DataFrame], list[dict[str, str]]]:
    """The CSV tables of a package, computed from the data they summarise.

    `alliance-publish` writes them; `alliance-verify` computes them again from the
    published data and compares (`csv_text`).

    Args:
        dataset: The runs (as given to `alliance-publish`, or its published data).

    Returns:
        `{"tables/runs.csv": frame}`, with `"tables/arms.csv"` for sweeps of several
        seeds, and the fields of `runs.csv` (`run_table`).
    """
    runs_frame, runs_fields = run_table(dataset)
    frames = {"tables/runs.csv": runs_frame}
    arms = arm_table(dataset)
    if arms is not None:
        frames["tables/arms.csv"] = arms
    return frames, runs_fields


def csv_text(frame: pd.DataFrame) -> str:
    """A table as a package holds it: CSV, no index, Unix line ends."""
    return frame.to_csv(index=False, lineterminator="\n")


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _calibrated_set_file(name: str) -> Path | None:
    path = Path(CONFIG_DIR) / "calibrated" / f"{name}.yaml"
    return path if name and name != "none" and path.exists() else None


def provenance(dataset: xr.Dataset, source: Path, meta: PublishConfig) -> dict[str, object]:
    """What produced the data and when it was published (metadata, not data)."""
    runs = as_runs(dataset)
    return {
        "published": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "publisher_command": " ".join(["alliance-publish", *sys.argv[1:]]),
        "source_dataset": str(source),
        "package_version": dataset.attrs.get("package_version", "unknown"),
        "git_commit_of_runs": dataset.attrs.get("git_commit", "unknown"),
        "git_commit_of_publisher": git_commit(),
        "libraries": library_versions(),
        "calibrated_set": dataset.attrs.get("calibrated_set", "none"),
        "seeds": sorted(int(s) for s in np.unique(runs.seed.values)),
        "runs": len(run_index(runs)),
        "commands": _unique(runs.run_command),
        "metadata": asdict(meta),
    }


def run_configs(dataset: xr.Dataset) -> list[dict[str, object]]:
    """The full resolved config of every run, with the run's coordinates."""
    runs = as_runs(dataset)
    return [
        {"run": position, "config": json.loads(runs.run_config.sel(position).item())}
        for position in run_index(runs)
    ]


def build_package(dataset: xr.Dataset, source: Path, meta: PublishConfig, folder: Path) -> None:
    """Write every file of the package into `folder` (which exists and is empty)."""
    name = source.stem
    data = published_data(dataset, meta)
    (folder / "data").mkdir()
    data.to_netcdf(folder / "data" / f"{name}.nc", engine=NETCDF_ENGINE)
    write_zarr_zip(data, folder / "data" / f"{name}.zarr.zip")
    (folder / "tables").mkdir()
    frames, runs_fields = table_frames(dataset)
    for relative, frame in frames.items():
        (folder / relative).write_text(csv_text(frame))
    tables = [("runs", "tables/runs.csv", "Headline figures, one row per run", runs_fields)]
    arms = frames.get("tables/arms.csv")
    if arms is not None:
        arm_fields = [
            {"name": c, "type": "string" if c == "arm" else "number", "description": c}
            for c in arms.columns
        ]
        tables.append(
            ("arms", "tables/arms.csv", "Per arm: mean and 95 % interval over seeds", arm_fields)
        )
    (folder / "provenance").mkdir()
    record = provenance(dataset, source, meta)
    _write_json(folder / "provenance" / "provenance.json", record)
    _write_json(folder / "provenance" / "run_configs.json", run_configs(dataset))
    calibrated = _calibrated_set_file(record["calibrated_set"])
    if calibrated is not None:
        shutil.copyfile(calibrated, folder / "provenance" / "calibrated_set.yaml")
    sources = PROJECT_ROOT / SOURCES
    if not sources.is_file():
        msg = f"{sources} is missing: the package cites it (reinstall alliance-premium)"
        raise ValueError(msg)
    shutil.copyfile(sources, folder / SOURCES_COPY)
    _write_json(folder / "datapackage.json", data_package(meta, tables))
    (folder / "CITATION.cff").write_text(citation_cff(meta, record))
    (folder / "README.md").write_text(dataset_card(data, meta, record, name, tables))
    _write_json(folder / "datacite.json", datacite_metadata(meta, record, data.attrs["id"]))
    _write_json(folder / ZENODO_FILE, zenodo_metadata(meta, record, target_sources()))
    write_crate(
        folder,
        meta,
        record,
        run_configs(dataset),
        [f"data/{name}.nc", f"data/{name}.zarr.zip", "tables/runs.csv"],
    )
    write_manifest(folder)
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    if count > MAX_FILES:
        msg = f"the package would hold {count} files; repositories accept {MAX_FILES} (Zenodo)"
        raise ValueError(msg)


def publish(source: Path, out_dir: Path, meta: PublishConfig) -> Path:
    """Publish `source` into `out_dir`, atomically.

    Args:
        source: A run's or a merged sweep's NetCDF file.
        out_dir: The package folder; must not exist, or be empty.
        meta: Validated metadata.

    Returns:
        `out_dir`.

    Raises:
        ValueError: `source` is missing or has undescribed variables, or `out_dir`
            is not empty.
    """
    if not source.is_file():
        msg = f"no such dataset: {source}"
        raise ValueError(msg)
    check_replaceable(out_dir)  # a new or empty folder: a file, a link, anything else refused
    with xr.open_dataset(source, engine=NETCDF_ENGINE) as opened:
        dataset = opened.load()
    undescribed = [
        name
        for name, variable in dataset.data_vars.items()
        if not (variable.attrs.get("units") and variable.attrs.get("description"))
    ]
    if undescribed:
        msg = (
            f"{source}: variables without units or description: {', '.join(undescribed)} "
            "(written by an older version? re-run it, then publish)"
        )
        raise ValueError(msg)
    temporary = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        build_package(dataset, source, meta, temporary)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> None:
    """Command line: validate the metadata, then write the package."""
    parser = Parser(
        PROGRAM,
        "Write a dataset package to deposit as is (Zenodo, a data repository): the data as\n"
        "NetCDF and Zarr, tables, provenance, citation and metadata files, and a manifest.\n"
        f"Metadata keys and defaults: {PROJECT_ROOT / 'configs' / 'publish.yaml'}",
        examples=[
            "alliance-publish multirun/strategy_comparison/collected.nc published/ \\\n"
            '      title="Alliance premium: strategy comparison" \\\n'
            "      'creators=[{given_names: Ada, family_names: Lovelace}]'",
            "alliance-verify published/ --rerun",
        ],
        docs=['README.md ("Publishing a dataset")', "docs/tutorials/publishing.md"],
    )
    parser.add_argument(
        "dataset", type=Path, metavar="DATASET", help="a run's dataset.nc or a merged sweep"
    )
    parser.add_argument(
        "out_dir", type=Path, metavar="OUT_DIR", help="the package's folder (must not exist)"
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="metadata, e.g. title='...' (configs/publish.yaml)",
    )
    args = parser.parse_args(argv)
    try:
        with refusing_unreadable(PROGRAM, written=[args.out_dir]):
            meta = load_publish_config(args.overrides)
            path = publish(args.dataset, args.out_dir, meta)
    except (ConfigError, ValueError) as error:
        refuse(PROGRAM, str(error))
    print(f"published: {path}")
    print(f"check it with: alliance-verify {path} --rerun")
