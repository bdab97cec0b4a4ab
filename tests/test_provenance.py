"""Provenance helpers: the git commit and the library versions."""

import re
import subprocess

from experiments.config.provenance import git_commit, library_versions


def test_git_commit_names_the_commit_then_a_dirty_tree_then_unknown(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "model.py").write_text("A = 1\n")
    subprocess.run([*git, "add", "model.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", head)
    assert git_commit(repo) == head
    (repo / "model.py").write_text("A = 2\n")
    assert git_commit(repo) == f"{head}-dirty"
    outside = tmp_path / "plain"
    outside.mkdir()
    assert git_commit(outside) == "unknown"


def test_library_versions_name_python_and_the_stack():
    versions = library_versions()
    assert versions["python"].startswith("3.")
    assert versions["mesa"].startswith("3.") and versions["xarray"] != "not installed"
