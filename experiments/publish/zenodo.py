"""`.zenodo.json`: the deposit metadata a Zenodo upload reads, in every published package.

Zenodo's deposit metadata (its legacy REST API, `POST /api/deposit/depositions`
with `{"metadata": ...}`, and the `.zenodo.json` its GitHub integration reads) is one
JSON object. The fields written here, as Zenodo documents them:

- `upload_type`: `dataset`; `publication_date`: ISO date (the publication's);
- `title`; `creators`: `name` as "Family name, Given names", with `affiliation` and
  `orcid` (the bare identifier, 0000-0002-1825-0097) when given;
- `description` (HTML allowed; plain text here); `access_right`: `open`, which
  requires `license` (one identifier: the package's SPDX license);
- `version`, `keywords`, `language` (ISO 639-2: `eng`), `notes`;
- `related_identifiers`: `identifier`, `relation` (DataCite's relation types in
  Zenodo's spelling: `isSupplementTo`...), `resource_type`, `scheme`: the model's code;
- `references`: free-text references (the figures' sources);
- `doi`: only when the deposit already has one (otherwise Zenodo mints it).

`alliance-verify` checks the mandatory fields without a validator
(`zenodo_problems`); the tests validate the file against a JSON schema written
from Zenodo's field list (`tests/data/zenodo-deposit.schema.json`).
"""

from __future__ import annotations

import json
from pathlib import Path

from experiments.publish.publication import PublishConfig, sources_reference

ZENODO_FILE = ".zenodo.json"
# Zenodo refuses a deposit without these (publication_date defaults to today).
ZENODO_MANDATORY = ("upload_type", "title", "creators", "description", "access_right")
_ORCID_PREFIX = "https://orcid.org/"


def zenodo_metadata(meta: PublishConfig, record: dict, references: list[str]) -> dict:
    """The deposit metadata of a package, ready for `json.dumps`.

    Args:
        meta: The validated publication metadata (one SPDX license identifier).
        record: `publish.provenance(...)`: the date, versions, commits and runs.
        references: The sources of the figures the model is calibrated on.

    Returns:
        Zenodo's deposit metadata for an open dataset.
    """
    creators = []
    for creator in meta.creators:
        entry = {"name": f"{creator.family_names}, {creator.given_names}".strip(", ")}
        if creator.affiliation:
            entry["affiliation"] = creator.affiliation
        if creator.orcid:
            entry["orcid"] = creator.orcid.removeprefix(_ORCID_PREFIX)
        creators.append(entry)
    metadata: dict[str, object] = {
        "upload_type": "dataset",
        "publication_date": record["published"][:10],
        "title": meta.title,
        "creators": creators,
        "description": meta.summary or meta.title,
        "access_right": "open",
        "license": meta.license,
        "version": meta.version,
        "keywords": list(dict.fromkeys(meta.keywords)),
        "language": "eng",
        "notes": (
            f"Simulated with alliance-premium {record['package_version']} (git "
            f"{record['git_commit_of_runs']}): {record['runs']} run(s). README.md describes "
            "every file and variable; `alliance-verify . --rerun` checks the files and "
            "re-runs every run from provenance/run_configs.json."
        ),
        "references": [*references, sources_reference(record)],
    }
    if meta.repository_code:
        metadata["related_identifiers"] = [
            {
                "identifier": meta.repository_code,
                "relation": "isSupplementTo",
                "resource_type": "software",
                "scheme": "url",
            }
        ]
    if meta.doi:
        metadata["doi"] = meta.doi.removeprefix("https://doi.org/")
    return metadata


def zenodo_problems(folder: Path) -> list[str]:
    """What a Zenodo upload would refuse in the package's `.zenodo.json`.

    Args:
        folder: The package.

    Returns:
        One sentence per problem (empty: none).
    """
    try:
        metadata = json.loads((folder / ZENODO_FILE).read_text())
    except (OSError, ValueError):
        return [f"{ZENODO_FILE} is missing or not JSON"]
    if not isinstance(metadata, dict):
        return [f"{ZENODO_FILE} is not a JSON object"]
    problems = [
        f"{ZENODO_FILE} has no {key} (Zenodo deposit metadata, mandatory)"
        for key in ZENODO_MANDATORY
        if not metadata.get(key)
    ]
    if metadata.get("access_right") in ("open", "embargoed") and not metadata.get("license"):
        problems.append(f"{ZENODO_FILE} has no license, which an open deposit needs")
    creators = metadata.get("creators")
    if isinstance(creators, list) and not all(
        isinstance(c, dict) and c.get("name") for c in creators
    ):
        problems.append(f"{ZENODO_FILE}: every creator needs a name")
    return problems
