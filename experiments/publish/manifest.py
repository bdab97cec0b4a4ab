"""SHA-256 manifest of a folder, in the `sha256sum` format (`sha256sum -c` checks it).

A manifest vouches only for files inside its folder: a listed path that is
absolute, climbs out with `..`, or reaches outside through a symbolic link is
refused and never read.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

MANIFEST_NAME = "MANIFEST.sha256"
_BLOCK = 1 << 20
# One `sha256sum` line: 64 hex digits, two spaces (or space and `*`, binary mode), a name.
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


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


def inside(folder: Path, name: str) -> bool:
    """Whether `name`, a path relative to `folder`, stays inside it.

    Args:
        folder: The package.
        name: A path as a manifest lists it.

    Returns:
        False for an absolute path, a `..` step, a backslash, or a path whose
        symbolic links lead outside `folder`.
    """
    pure = PurePosixPath(name)
    if not name or "\\" in name or pure.is_absolute() or ".." in pure.parts:
        return False
    return (folder / name).resolve().is_relative_to(folder.resolve())


def read_manifest(folder: Path) -> tuple[dict[str, str], list[str]]:
    """The manifest's entries, and one problem per line it cannot vouch for.

    Returns:
        `{relative path: hex SHA-256}` of the valid entries, and problems such as
        `outside the package: ../x` or `malformed line 3 of MANIFEST.sha256`.
    """
    listed: dict[str, str] = {}
    problems = []
    text = (folder / MANIFEST_NAME).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.match(line)
        if match is None:
            problems.append(f"malformed line {number} of {MANIFEST_NAME}")
            continue
        digest, name = match.groups()
        if not inside(folder, name):
            problems.append(
                f"outside the package: {name} (line {number} of {MANIFEST_NAME}; "
                "allowed: relative paths to files inside the package)"
            )
        elif name in listed:
            problems.append(f"listed twice: {name} (line {number} of {MANIFEST_NAME})")
        else:
            listed[name] = digest
    return listed, problems


def check_manifest(folder: Path) -> list[str]:
    """Compare `folder` with its manifest.

    Returns:
        One problem per line (`modified: data/x.nc`, `missing: ...`, `not in the
        manifest: ...`, `outside the package: ...`); empty when every file matches.
    """
    path = folder / MANIFEST_NAME
    if not path.is_file() or not inside(folder, MANIFEST_NAME):
        return [f"missing: {MANIFEST_NAME}"]
    listed, problems = read_manifest(folder)
    for name, digest in listed.items():
        file = folder / name
        if not file.is_file():
            problems.append(f"missing: {name}")
        elif sha256(file) != digest:
            problems.append(f"modified: {name}")
    for name in files_of(folder):
        if not inside(folder, name):
            problems.append(f"outside the package: {name} (a symbolic link leaving it)")
        elif name not in listed:
            problems.append(f"not in the manifest: {name}")
    return problems
