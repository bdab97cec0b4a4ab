"""Temporary files of atomic writes: this process's on exit, dead processes' on start.

Every atomic write of the project goes through a temporary beside its target,
named `.<name>.tmp-<PID>` (a file, or a folder for packages and reports), renamed
over the target at the end. A process that is interrupted removes its own
(`remove_own`); one that was killed cannot, so a later command removes those of
processes that no longer exist (`remove_stale`). A PID that is alive is never
touched, whichever process holds it now.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

# `.collected.nc.tmp-1234`, `.package.tmp-1234`, `.pub.tmp-1234/`
TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)$")


def temporaries(folder: Path) -> list[tuple[Path, int]]:
    """The temporaries directly inside `folder`, with the PID that wrote each."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        match = TEMPORARY.match(entry.name)
        if match:
            found.append((entry, int(match.group(1))))
    return found


def alive(pid: int) -> bool:
    """Whether a process with this PID exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def remove_own(folders: Iterable[Path]) -> list[Path]:
    """Remove this process's temporaries in `folders`.

    Returns:
        The paths removed.
    """
    removed = []
    for folder in folders:
        for path, pid in temporaries(folder):
            if pid == os.getpid():
                _remove(path)
                removed.append(path)
    return removed


def remove_stale(folders: Iterable[Path], recursive: bool = False) -> list[Path]:
    """Remove temporaries left in `folders` by processes that no longer run.

    Args:
        folders: Where to look (each folder itself, not below, unless `recursive`).
        recursive: Also look in every folder below (a sweep's job folders).

    Returns:
        The paths removed.
    """
    removed = []
    for folder in folders:
        places = [folder]
        if recursive and folder.is_dir():
            for root, folders, _ in os.walk(folder):
                folders[:] = [f for f in folders if not TEMPORARY.match(f)]
                places += [Path(root, f) for f in folders]
        for place in places:
            for path, pid in temporaries(place):
                if pid != os.getpid() and not alive(pid):
                    _remove(path)
                    removed.append(path)
    return removed


def folders_named_by(arguments: Iterable[str]) -> list[Path]:
    """The folders a command's arguments point to, where its temporaries go.

    A command writes beside or inside the paths it is given: `alliance-collect
    SWEEP` inside the sweep folder, `alliance-publish DATA OUT` beside `OUT`,
    `alliance-report DATA` beside `DATA`, `alliance-run hydra.run.dir=DIR` inside
    `DIR`. Each argument that names an existing
    path, or a new path in an existing folder, gives that folder and its parent.

    Args:
        arguments: The command line after the program name.

    Returns:
        Existing folders, without repeats.
    """
    folders: dict[Path, None] = {}
    for argument in arguments:
        key, _, value = argument.partition("=")
        if key in ("hydra.run.dir", "hydra.sweep.dir"):
            argument = value
        elif argument.startswith("-") or "=" in argument or not argument:
            continue
        path = Path(argument).absolute()
        for candidate in (path, path.parent):
            if candidate.is_dir():
                folders[candidate] = None
    return list(folders)
