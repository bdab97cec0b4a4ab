"""A helper process forked as a command starts: it imports the model while the command composes.

`alliance-run` spends most of its start-up in two parts that do not depend on
each other: Hydra (importing it, then composing and validating the
configuration, about 0.3 s) and the libraries of the model and its dataset
(Mesa, pandas, xarray, netCDF4, also about 0.3 s), which the run needs only
once its configuration is known. In one process they cannot overlap: an import
runs Python code and holds the interpreter lock, so a thread importing pandas
would only take turns with Hydra. A second process can: at its start the console
script forks a helper (`start`) that imports the model's modules on the other
core, then waits. The command composes and validates as before, hands the helper
one call (`Helper.call`: the run, the dataset's file, its summary) and prints what
comes back; the command never imports the model, nor the module of the call. A run then costs about
the longer of the two parts, not their sum.

The call is pickled to the helper and its result or exception pickled back: the
run is the same code on the same configuration, so its dataset is the same. An
exception is raised again in the command, with the helper's traceback as a note.
Output the helper prints (a progress bar, warnings) goes where the command's goes.

The helper is forked before any thread or heavy module exists (the console
script's first step), and never outlives the command:

- a command that does not hand it a call (a refusal, `--cfg`, an error) kills it
  at exit (it has written nothing);
- Ctrl-C reaches both (one process group). The helper's first SIGINT raises
  `KeyboardInterrupt`, so that its `finally` blocks remove its temporary files,
  and it ignores any later one; it then ends quietly (exit 130), and the command,
  which also forwards the signal (a SIGINT sent to it alone), waits for it before
  it ends in its one line (`experiments.process.interrupts`);
- if the command dies, Linux sends the helper SIGTERM (`die_with_parent`).

Only where a core is free for it (`spare_core`: on a machine whose cores are
all busy, the command runs alone, as before) and where `os.fork` is safe to call
this early (Linux); elsewhere, and in any
process that did not start one (`python -m`, a launcher's job, the tests),
`take` returns None and the command runs everything itself, as before.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import pickle
import signal
import sys
import traceback

from experiments.process.startup import die_with_parent, import_quickly

__all__ = ["Helper", "fork_helper", "spare_core", "start", "take"]
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
_started: list[Helper] = []  # the helper this process started, until taken


class Helper:
    """The forked helper, seen from the command: one call, then it ends.

    Args:
        pid: Its process id.
        calls: The pipe's end the command writes the call to.
        results: The pipe's end the command reads the result from.
    """

    def __init__(self, pid: int, calls: int, results: int) -> None:
        self.pid = pid
        self._calls = calls
        self._results = results
        self._running = True

    def call(self, function: str, *args: object) -> object:
        """`function(*args)` in the helper, which then ends.

        Args:
            function: A module-level function, named "module:name": this process
                need not import its module (the helper has).
            args: Its arguments (pickled).

        Returns:
            What it returned.

        Raises:
            BaseException: What it raised, with the helper's traceback as a note.
            RuntimeError: The helper ended without an answer (killed).
        """
        try:
            _write_all(self._calls, pickle.dumps((function, args)))
            os.close(self._calls)
            data = _read_all(self._results)
        except BaseException:  # Ctrl-C: the helper stops too, then the command ends
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGINT)
            self._wait()
            raise
        status = self._wait()
        if not data:
            msg = f"the run's helper process ended without an answer (wait status {status})"
            raise RuntimeError(msg)
        returned, value = pickle.loads(data)
        if returned:
            return value
        raise value

    def stop(self) -> None:
        """End the helper if it is still running (it was handed nothing: nothing to keep)."""
        if self._running:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            self._wait()

    def _wait(self) -> int:
        if not self._running:
            return 0
        self._running = False
        for end in (self._calls, self._results):
            with contextlib.suppress(OSError):
                os.close(end)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return 0
        return status


def start(*modules: str) -> None:
    """Fork the helper, which imports `modules` (`import_quickly`) and waits for its call.

    Call it first thing in a process, before any thread starts; `take` hands the
    helper to the code that calls it. Does nothing where no core is free
    (`spare_core`), fork is not used (not Linux) or a helper is already started.

    Args:
        modules: What the call will need, e.g. "simulation.model" and "xarray".
    """
    if spare_core():
        fork_helper(*modules)


def fork_helper(*modules: str) -> None:
    """`start`, whether a core is free or not (for the tests).

    Args:
        modules: What the call will need.
    """
    if not sys.platform.startswith("linux") or _started:
        return
    calls_read, calls_write = os.pipe()
    results_read, results_write = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    pid = os.fork()
    if pid == 0:
        os.close(calls_write)
        os.close(results_read)
        _serve(modules, calls_read, results_write)  # never returns
    os.close(calls_read)
    os.close(results_write)
    helper = Helper(pid, calls_write, results_read)
    _started.append(helper)
    atexit.register(helper.stop)


def spare_core() -> bool:
    """Whether a core is free for the helper: more than one, and the load leaves one idle.

    The helper pays off only beside the command, on a core of its own: on a busy
    machine the two would take turns, and the imports both make (numpy, the
    configuration) cost 0.1 s of CPU more than one process alone. The last
    minute's load average (runnable processes) stands for the load to come; a
    command run again and again counts in it itself, so half a core free is
    enough (on 2 cores, measured side by side: the helper won at a load of 1.1,
    0.74 s against 1.08 s, and lost at 4.6).

    Returns:
        True if the cores this process may use exceed the load by more than a half.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return cores > 1
    return cores > 1 and cores - load > 0.5


def take() -> Helper | None:
    """The helper this process started, once; None if there is none (or it was taken)."""
    return _started.pop() if _started else None


def _first_interrupt(signum: int, frame: object) -> None:
    """The helper's SIGINT: raise once (its `finally` blocks run), ignore any later one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _serve(modules: tuple[str, ...], calls: int, results: int) -> None:
    """The helper's life: import, wait for the call, run it, send what it gave, end."""
    status = 0
    try:
        signal.signal(signal.SIGINT, _first_interrupt)
        die_with_parent()
        with contextlib.suppress(Exception):  # the call imports them again and reports it
            import_quickly(*modules)
        data = _read_all(calls)
        if data:  # nothing: the command ended without a call
            _write_all(results, _outcome(data))
    except KeyboardInterrupt:
        status = INTERRUPTED
    except BaseException:  # the command is gone (a broken pipe): nobody to tell
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(status)  # no exit handlers: they are the command's


def _outcome(data: bytes) -> bytes:
    """The pickled (returned, value) of the call in `data`; its exception if it raised."""
    try:
        name, args = pickle.loads(data)
        module, _, function = name.partition(":")
        return pickle.dumps((True, getattr(importlib.import_module(module), function)(*args)))
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        error.add_note(f"(in the run's helper process)\n{traceback.format_exc().rstrip()}")
        try:
            data = pickle.dumps((False, error))
            pickle.loads(data)  # the command can read it back
            return data
        except Exception:  # an exception that does not pickle: its text, in one that does
            text = "".join(traceback.format_exception(error))
            return pickle.dumps((False, RuntimeError(text)))


def _write_all(end: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(end, view) :]


def _read_all(end: int) -> bytes:
    chunks = []
    while chunk := os.read(end, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)
