"""The release: a clean build, the software's metadata in agreement, the model archive.

`python -m build` must print no warning; the wheel ships `docs/sources.md` and the
ODD; `codemeta.json`, `CITATION.cff` and `pyproject.toml` say the same name,
version, authors, license, repository and keywords.
"""

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CITATION = yaml.safe_load((ROOT / "CITATION.cff").read_text())
CODEMETA = json.loads((ROOT / "codemeta.json").read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The sdist and the wheel (built from the sdist, as `make release` does), and the log."""
    out = tmp_path_factory.mktemp("dist")
    # Byte-compiling is switched off by this variable, and setuptools says so as a
    # "warning": the release target unsets it too.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return out, result.stdout + result.stderr


def test_the_build_prints_no_warning(built):
    _, log = built
    warnings = [line for line in log.splitlines() if "warn" in line.lower()]
    assert warnings == []


def test_the_wheel_ships_the_sources_and_the_odd_beside_the_configs(built):
    out, _ = built
    (wheel,) = out.glob("alliance_premium-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"docs/sources.md", "docs/model.md", "configs/config.yaml"} <= names
    assert "configs/fund/strategy/uniform.yaml" in names  # the config groups' folders too
    # Only those two documents: the rest of the site stays in the sdist.
    assert sorted(n for n in names if n.startswith("docs/")) == ["docs/model.md", "docs/sources.md"]
    (sdist,) = out.glob("alliance_premium-*.tar.gz")
    with tarfile.open(sdist) as archive:
        held = {name.split("/", 1)[-1] for name in archive.getnames()}
    assert {"codemeta.json", "CITATION.cff", "docs/sources.md", "docs/images"} <= held
    assert not any("__pycache__" in name or name.endswith(".nc") for name in held)


def _cff_author_names(authors: list[dict]) -> list[str]:
    return [a.get("name") or f"{a['given-names']} {a['family-names']}" for a in authors]


def test_codemeta_agrees_with_citation_cff_and_pyproject():
    assert CODEMETA["@context"] == "https://w3id.org/codemeta/3.0"
    assert CODEMETA["@type"] == "SoftwareSourceCode"
    assert CODEMETA["name"] == PROJECT["name"] and CITATION["title"].startswith(PROJECT["name"])
    assert CODEMETA["version"] == PROJECT["version"] == str(CITATION["version"])
    names = [author["name"] for author in CODEMETA["author"]]
    assert (
        names == [a["name"] for a in PROJECT["authors"]] == _cff_author_names(CITATION["authors"])
    )
    assert CODEMETA["license"] == f"https://spdx.org/licenses/{PROJECT['license']}"
    assert PROJECT["license"] == CITATION["license"]
    assert CODEMETA["keywords"] == PROJECT["keywords"] == CITATION["keywords"]
    assert CODEMETA["datePublished"] == str(CITATION["date-released"])
    # One repository, or none yet in all three.
    repository = {
        "codemeta.json": CODEMETA.get("codeRepository"),
        "CITATION.cff": CITATION.get("repository-code"),
        "pyproject.toml": PROJECT.get("urls", {}).get("Repository"),
    }
    assert len(set(repository.values())) == 1, repository
    # The requirements are the package's: update codemeta.json with pyproject.toml.
    assert CODEMETA["softwareRequirements"] == PROJECT["dependencies"]
    assert CODEMETA["description"] == PROJECT["description"]


def test_the_model_archive_holds_what_comses_takes(built, tmp_path):
    from experiments.publish.release import archive_name, sdist_path, write_archive

    out, _ = built
    archive = write_archive(sdist_path(out), tmp_path / archive_name())
    names = set(zipfile.ZipFile(archive).namelist())
    assert {"README.md", "LICENSE", "CITATION.cff", "codemeta.json"} <= names
    assert {"docs/model.md", "docs/sources.md", "docs/getting-started.md"} <= names
    assert {"code/pyproject.toml", "code/Makefile", "code/configs/config.yaml"} <= names
    assert {"code/simulation/model.py", "code/tests/test_release.py"} <= names
    assert {"media/explorer.png", "media/calibration/moments.png"} <= names
    # CoMSES's folders only, and text alone in docs/ (it refuses images there).
    folders = {name.split("/")[0] for name in names if "/" in name}
    assert folders <= {"code", "data", "docs", "media", "results"}
    assert all(name.endswith(".md") for name in names if name.startswith("docs/"))
    assert not any(name.startswith("docs/api/") for name in names)
    with zipfile.ZipFile(archive) as opened:
        readme = opened.read("README.md").decode()
        assert opened.read("codemeta.json") == (ROOT / "codemeta.json").read_bytes()
    assert f"{PROJECT['name']} {PROJECT['version']}" in readme and "make run" in readme
    # The same sdist gives the same archive.
    again = write_archive(sdist_path(out), tmp_path / "again.zip")
    assert again.read_bytes() == archive.read_bytes()


def test_the_archive_needs_an_sdist(tmp_path):
    from experiments.publish.release import main

    with pytest.raises(SystemExit) as stopped:
        main([str(tmp_path)])
    assert stopped.value.code == 2
