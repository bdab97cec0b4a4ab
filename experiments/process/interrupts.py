"""Ctrl-C, a full disk and a read-only folder end every command in one line.

`guarded` wraps each console script (`experiments.cli.console`):

- **Ctrl-C** prints `<program>: interrupted; ...` and exits 130, with no traceback.
  The first Ctrl-C raises `KeyboardInterrupt` as usual, so that every `finally`
  removes its temporary file; should the program not have ended `GRACE` seconds
  later (a library waiting on a lock its interrupted caller held: netCDF's
  `CombinedLock`), or at a second Ctrl-C, the process removes its temporaries and
  ends at once.
- **A full disk** (`ENOSPC`, `EDQUOT`, or the netCDF library's errno-less "HDF
  error") and **a folder it cannot write** (`EROFS`, `EACCES`, `EPERM`) print one
  line naming the path, exit 1 and 2 respectively.
- A command that ends normally but must say it did not do all its work (a
  sweep with failed jobs: `set_exit_status`) exits with that status.
- Temporaries a killed earlier run left beside the paths the command is given are
  removed when it starts (`experiments.storage.cleanup.remove_stale`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from experiments.storage.cleanup import folders_named_by, remove_own, remove_stale

GRACE = 10.0  # seconds an interrupted program has to end by itself
REDELIVERY = 0.05  # seconds before a Ctrl-C lost in a callback is delivered again
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)
NETCDF_ERROR = "NetCDF: HDF error"  # what netCDF4 raises on a failed write, a full disk included


def interrupted_line(program: str) -> str:
    """What Ctrl-C prints."""
    return (
        f"{program}: interrupted; nothing half-written was kept "
        "(run the same command again to resume)"
    )


def os_error_line(program: str, error: OSError) -> tuple[str, int] | None:
    """The one line and exit status for a full disk or an unwritable path; None otherwise."""
    where = f" ({error.filename})" if error.filename else ""
    if error.errno in DISK_FULL:
        line = (
            f"{program}: no space left on the device{where}; free some space and run the "
            "same command again (finished work is kept)"
        )
        return line, 1
    if error.errno in NOT_WRITABLE:
        line = (
            f"{program}: cannot write{where}: {error.strerror}; allowed: a folder this user "
            "can write"
        )
        return line, 2
    return None


def netcdf_error_line(program: str, error: BaseException, folders: list[Path]) -> str:
    """One line for the netCDF library's error, which has no errno (a full disk among others).

    The library says only "NetCDF: HDF error" when a write fails for want of space;
    the free space left where the command writes tells whether that is likely.
    """
    free = []
    for folder in folders:
        with contextlib.suppress(OSError):
            stats = os.statvfs(folder)
            free.append(stats.f_bavail * stats.f_frsize)
    low = f"; {min(free) / 1e6:,.0f} MB free on its disk" if free else ""
    return (
        f"{program}: the netCDF library failed to read or write a file ({NETCDF_ERROR}{low}): "
        "a full disk or a damaged file; free some space or check the file, then run the same "
        "command again"
    )


def is_storage_error(error: BaseException) -> bool:
    """Whether `guarded` reports this error in one line: a full disk or an unwritable path.

    Also the netCDF library's errno-less "HDF error" (`netcdf_error_line`).
    """
    if isinstance(error, OSError) and error.errno in (*DISK_FULL, *NOT_WRITABLE):
        return True
    return isinstance(error, (OSError, RuntimeError)) and NETCDF_ERROR in str(error)


_deferred = {"status": 0}


def set_exit_status(status: int) -> None:
    """Make the command exit with `status` when it ends without an error of its own.

    A sweep whose failed jobs did not stop the others ends normally, through
    Hydra, which ignores its jobs' statuses; `guarded` then exits with this.

    Args:
        status: The exit status, 1 or more; the highest set wins.
    """
    _deferred["status"] = max(_deferred["status"], status)


class _Interrupts:
    """The SIGINT handler: raise once, then end for good after a grace or a second Ctrl-C.

    A `KeyboardInterrupt` raised while Python runs a weak-reference callback or a
    `__del__` (the import system's module locks use such callbacks, so a Ctrl-C
    during imports can land there) is printed as "Exception ignored" and lost.
    `unraisable`, installed as `sys.unraisablehook`, catches that case, prints
    nothing and delivers the Ctrl-C again once the callback is over.
    """

    def __init__(self, program: str, folders: list[Path]) -> None:
        self.program = program
        self.folders = folders
        self.pending = False
        self.lost = False
        self.previous_hook = sys.unraisablehook

    def unraisable(self, unraisable: sys.UnraisableHookArgs) -> None:
        if self.pending and isinstance(unraisable.exc_value, KeyboardInterrupt):
            # Sent to the main thread again a moment later, from another thread: from
            # here, inside the callback's machinery, it would be raised and lost again.
            # A real signal, so that it also ends a sleep or a wait.
            self.lost = True
            main = threading.main_thread().ident
            again = threading.Timer(REDELIVERY, signal.pthread_kill, args=(main, signal.SIGINT))
            again.daemon = True
            again.start()
            return
        self.previous_hook(unraisable)

    def end_now(self) -> None:
        remove_own(self.folders)
        with contextlib.suppress(OSError, ValueError):
            print(interrupted_line(self.program), file=sys.stderr, flush=True)
        os._exit(INTERRUPTED)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.lost:  # the first Ctrl-C again, its KeyboardInterrupt having been lost
            self.lost = False
            raise KeyboardInterrupt
        if self.pending:
            self.end_now()
        self.pending = True
        watchdog = threading.Timer(GRACE, self.end_now)
        watchdog.daemon = True
        watchdog.start()
        raise KeyboardInterrupt


def _absolute(argument: str) -> str:
    return str(Path(argument).absolute())


@contextlib.contextmanager
def guarded(program: str, arguments: list[str], deep: bool = False) -> Iterator[None]:
    """Run a command so that Ctrl-C, a full disk or a read-only folder end it in one line.

    Args:
        program: The command's name, for the messages.
        arguments: Its command line after the name (to find its folders).
        deep: Remove stale temporaries below its folders too (a sweep's job folders).

    Yields:
        Nothing; exits the process on an interruption or such an `OSError`.
    """
    _deferred["status"] = 0
    folders = folders_named_by(arguments)
    remove_stale(folders)
    if deep:  # below the folders given, not their parents
        remove_stale([f for f in folders if str(f) in map(_absolute, arguments)], recursive=True)
    previous_hook = sys.unraisablehook
    if threading.current_thread() is threading.main_thread():
        handler = _Interrupts(program, folders)
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = handler.unraisable
    try:
        yield
    except KeyboardInterrupt:
        remove_own(folders)
        print(interrupted_line(program), file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED)
    except (OSError, RuntimeError) as error:
        if not is_storage_error(error):
            raise
        refusal = os_error_line(program, error) if isinstance(error, OSError) else None
        if refusal is None:
            refusal = netcdf_error_line(program, error, folders), 1
        remove_own(folders)
        print(refusal[0], file=sys.stderr, flush=True)
        sys.exit(refusal[1])
    finally:
        sys.unraisablehook = previous_hook
    if _deferred["status"]:
        sys.exit(_deferred["status"])
