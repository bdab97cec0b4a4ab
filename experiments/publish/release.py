"""The model archive for the CoMSES Computational Model Library, made from the sdist.

    python -m experiments.publish.release [DIST]      # after `python -m build --outdir DIST`

`make release` builds the sdist and the wheel into `dist/`, the documentation site
into `site/`, then runs this, which writes `dist/alliance-premium-<version>-comses.zip`:

    README.md        what is where, how to install and run the model
    LICENSE          Apache-2.0
    CITATION.cff     how to cite the software
    codemeta.json    CodeMeta 3.0
    code/            the source distribution, unpacked: the packages, configs/,
                     pyproject.toml, Makefile, tests/, benchmarks/ and docs/
    docs/            the narrative documentation, Markdown: model.md (the ODD),
                     sources.md (every figure from the field and its source), the
                     getting-started, configuration, calibration and tutorial pages
    media/           the documentation's images

CoMSES files the uploads of a release into `code/`, `data/`, `docs/`, `media/` and
`results/`, and writes `codemeta.json`, `CITATION.cff` and `LICENSE` beside them; its
`docs/` takes text documents only (Markdown, PDF, plain text, RTF, ODT), so the
images go to `media/`. The archive is read from the sdist alone, so it holds exactly
what was released, and the same sdist gives the same archive, byte for byte.
"""

from __future__ import annotations

import argparse
import io
import tarfile
import time
import zipfile
from pathlib import Path, PurePosixPath

from simulation import __version__

NAME = "alliance-premium"
# Root files of the archive, taken from the sdist's root.
ROOT_FILES = ("LICENSE", "CITATION.cff", "codemeta.json")
# docs/ pages that only make sense in the site (mkdocstrings stubs of the API reference).
_SITE_ONLY = ("api/",)
_TEXT = (".md",)
_MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".svg")


def sdist_path(dist: Path, version: str = __version__) -> Path:
    """The sdist of this version in `dist`.

    Raises:
        ValueError: There is none (build it first).
    """
    path = dist / f"{NAME.replace('-', '_')}-{version}.tar.gz"
    if not path.is_file():
        msg = f"no sdist {path.name} in {dist}; build it first: python -m build --outdir {dist}"
        raise ValueError(msg)
    return path


def archive_name(version: str = __version__) -> str:
    """File name of the model archive."""
    return f"{NAME}-{version}-comses.zip"


def readme(version: str, description: str) -> str:
    """README.md of the archive: what is where and how to run the model."""
    return f"""# {NAME} {version}: model archive

{description}

An agent-based model in Python (Mesa), with a paired counterfactual world in every
run, calibration to the field's figures, sweeps, an appraisal under uncertainty and
publishable datasets.

## What is where

- `code/`: the model's source distribution ({NAME} {version}): `simulation/` (the
  model), `calibration/`, `experiments/` (the commands), `configs/` (every parameter,
  Hydra), `tests/`, `benchmarks/`, `pyproject.toml`, `Makefile`, and its own
  `README.md`, the full manual.
- `docs/model.md`: the model description in the ODD protocol: entities, process, every
  equation and every parameter with its source.
- `docs/sources.md`: every figure the model takes from the field, its original words
  (French) and the document it comes from.
- `docs/`: the other pages: getting started, configuration reference, calibration,
  tutorials.
- `media/`: the documentation's images (the pages in `code/docs/` show them in place).
- `LICENSE`: Apache License 2.0. `CITATION.cff`: how to cite the software.
  `codemeta.json`: its metadata (CodeMeta 3.0).

## How to run it

Python 3.12 or later (Linux or macOS) and access to PyPI for the dependencies
(`code/pyproject.toml` lists them).

```bash
cd code
make run     # creates .venv, installs the model, runs the default scenario, prints the summary
make test    # installs the test extras, runs the test suite
```

Without make:

```bash
cd code
python3.12 -m venv .venv
.venv/bin/python -m pip install .
.venv/bin/alliance-run                                   # the default scenario
.venv/bin/alliance-run fund/strategy=small_territories seed=3
.venv/bin/alliance-run -m +experiment=strategy_comparison    # a sweep
.venv/bin/alliance-run --help                            # every parameter and command
```

Each run writes its folder under `outputs/` (the resolved configuration and
`dataset.nc`, NetCDF); `code/README.md` describes every command: sweeps
(`alliance-collect`), calibration (`alliance-calibrate`), reports (`alliance-report`),
the browser explorer (`alliance-explore`) and publishing a dataset
(`alliance-publish`, `alliance-verify`).
"""


def _is_page(relative: str) -> bool:
    return relative.endswith(_TEXT) and not relative.startswith(_SITE_ONLY)


def _placements(relative: str) -> list[str]:
    """Where a file of the sdist goes in the archive (`relative` to the sdist's root)."""
    places = [f"code/{relative}"]
    if relative in ROOT_FILES:
        places.append(relative)
    if relative.startswith("docs/"):
        inside = relative.removeprefix("docs/")
        if _is_page(inside):
            places.append(f"docs/{inside}")
        elif inside.lower().endswith(_MEDIA):
            places.append(f"media/{inside.removeprefix('images/')}")
    return places


def write_archive(sdist: Path, out: Path) -> Path:
    """Write the CoMSES model archive of `sdist` to `out` (a .zip file).

    Args:
        sdist: The source distribution (`python -m build`).
        out: The archive to write; replaced if it exists.

    Returns:
        `out`.

    Raises:
        ValueError: The sdist lacks a file the archive needs.
    """
    entries: dict[str, tuple[bytes, int]] = {}
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        top = PurePosixPath(members[0].name).parts[0]
        for member in members:
            relative = PurePosixPath(member.name).relative_to(top).as_posix()
            file = tar.extractfile(member)
            if file is None:
                continue
            content = file.read()
            for place in _placements(relative):
                entries[place] = (content, member.mtime)
        pkg_info = tar.extractfile(f"{top}/PKG-INFO")
        metadata = pkg_info.read().decode() if pkg_info else ""
    needed = [*ROOT_FILES, "docs/model.md", "docs/sources.md"]
    missing = [name for name in needed if name not in entries]
    if missing:
        msg = f"{sdist.name} lacks {', '.join(missing)}; the archive needs them"
        raise ValueError(msg)
    version = _field(metadata, "Version") or __version__
    description = _field(metadata, "Summary")
    newest = max(mtime for _, mtime in entries.values())
    entries["README.md"] = (readme(version, description).encode(), newest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            content, mtime = entries[name]
            info = zipfile.ZipInfo(name, date_time=_zip_time(mtime))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    out.write_bytes(buffer.getvalue())
    return out


def _field(metadata: str, key: str) -> str:
    for line in metadata.splitlines():
        if line.startswith(f"{key}: "):
            return line.removeprefix(f"{key}: ").strip()
    return ""


def _zip_time(mtime: int) -> tuple[int, int, int, int, int, int]:
    moment = time.gmtime(max(mtime, 315532800))  # zip dates start in 1980
    return moment[:6]


def main(argv: list[str] | None = None) -> None:
    """Command line: write the archive of the sdist in DIST (default `dist`) beside it."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.publish.release",
        description="Write the model archive for the CoMSES Computational Model Library "
        "from the sdist in DIST (python -m build --outdir DIST).",
    )
    parser.add_argument("dist", nargs="?", type=Path, default=Path("dist"), metavar="DIST")
    args = parser.parse_args(argv)
    try:
        sdist = sdist_path(args.dist)
        out = write_archive(sdist, args.dist / archive_name())
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
