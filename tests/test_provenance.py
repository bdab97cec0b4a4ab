"""Provenance helpers: the git commit and the library versions."""

import re

from experiments.provenance import git_commit, library_versions
from experiments.schema import PROJECT_ROOT


def test_git_commit_in_and_outside_a_checkout(tmp_path):
    inside = git_commit(PROJECT_ROOT)
    assert inside == "unknown" or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", inside)
    assert git_commit(tmp_path) == "unknown"


def test_library_versions_name_python_and_the_stack():
    versions = library_versions()
    assert versions["python"].startswith("3.")
    assert versions["mesa"].startswith("3.") and versions["xarray"] != "not installed"
