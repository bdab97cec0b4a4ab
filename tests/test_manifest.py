"""The SHA-256 manifest: written, checked, and naming what changed."""

import hashlib

from experiments.manifest import MANIFEST_NAME, check_manifest, write_manifest


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
