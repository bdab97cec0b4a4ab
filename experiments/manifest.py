"""SHA-256 manifest of a folder, in the `sha256sum` format (`sha256sum -c` checks it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

MANIFEST_NAME = "MANIFEST.sha256"
_BLOCK = 1 << 20


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def files_of(folder: Path) -> list[str]:
    """Every file under `folder` except the manifest, as sorted POSIX relative paths."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    )


def write_manifest(folder: Path) -> Path:
    """Write `MANIFEST.sha256` listing every other file of `folder`.

    Returns:
        The manifest's path.
    """
    lines = [f"{sha256(folder / name)}  {name}\n" for name in files_of(folder)]
    path = folder / MANIFEST_NAME
    path.write_text("".join(lines))
    return path


def check_manifest(folder: Path) -> list[str]:
    """Compare `folder` with its manifest.

    Returns:
        One problem per line (`modified: data/x.nc`, `missing: ...`, `not in the
        manifest: ...`); empty when every file matches.
    """
    path = folder / MANIFEST_NAME
    if not path.exists():
        return [f"missing: {MANIFEST_NAME}"]
    listed = {}
    for line in path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    problems = []
    for name, digest in listed.items():
        file = folder / name
        if not file.is_file():
            problems.append(f"missing: {name}")
        elif sha256(file) != digest:
            problems.append(f"modified: {name}")
    problems += [f"not in the manifest: {name}" for name in files_of(folder) if name not in listed]
    return problems
