"""Writing result files safely."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # xarray is imported where a dataset is opened, not at start-up
    import xarray as xr

# The NetCDF-4 engine of every file the project writes and reads: netCDF4 (the
# Unidata library) writes a run's dataset in 25 ms and reads it in 20 ms, against
# 154 ms and 168 ms for h5netcdf, and its files are the same bytes for the same
# data (benchmarks/netcdf_engines.py, 2026-11-26).
NETCDF_ENGINE = "netcdf4"


def write_netcdf_atomically(dataset: xr.Dataset, path: Path) -> Path:
    """Write a dataset as NetCDF-4 (`NETCDF_ENGINE`) to a temporary file, then rename it.

    A reader never sees a half-written file, and an interrupted run leaves no
    file under the final name.

    Args:
        dataset: The dataset to write.
        path: Final file name.

    Returns:
        The final path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        dataset.to_netcdf(temporary, engine=NETCDF_ENGINE)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def netcdf_bytes(dataset: xr.Dataset) -> bytes:
    """A dataset as the bytes of a NetCDF-4 file, written by `write_netcdf_atomically`.

    Args:
        dataset: The dataset.

    Returns:
        The file's bytes, for a download.
    """
    with tempfile.TemporaryDirectory() as folder:
        return write_netcdf_atomically(dataset, Path(folder) / "dataset.nc").read_bytes()


def discard_empty_run_dir(run_dir: Path) -> None:
    """Remove a run directory that holds nothing but Hydra's own bookkeeping.

    Hydra creates the run directory before the job starts; a job rejected for a
    bad config should leave nothing behind.

    Args:
        run_dir: The job's output directory.
    """

    def is_bookkeeping(path: Path) -> bool:
        # Hydra's resolved configs, and the job's log (named after the job).
        return path.name == ".hydra" or path.suffix == ".log"

    if run_dir.is_dir() and all(is_bookkeeping(p) for p in run_dir.iterdir()):
        shutil.rmtree(run_dir)


def write_text_atomically(path: Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path`.

    Args:
        path: The file to write; its folder is created if needed.
        text: The content.

    Returns:
        The path written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)
    return path


def _holds_nothing(folder: Path) -> bool:
    return not any(folder.iterdir())


def check_replaceable(
    path: Path, is_earlier: Callable[[Path], bool] | None = None, kind: str = "output"
) -> Path:
    """Refuse, in one line, a target folder that writing `kind` there would lose files of.

    Only a new folder, an empty one, or one `is_earlier` recognises as an earlier
    `kind` (its files are all files a `kind` writes) may be replaced; a file, a
    symbolic link, a folder holding anything else (a thesis, a parent folder:
    `--output ..`) is refused before any work.

    Args:
        path: The folder to write.
        is_earlier: Whether an existing, non-empty folder holds an earlier `kind`;
            None: only a new or empty folder may be written (`alliance-publish`).
        kind: What is written, in words ("report").

    Returns:
        `path` made absolute (`..` and `.` resolved in words, symbolic links kept).

    Raises:
        ValueError: `path` may not be replaced, said in one line with what is allowed.
    """
    allowed = (
        "allowed: a new folder or an empty one"
        if is_earlier is None
        else f"allowed: a new folder, an empty one, or an earlier {kind}'s"
    )
    folder = Path(os.path.abspath(path))
    if folder.is_symlink():
        msg = f"{path} is a symbolic link; {allowed}"
        raise ValueError(msg)
    if folder.exists() and not folder.is_dir():
        msg = f"{path} is a file, not a folder; {allowed}"
        raise ValueError(msg)
    if folder.is_dir():
        try:
            earlier = _holds_nothing(folder) or (is_earlier is not None and is_earlier(folder))
        except OSError as error:
            msg = f"cannot read {path}: {error.strerror or error}; {allowed}"
            raise ValueError(msg) from None
        if not earlier:
            what = "is not empty" if is_earlier is None else f"holds files that are not a {kind}'s"
            msg = f"{path} {what}; {allowed}"
            raise ValueError(msg)
    if not folder.name:  # the root: it is never empty, so this is only a safeguard
        msg = f"{path} is the root folder; {allowed}"
        raise ValueError(msg)
    return folder


@contextmanager
def folder_written_atomically(
    path: Path, is_earlier: Callable[[Path], bool] | None = None, kind: str = "output"
) -> Iterator[Path]:
    """Fill a temporary folder beside `path`; on success it replaces `path`.

    `path` may only be a new folder, an empty one, or an earlier `kind` that
    `is_earlier` recognises (`check_replaceable`, checked on entry and again just
    before replacing): nothing else is ever deleted. On any failure (an exception,
    Ctrl-C) the temporary folder is removed and `path` is left as it was: no
    half-written report.

    Args:
        path: The folder to write.
        is_earlier: Whether an existing, non-empty `path` holds an earlier `kind`
            (default: only an empty folder may be replaced).
        kind: What is written, in words, for the refusal.

    Yields:
        The temporary folder to write into.

    Raises:
        ValueError: `path` may not be replaced (one line).
        OSError: The temporary folder cannot be made (an unwritable place).
    """
    path = check_replaceable(path, is_earlier, kind)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        yield temporary
        check_replaceable(path, is_earlier, kind)  # nothing added meanwhile
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    if path.exists():
        earlier = path.with_name(f".{path.name}.old-{os.getpid()}")
        shutil.rmtree(earlier, ignore_errors=True)
        os.replace(path, earlier)
        os.replace(temporary, path)
        shutil.rmtree(earlier, ignore_errors=True)
    else:
        os.replace(temporary, path)


def write_zarr_zip(dataset: xr.Dataset, path: Path) -> Path:
    """Write a dataset as one zipped Zarr store (format 2, consolidated), reproducibly.

    A Zarr directory store holds a file per chunk (hundreds), and data repositories
    cap a deposit's files (Zenodo: 100). The store is written to a temporary folder,
    then zipped uncompressed in name order with a fixed timestamp, so that the same
    data give the same bytes. `xr.open_zarr(zarr.storage.ZipStore(path, mode="r"))`
    reads it.

    Args:
        dataset: The data.
        path: The `.zarr.zip` file to write.

    Returns:
        The path written.
    """
    import logging
    import tempfile
    import zipfile

    # The folder is removed here, not by TemporaryDirectory: see `_remove_settling`.
    with tempfile.TemporaryDirectory(dir=path.parent, ignore_cleanup_errors=True) as folder:
        store = Path(folder) / "store.zarr"
        # zarr writes chunks in concurrent asyncio tasks: when one fails (a full disk),
        # the others fail too, unawaited, and asyncio logs each one's traceback when it
        # is collected, after the command's one-line error. The first failure is
        # raised; theirs are the same and stay quiet (for the rest of the process,
        # which is ending).
        asyncio_log = logging.getLogger("asyncio")
        level = asyncio_log.level
        asyncio_log.setLevel(logging.CRITICAL)
        try:
            dataset.to_zarr(store, zarr_format=2, consolidated=True)
        except BaseException:
            _remove_settling(Path(folder))
            raise
        asyncio_log.setLevel(level)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for file in sorted(p for p in store.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(file.relative_to(store).as_posix(), (1980, 1, 1, 0, 0, 0))
                archive.writestr(info, file.read_bytes())
    return path


def _remove_settling(folder: Path, attempts: int = 50, pause: float = 0.02) -> None:
    """Remove a folder that other threads may still be writing into.

    When one of zarr's chunk writes fails, `to_zarr` raises at once while its sibling
    writes, on zarr's own event-loop thread, may still create files: a single
    `rmtree` then fails with "Directory not empty" and its traceback would replace
    the command's one-line error. Removal is retried until the writes have settled
    (one second at most); whatever is left is then left quietly.
    """
    import time

    for _ in range(attempts):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(pause)


def open_zarr_zip(path: Path) -> xr.Dataset:
    """Open a zipped Zarr store written by `write_zarr_zip`."""
    import xarray as xr
    from zarr.storage import ZipStore

    return xr.open_zarr(ZipStore(path, mode="r"))
