"""The texts of a published package: dataset card, CITATION.cff and datapackage.json.

Each is generated from the data and the metadata, never written by hand, so it
cannot drift from what the package holds.
"""

from __future__ import annotations

import re

import xarray as xr
import yaml

from experiments.publish.publication import SOURCES, SOURCES_COPY, PublishConfig, sources_reference

# (name, path, title, fields) of each CSV table.
Table = tuple[str, str, str, list[dict[str, str]]]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "dataset"


def citation_cff(meta: PublishConfig, record: dict) -> str:
    """CITATION.cff (version 1.2.0) of the dataset."""
    authors = []
    for creator in meta.creators:
        author = {"family-names": creator.family_names, "given-names": creator.given_names}
        if creator.affiliation:
            author["affiliation"] = creator.affiliation
        if creator.email:
            author["email"] = creator.email
        if creator.orcid:
            author["orcid"] = creator.orcid
        authors.append({k: v for k, v in author.items() if v})
    citation: dict[str, object] = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it as below.",
        "type": "dataset",
        "title": meta.title,
        "authors": authors,
        "version": meta.version,
        "date-released": record["published"][:10],
        "license": meta.license,
    }
    if meta.summary:
        citation["abstract"] = meta.summary
    if meta.keywords:
        citation["keywords"] = list(meta.keywords)
    if meta.doi:
        citation["doi"] = meta.doi
    if meta.repository_code:
        citation["repository-code"] = meta.repository_code
    return yaml.safe_dump(citation, sort_keys=False, allow_unicode=True)


def data_package(meta: PublishConfig, tables: list[Table]) -> dict[str, object]:
    """A Frictionless tabular data package describing the CSV tables."""
    return {
        "profile": "tabular-data-package",
        "name": _slug(meta.title),
        "title": meta.title,
        "description": meta.summary,
        "version": meta.version,
        "licenses": [{"name": meta.license, "path": f"https://spdx.org/licenses/{meta.license}"}],
        "contributors": [
            {"title": c.full_name, "role": "author", **({"email": c.email} if c.email else {})}
            for c in meta.creators
        ],
        "keywords": list(meta.keywords),
        "resources": [
            {
                "name": name,
                "path": path,
                "title": title,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields},
            }
            for name, path, title, fields in tables
        ],
    }


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _reproduce(data: xr.Dataset, meta: PublishConfig, record: dict) -> str:
    commit = record["git_commit_of_runs"].removesuffix("-dirty")
    repository = meta.repository_code or "<the model's repository>"
    commands = record["commands"] or ["alliance-run"]
    lines = [
        "```bash",
        f"git clone {repository} alliance-premium && cd alliance-premium",
        f"git checkout {commit}" if commit != "unknown" else "# (the commit is unknown)",
        *(
            f"make run ARGS='{command.removeprefix('alliance-run').strip()}'"
            for command in commands[:3]
        ),
        *(
            ["alliance-collect multirun/<experiment>   # merge the sweep"]
            if "run_config" in data
            else []
        ),
        "```",
        "",
        "`make run` installs the package in `.venv` and runs the command. Or check the",
        "numbers without leaving this folder: `alliance-verify . --rerun` re-runs every",
        "run from its stored config (`provenance/run_configs.json`) and compares it with",
        "the data.",
    ]
    return "\n".join(lines)


def _units(attrs: dict) -> str:
    """A variable's units for the card: the currency of money variables (CF units "1")."""
    if attrs.get("currency"):
        return f"{attrs['currency']} (units 1, prices of {attrs.get('price_base_year', '?')})"
    return str(attrs.get("units", ""))


def dataset_card(
    data: xr.Dataset, meta: PublishConfig, record: dict, name: str, tables: list[Table]
) -> str:
    """README.md of the package, generated from the data and the metadata."""
    variables = "\n".join(
        f"| `{v}` | {', '.join(data[v].dims) or '-'} | {_cell(_units(data[v].attrs))} "
        f"| {_cell(data[v].attrs.get('description', data[v].attrs.get('long_name', '')))} |"
        for v in data.data_vars
    )
    dimensions = "\n".join(
        f"| `{d}` | {size} | {_cell(_meaning(data, d))} |" for d, size in data.sizes.items()
    )
    authors = ", ".join(c.full_name for c in meta.creators)
    year = record["published"][:4]
    doi = f" https://doi.org/{meta.doi}" if meta.doi else ""
    produced = (
        f"Calibrated set `{record['calibrated_set']}`; {record['runs']} run(s); "
        f"seeds {_seed_text(record['seeds'])}"
    )
    table_list = "\n".join(f"- `{path}`: {title}" for _, path, title, _ in tables)
    return f"""# {meta.title}

{meta.summary}

- License: {meta.license}
- Creators: {authors}
- Version: {meta.version}; published {record["published"]}
- Produced by alliance-premium {record["package_version"]} (git {record["git_commit_of_runs"]})
- {produced}

## Files

- `data/{name}.nc`: the data, NetCDF-4 ({data.attrs["Conventions"]} attributes)
- `data/{name}.zarr.zip`: the same data as one zipped Zarr store (format 2; one file,
  since repositories cap a record's files)
{table_list}
- `provenance/provenance.json`: versions, git commits, seeds, commands, publication date
- `provenance/run_configs.json`: the full resolved configuration of every run
- `provenance/calibrated_set.yaml`: the calibrated parameters the runs used, with the fit
  (when a calibrated set was used)
- `{SOURCES_COPY}`: the model's `{SOURCES}`: every figure it takes from the field, in
  its original words, with the document it comes from
- `datapackage.json`: Frictionless description of the CSV tables
- `CITATION.cff`: how to cite
- `datacite.json`: DataCite 4.5 metadata; `ro-crate-metadata.json`: RO-Crate 1.1
  (Process Run Crate: one action per run)
- `.zenodo.json`: the deposit metadata a Zenodo upload reads
- `MANIFEST.sha256`: SHA-256 of every file (`alliance-verify .` or `sha256sum -c MANIFEST.sha256`)

Open the data with plain xarray: `xarray.open_dataset("data/{name}.nc")` or
`xarray.open_zarr(zarr.storage.ZipStore("data/{name}.zarr.zip", mode="r"))`.

## Conventions

- **Time** (CF 1.11): `time` is the end of each step, a calendar date counted in
  days since the scenario's start date (the start of the first step), with
  `time_bnds` (start and end of each step). Flows over a step carry
  `cell_methods = "time: sum"`, states at its end "time: point". `step` keeps the
  step index.
- **Money**: UDUNITS has no currency unit, so money variables have `units = "1"`
  with `currency = "EUR"` and `price_base_year` (values are present values at the
  start, at the run's discount rate): the practice of energy-model datasets.
- **Discovery** (ACDD 1.3): every variable has a `coverage_content_type`; the time
  coverage (first to last data point) is {data.attrs.get("time_coverage_start", "")} to
  {data.attrs.get("time_coverage_end", "")} ({data.attrs.get("time_coverage_duration", "")},
  steps of {data.attrs.get("time_coverage_resolution", "")}).
- **No geography**: the model's territories are indices, not places; the data carry
  no latitude, longitude or `geospatial_*` attribute.

## Dimensions

| dimension | size | meaning |
|---|---:|---|
{dimensions}

## Variables

| variable | dimensions | units | description |
|---|---|---|---|
{variables}

## How it was produced

An agent-based simulation of the alliance premium: organisations with three pillars
(human wealth, financial resources, strategic alliances) in territories with
engineering capacity, trust and maturity, and a fund investing through three
instruments. Each run simulates a world with the fund and the same world without
it (same seed, common random numbers); the premium compares them (causal view) and
compares backed with comparable projects (observed view, as a field evaluation).

Commands:

```
{chr(10).join(record["commands"])}
```

## How to reproduce it

{_reproduce(data, meta, record)}

## How to cite

{authors} ({year}). *{meta.title}* (version {meta.version}) [Data set].{doi}
See `CITATION.cff`.

## Sources of the figures

References for the figures the model is calibrated on: {data.attrs["references"]}.

{sources_reference(record)}.
"""


def _meaning(data: xr.Dataset, dimension: str) -> str:
    if dimension not in data.coords:
        return ""
    attrs = data[dimension].attrs
    return attrs.get("description", attrs.get("long_name", ""))


def _seed_text(seeds: list[int]) -> str:
    if len(seeds) > 6 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]} to {seeds[-1]}"
    return ", ".join(map(str, seeds))
