"""The project as others install it: a wheel in a fresh environment, not an editable checkout.

Builds the sdist and, from it, the wheel (`python -m build`, as a packager would),
installs the wheel (with its dependencies from the package index) into
a new virtual environment, and runs `alliance-run` on the default scenario and a
small sweep from a folder outside the checkout. About a minute and a half: a slow
check (`pytest -m slow`, which CI runs), to keep the default suite within 10 minutes.
"""

import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

from .conftest import SMALL_OVERRIDES

ROOT = Path(__file__).parents[1]


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    # The wheel is built from the sdist, so a file missing from the sdist fails here too.
    built = run(sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT), cwd=ROOT)
    assert built.returncode == 0, built.stderr
    (sdist,) = tmp_path.glob("alliance_premium-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[-1] for name in archive.getnames()}
    assert {"LICENSE", "CITATION.cff", "CHANGELOG.md", "configs/config.yaml"} <= names
    assert {"tests/test_wheel.py", "docs/model.md"} <= names
    (wheel,) = tmp_path.glob("alliance_premium-*.whl")
    venv.create(tmp_path / "env", with_pip=True)
    bin_dir = tmp_path / "env" / "bin"
    installed = run(str(bin_dir / "pip"), "install", "--quiet", str(wheel), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "work"
    work.mkdir()
    version = run(str(bin_dir / "alliance-run"), "--version", cwd=work)
    assert version.returncode == 0 and "(alliance-premium) 0.1.0" in version.stdout
    single = run(str(bin_dir / "alliance-run"), "hydra.run.dir=one", cwd=work)
    assert single.returncode == 0, single.stderr
    assert (work / "one" / "dataset.nc").is_file() and "frugality" in single.stdout
    sweep = run(
        str(bin_dir / "alliance-run"),
        "-m",
        *SMALL_OVERRIDES,
        "seed=1,2",
        "hydra.sweep.dir=sw",
        cwd=work,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert "2 done, 0 failed" in sweep.stdout
    # The configs came from the wheel, not from this checkout.
    where = run(
        str(bin_dir / "python"),
        "-c",
        "import experiments.config.schema as s; print(s.CONFIG_DIR)",
        cwd=work,
    )
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout
