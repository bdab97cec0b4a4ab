"""The SHA-256 manifest: written, checked, and naming what changed."""

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import experiments.publish.manifest as manifest_module
from experiments.publish.manifest import (
    MANIFEST_NAME,
    check_manifest,
    inside,
    sha256,
    write_manifest,
)


def test_manifest_lists_every_file_in_sha256sum_format(tmp_path):
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"\x00\x01")
    lines = write_manifest(tmp_path).read_text().splitlines()
    assert lines == [
        f"{hashlib.sha256(b'alpha').hexdigest()}  a.txt",
        f"{hashlib.sha256(b'\x00\x01').hexdigest()}  sub/b.bin",
    ]
    assert check_manifest(tmp_path) == []


def test_changed_missing_and_extra_files_are_named(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
    write_manifest(tmp_path)
    (tmp_path / "a.txt").write_text("a.txT")
    (tmp_path / "b.txt").unlink()
    (tmp_path / "c.txt").write_text("new")
    assert check_manifest(tmp_path) == [
        "modified: a.txt",
        "missing: b.txt",
        "not in the manifest: c.txt",
    ]
    (tmp_path / MANIFEST_NAME).unlink()
    assert check_manifest(tmp_path) == [f"missing: {MANIFEST_NAME}"]


# --- A manifest vouches only for files inside its folder (issue 26, item 5) ---


SECRET = b"a file outside the package"


def package_beside_a_secret(root: Path) -> tuple[Path, Path]:
    """A folder `root/pkg/inner` with a manifest, and a file outside it."""
    folder = root / "pkg" / "inner"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "x.nc").write_bytes(b"data")
    secret = root / "secret.txt"
    secret.write_bytes(SECRET)
    write_manifest(folder)
    return folder, secret


def reads_of(monkeypatch) -> list[Path]:
    """Record every file the manifest check hashes."""
    read: list[Path] = []

    def recording(path: Path) -> str:
        read.append(path)
        return sha256(path)

    monkeypatch.setattr(manifest_module, "sha256", recording)
    return read


@pytest.mark.parametrize(
    "name", ["../../secret.txt", "data/../../../secret.txt", "{root}/secret.txt", "..\\secret.txt"]
)
def test_a_path_outside_the_package_is_refused_and_never_read(tmp_path, monkeypatch, name):
    folder, secret = package_beside_a_secret(tmp_path)
    name = name.format(root=tmp_path)
    with (folder / MANIFEST_NAME).open("a") as file:
        file.write(f"{hashlib.sha256(SECRET).hexdigest()}  {name}\n")
    read = reads_of(monkeypatch)
    problems = check_manifest(folder)
    assert problems == [
        f"outside the package: {name} (line 2 of {MANIFEST_NAME}; "
        "allowed: relative paths to files inside the package)"
    ]
    assert secret not in [p.resolve() for p in read]


def test_a_symbolic_link_leaving_the_package_is_refused_and_never_read(tmp_path, monkeypatch):
    folder, secret = package_beside_a_secret(tmp_path)
    os.symlink(secret, folder / "data" / "link.txt")
    os.symlink(tmp_path, folder / "up")
    with (folder / MANIFEST_NAME).open("a") as file:
        file.write(f"{hashlib.sha256(SECRET).hexdigest()}  data/link.txt\n")
        file.write(f"{hashlib.sha256(SECRET).hexdigest()}  up/secret.txt\n")
    read = reads_of(monkeypatch)
    problems = check_manifest(folder)
    assert [p.split(" (")[0] for p in problems] == [
        "outside the package: data/link.txt",
        "outside the package: up/secret.txt",
        "outside the package: data/link.txt",
    ]
    assert secret not in [p.resolve() for p in read]


# Path pieces an adversary would combine: climbs, absolute roots, odd separators.
PIECES = st.sampled_from(["..", ".", "data", "x.nc", "", "/", "\\", "secret.txt", "pkg", "~"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, min_size=1, max_size=6), st.sampled_from(["/", "\\", "//"]))
def test_no_listed_path_makes_the_check_read_outside(tmp_path, monkeypatch, pieces, separator):
    folder, _ = package_beside_a_secret(tmp_path)
    name = separator.join(pieces)
    with (folder / MANIFEST_NAME).open("a") as file:
        file.write(f"{hashlib.sha256(SECRET).hexdigest()}  {name}\n")
    read = reads_of(monkeypatch)
    problems = check_manifest(folder)
    root = folder.resolve()
    assert all(p.resolve().is_relative_to(root) for p in read)
    assert problems  # the extra line names nothing the package holds unchanged
    if not inside(folder, name):
        refusals = (f"outside the package: {name}", f"malformed line 2 of {MANIFEST_NAME}")
        assert any(p.startswith(refusals) for p in problems)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_manifest_text_gives_problems_not_an_exception(tmp_path, text):
    folder, _ = package_beside_a_secret(tmp_path)
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8", errors="surrogatepass")
    problems = check_manifest(folder)
    assert problems and all("\n" not in p for p in problems)
