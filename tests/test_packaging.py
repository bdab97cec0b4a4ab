"""License, software citation, changelog and version: one source, all consistent."""

import tomllib
from pathlib import Path

import yaml

from simulation import __version__

from .cff import cff_problems

ROOT = Path(__file__).parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_version_has_one_source():
    assert __version__ == PROJECT["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == PROJECT["version"]


def test_the_license_is_declared_and_shipped():
    assert PROJECT["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["license"] == "Apache-2.0"


def test_the_software_citation_is_valid_cff_1_2():
    assert cff_problems(ROOT / "CITATION.cff") == []
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"


def test_the_cff_check_catches_an_invalid_citation(tmp_path):
    broken = tmp_path / "CITATION.cff"
    broken.write_text("cff-version: 1.2.0\ntitle: x\nauthors: []\ndate-released: 26/11/2026\n")
    problems = cff_problems(broken)
    assert any("message" in p for p in problems)  # a required key is missing
    assert any(p.startswith("date-released") for p in problems)


def test_the_changelog_follows_keep_a_changelog():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in changelog and "## [Unreleased]" in changelog
    assert f"## [{PROJECT['version']}]" in changelog
