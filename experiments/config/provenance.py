"""Where results come from: the code's git commit and the library versions."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from experiments.config.schema import PROJECT_ROOT

# Libraries whose versions a published dataset records.
LIBRARIES = ("numpy", "scipy", "mesa", "xarray", "hydra-core", "netCDF4", "zarr", "SALib")


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """The checkout's commit, with `-dirty` if files differ from it; "unknown" outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if status.strip() else commit


def library_versions() -> dict[str, str]:
    """Python's and the main libraries' versions ("not installed" where absent)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions
