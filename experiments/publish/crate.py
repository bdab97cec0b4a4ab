"""Standard provenance and citation metadata of a package: RO-Crate 1.1 and DataCite 4.5.

- `ro-crate-metadata.json` follows RO-Crate 1.1 and the Process Run Crate profile
  (0.5): the package is the root dataset; the model is a `SoftwareApplication`
  (name, version, commit, code URL); each run is a `CreateAction` whose
  instrument is the model, whose object is the file of resolved configurations
  with the run's coordinates, and whose result is the data files. Workflow tools
  and repositories read this; the project's own `provenance/` files stay beside
  it for detail. Written with the `rocrate` library; the tests validate it with
  `roc-validator` against both profiles.
- `datacite.json` is DataCite Metadata Schema 4.5 in its JSON form, with every
  mandatory property (creators, titles, publisher, publication year, resource
  type, schema version) and the DOI once the deposit has one. The tests validate
  it with the `datacite` package's schema.
- Both cite the sources of the model's figures, `docs/sources.md` of the model
  (`publication.sources_reference`), of which the package holds a copy: the crate's
  root `citation` (the copy `isBasedOn` it), and a DataCite description (`Other`).
"""

from __future__ import annotations

import json
from pathlib import Path

from experiments.publish.publication import SOURCES_COPY, PublishConfig, sources_reference
from experiments.publish.zenodo import zenodo_problems

PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
MODEL_ID = "#alliance-premium"
ENCODINGS = {
    "nc": "application/x-netcdf",
    "zip": "application/zip",
    "csv": "text/csv",
    "json": "application/json",
    "md": "text/markdown",
    "yaml": "application/yaml",
    "cff": "application/yaml",
    "sha256": "text/plain",
}


def datacite_metadata(meta: PublishConfig, record: dict, content_id: str) -> dict:
    """DataCite 4.5 metadata (JSON) of the package.

    Args:
        meta: The publication metadata.
        record: `publish.provenance(...)`, for the date and the versions.
        content_id: The data's identifier when there is no DOI yet.

    Returns:
        The metadata, ready for `json.dumps`.
    """
    creators = []
    for creator in meta.creators:
        entry: dict[str, object] = {
            "name": f"{creator.family_names}, {creator.given_names}".strip(", "),
            "nameType": "Personal",
            "givenName": creator.given_names,
            "familyName": creator.family_names,
        }
        if creator.affiliation:
            entry["affiliation"] = [{"name": creator.affiliation}]
        if creator.orcid:
            entry["nameIdentifiers"] = [
                {"nameIdentifier": creator.orcid, "nameIdentifierScheme": "ORCID"}
            ]
        creators.append(entry)
    publisher = meta.publisher_name or ", ".join(c.full_name for c in meta.creators)
    metadata: dict[str, object] = {
        "schemaVersion": "http://datacite.org/schema/kernel-4",
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Simulation output"},
        "creators": creators,
        "titles": [{"title": meta.title}],
        "publisher": {"name": publisher},
        "publicationYear": record["published"][:4],
        "version": meta.version,
        "rightsList": [{"rightsIdentifier": meta.license, "rightsIdentifierScheme": "SPDX"}],
        "subjects": [{"subject": keyword} for keyword in meta.keywords],
        "descriptions": [
            *(
                [{"description": meta.summary, "descriptionType": "Abstract"}]
                if meta.summary
                else []
            ),
            {"description": sources_reference(record), "descriptionType": "Other"},
        ],
        "dates": [{"date": record["published"][:10], "dateType": "Issued"}],
        "formats": ["application/x-netcdf", "application/zip", "text/csv"],
        "relatedIdentifiers": [
            {
                "relatedIdentifier": meta.repository_code,
                "relatedIdentifierType": "URL",
                "relationType": "IsSupplementTo",
            }
        ]
        if meta.repository_code
        else [],
    }
    if meta.doi:
        metadata["doi"] = meta.doi.removeprefix("https://doi.org/")
    else:
        metadata["alternateIdentifiers"] = [
            {"alternateIdentifier": content_id, "alternateIdentifierType": "Local"}
        ]
    return {k: v for k, v in metadata.items() if v != []}


def write_crate(
    folder: Path, meta: PublishConfig, record: dict, runs: list[dict], data_files: list[str]
) -> Path:
    """Write `ro-crate-metadata.json` into the package folder.

    Args:
        folder: The package (its files already written).
        meta: The publication metadata.
        record: `publish.provenance(...)`.
        runs: `publish.run_configs(...)`: each run's coordinates and config.
        data_files: The data files, relative to `folder`, that every run produced.

    Returns:
        The metadata file's path.
    """
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    crate = ROCrate(version="1.1")
    crate.name = meta.title
    crate.description = meta.summary or meta.title
    crate.datePublished = record["published"]

    def entity(identifier: str, properties: dict) -> ContextEntity:
        return crate.add(ContextEntity(crate, identifier, properties))

    root = crate.root_dataset
    root["conformsTo"] = entity(
        PROCESS_RUN_CRATE,
        {"@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
    )
    root["license"] = entity(
        f"https://spdx.org/licenses/{meta.license}", {"@type": "CreativeWork", "name": meta.license}
    )
    people = []
    for c in meta.creators:
        person = {"@type": "Person", "name": c.full_name}
        if c.affiliation:
            person["affiliation"] = entity(
                f"#{c.affiliation.replace(' ', '-')}",
                {"@type": "Organization", "name": c.affiliation},
            )
        people.append(
            entity(
                # `orcid` is already the URL (PublishConfig checks it).
                c.orcid or f"#{c.full_name.replace(' ', '-')}",
                person,
            )
        )
    root["author"] = people[0] if len(people) == 1 else people
    publisher = meta.publisher_name or ", ".join(c.full_name for c in meta.creators)
    organisation = {"@type": "Organization", "name": publisher}
    if meta.publisher_url:
        organisation["url"] = meta.publisher_url
    root["publisher"] = entity(meta.publisher_url or "#publisher", organisation)
    version = f"{record['package_version']} (git {record['git_commit_of_runs']})"
    model = entity(
        meta.repository_code or MODEL_ID,
        {
            "@type": "SoftwareApplication",
            "name": "alliance-premium",
            "softwareVersion": version,
            **({"url": meta.repository_code} if meta.repository_code else {}),
        },
    )
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith("ro-crate-"):
            continue
        encoding = ENCODINGS.get(path.suffix.lstrip("."), "application/octet-stream")
        files[relative] = crate.add_file(
            path, dest_path=relative, properties={"encodingFormat": encoding}
        )
    sources = entity(
        "#model-sources",
        {
            "@type": "CreativeWork",
            "name": "Sources of the model's figures (docs/sources.md)",
            "description": sources_reference(record),
            "encodingFormat": "text/markdown",
        },
    )
    sources["isPartOf"] = model
    root["citation"] = sources
    if SOURCES_COPY in files:
        files[SOURCES_COPY]["name"] = "Copy of the model's docs/sources.md"
        files[SOURCES_COPY]["isBasedOn"] = sources
    configs = files.get("provenance/run_configs.json")
    results = [files[name] for name in data_files if name in files]
    actions = []
    for index, run in enumerate(runs):
        position = ", ".join(f"{k}={v}" for k, v in run["run"].items())
        coordinates = entity(
            f"#run-{index}-coordinates",
            {
                "@type": "PropertyValue",
                "name": "run coordinates",
                "value": json.dumps(run["run"], sort_keys=True),
            },
        )
        action = entity(
            f"#run-{index}",
            {
                "@type": "CreateAction",
                "name": f"alliance-run ({position})",
                "description": "One run of the model: a world with the fund and the same "
                "world without it, with common random numbers",
            },
        )
        action["instrument"] = model
        action["object"] = [e for e in (configs, coordinates) if e is not None]
        action["result"] = results
        if people:
            action["agent"] = people[0]
        actions.append(action)
    root["mentions"] = actions[0] if len(actions) == 1 else actions
    crate.metadata.write(folder)
    return folder / "ro-crate-metadata.json"


DATACITE_MANDATORY = (
    "creators",
    "titles",
    "publisher",
    "publicationYear",
    "types",
    "schemaVersion",
)


def crate_problems(folder: Path) -> list[str]:
    """What is missing or inconsistent in a package's RO-Crate, DataCite and Zenodo files.

    The structural checks `alliance-verify` runs without network or validators: the
    files exist, DataCite's and Zenodo's mandatory fields are there, the crate conforms to
    the Process Run Crate profile and holds one `CreateAction` per stored run. The
    tests run the full validators (roc-validator, the DataCite JSON schema).

    Args:
        folder: The package.

    Returns:
        One sentence per problem (empty: none).
    """
    problems = zenodo_problems(folder)
    try:
        datacite = json.loads((folder / "datacite.json").read_text())
    except (OSError, ValueError):
        problems.append("datacite.json is missing or not JSON")
    else:
        problems += [
            f"datacite.json has no {key} (DataCite 4.5, mandatory)"
            for key in DATACITE_MANDATORY
            if not datacite.get(key)
        ]
    try:
        graph = json.loads((folder / "ro-crate-metadata.json").read_text())["@graph"]
        runs = json.loads((folder / "provenance" / "run_configs.json").read_text())
    except (OSError, ValueError, KeyError):
        return [*problems, "ro-crate-metadata.json or provenance/run_configs.json is unreadable"]
    root = next((e for e in graph if e.get("@id") == "./"), {})
    if root.get("conformsTo", {}).get("@id") != PROCESS_RUN_CRATE:
        problems.append(f"the crate's root does not conform to {PROCESS_RUN_CRATE}")
    actions = [e for e in graph if e.get("@type") == "CreateAction"]
    if len(actions) != len(runs):
        problems.append(
            f"the crate holds {len(actions)} CreateAction(s) for {len(runs)} stored run(s)"
        )
    return problems
