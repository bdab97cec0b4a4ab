"""What a published dataset says about itself: the metadata its author fills in.

The fields follow the ACDD-1.3 attribute conventions and CITATION.cff. They are set
in `configs/publish.yaml` or on the command line of `alliance-publish`, and are
checked before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from license_expression import get_spdx_licensing

from simulation.config import ConfigError

_ORCID = re.compile(r"^https://orcid\.org/\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
# Every figure the model takes from the field, its original (French) words and the
# document it comes from: the same path in the repository and in an installed wheel
# (pyproject.toml ships it beside configs/). A package carries a copy.
SOURCES = "docs/sources.md"
SOURCES_COPY = "provenance/sources.md"


def sources_reference(record: dict) -> str:
    """How a package cites the sources of the model's figures (card, crate, Zenodo).

    Args:
        record: `publish.provenance(...)`: the model's version and commit.

    Returns:
        One sentence naming `docs/sources.md` of the model that made the data.
    """
    return (
        f"{SOURCES} of alliance-premium {record['package_version']} (git "
        f"{record['git_commit_of_runs']}): every figure the model takes from the field, "
        "its original words (French) and the document it comes from; in the model's "
        f"repository and its wheel, and copied into this package as {SOURCES_COPY}"
    )


@dataclass
class Creator:
    """A person who made the dataset (CITATION.cff `authors`, ACDD `creator_*`).

    Attributes:
        given_names: Given names.
        family_names: Family names.
        email: Contact address (optional).
        affiliation: Institution (optional).
        orcid: ORCID as a URL, https://orcid.org/0000-0000-0000-0000 (optional).
    """

    given_names: str = ""
    family_names: str = ""
    email: str = ""
    affiliation: str = ""
    orcid: str = ""

    @property
    def full_name(self) -> str:
        """Given names then family names."""
        return f"{self.given_names} {self.family_names}".strip()


@dataclass
class PublishConfig:
    """Metadata of a published dataset.

    Attributes:
        title: Short title (ACDD `title`, CITATION.cff `title`); required.
        summary: A paragraph on what the data are (ACDD `summary`, CFF `abstract`).
        keywords: Keywords.
        license: One SPDX license identifier, e.g. `CC-BY-4.0` (not an expression:
            a Zenodo deposit takes one license).
        creators: At least one creator.
        institution: Institution that produced the data (CF `institution`).
        publisher_name: Who publishes it (ACDD).
        publisher_email: Publisher's contact (ACDD).
        publisher_url: Publisher's web page (ACDD).
        publisher_institution: Publisher's institution (ACDD).
        project: Research project (ACDD).
        version: Version of this dataset (CFF `version`, ACDD `product_version`).
        doi: DOI once the deposit has one (CFF `doi`), else empty.
        repository_code: URL of the model's code (CFF `repository-code`), else empty.
        date_created: ISO 8601 date written into the data files' ACDD `date_created`.
        acknowledgement: ACDD `acknowledgement`: whose work the data rest on.
            Empty by default, so that publishing the same run twice gives
            byte-identical data; the publication date always goes into the metadata.
    """

    title: str = ""
    summary: str = ""
    keywords: list[str] = field(default_factory=list)
    license: str = "CC-BY-4.0"
    creators: list[Creator] = field(default_factory=list)
    institution: str = ""
    publisher_name: str = ""
    publisher_email: str = ""
    publisher_url: str = ""
    publisher_institution: str = ""
    project: str = ""
    version: str = "1.0"
    doi: str = ""
    repository_code: str = ""
    date_created: str = ""
    acknowledgement: str = (
        "The figures the model explains come from the field research of the Fonds ODD 17 "
        "and Le RAMEAU."
    )

    def validate(self) -> PublishConfig:
        """Check the required fields, the license and the creators.

        Returns:
            This config, with the license in its canonical SPDX spelling.

        Raises:
            ConfigError: Naming the first bad key and what it allows.
        """
        if not self.title.strip():
            msg = "invalid config: title is missing; allowed: a non-empty string"
            raise ConfigError(msg)
        info = get_spdx_licensing().validate(self.license)
        if info.errors or not info.normalized_expression:
            msg = (
                f"invalid config: license = {self.license!r}; allowed: an SPDX license "
                "identifier or expression, e.g. CC-BY-4.0, CC0-1.0, ODbL-1.0 "
                "(https://spdx.org/licenses/)"
            )
            raise ConfigError(msg)
        if " " in info.normalized_expression:
            msg = (
                f"invalid config: license = {self.license!r}; allowed: one SPDX license "
                "identifier, e.g. CC-BY-4.0 (a Zenodo deposit, .zenodo.json, takes one)"
            )
            raise ConfigError(msg)
        self.license = info.normalized_expression
        if not self.creators:
            msg = (
                "invalid config: creators is empty; allowed: at least one "
                "{given_names: ..., family_names: ...}"
            )
            raise ConfigError(msg)
        for i, creator in enumerate(self.creators):
            if not creator.family_names.strip():
                msg = f"invalid config: creators[{i}].family_names is missing; allowed: a name"
                raise ConfigError(msg)
            if creator.orcid and not _ORCID.match(creator.orcid):
                msg = (
                    f"invalid config: creators[{i}].orcid = {creator.orcid!r}; allowed: "
                    "https://orcid.org/0000-0000-0000-0000"
                )
                raise ConfigError(msg)
            if creator.email and "@" not in creator.email:
                msg = f"invalid config: creators[{i}].email = {creator.email!r}; allowed: e-mail"
                raise ConfigError(msg)
        if self.date_created:
            try:
                dt.date.fromisoformat(self.date_created[:10])
            except ValueError:
                msg = (
                    f"invalid config: date_created = {self.date_created!r}; allowed: an ISO "
                    "8601 date such as 2026-11-23, or empty"
                )
                raise ConfigError(msg) from None
        return self
