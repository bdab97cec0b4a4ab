"""A process's start: imports with the garbage collector paused, and pool workers' set-up.

The model's imports (Mesa, xarray, pandas, SciPy, Hydra) create about 125,000
objects that CPython's cyclic garbage collector tracks, and that live as long as
the process. The collector scans them again at every full collection: while they
are being created, during the run, and at exit, where it collects several times
while it tears the modules down. So the console scripts (`experiments.cli.console`)
and the workers of a process pool:

1. pause the collector while they import (0.1 s of a run's start-up);
2. move what the imports created to the collector's permanent generation
   (`gc.freeze()`), where it is never scanned again;
3. freeze the survivors once more at exit, before the modules are torn down
   (0.2 s).

Reference counting still frees every object that is not in a cycle, and the
collector runs as usual between the imports and the exit. What a command imports
only when it needs it (Mesa when the model first runs, xarray when a dataset is
built: `simulation`'s imports) is imported with the collector running (a default
`alliance-run` spends under 10 ms in collections in all); a pool worker names
them (`init_worker`) to import them before its first task, paused and frozen.
Two things change: the few cycles the imports leave as garbage (about 3,000
objects, 0.6 MB) are never freed, and finalizers (`__del__`) of cycles still
alive at exit do not run. The project closes its files explicitly (`with`
blocks), so neither matters to it. A module imported from Python (a notebook,
the tests) runs with the collector as the user left it.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import signal
import typing
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import multiprocessing.pool

__all__ = [
    "ctrl_c_ignored",
    "die_with_parent",
    "import_quickly",
    "imported_quickly",
    "init_simulation_worker",
    "init_worker",
    "spawn_pool",
    "warm_kernels",
]


def import_quickly(*modules: str) -> None:
    """Import modules with the collector paused; freeze what they made, and again at exit.

    Args:
        modules: Module names, e.g. "experiments.cli.run".
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        for module in modules:
            __import__(module)  # an import statement's path, which `-X importtime` reports
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    atexit.register(gc.freeze)  # exit handlers run before the modules are torn down


def imported_quickly(module: str, name: str) -> Callable[[], object]:
    """`module.name`, imported by `import_quickly`.

    Args:
        module: The module, e.g. "experiments.cli.run".
        name: A function in it, e.g. "entry".

    Returns:
        The function.
    """
    import_quickly(module)
    return getattr(importlib.import_module(module), name)


def init_worker(*modules: str) -> None:
    """Set up a pool worker: Ctrl-C is the main process's, the worker dies with it.

    The main process catches Ctrl-C, stops the pool and prints one line. If the
    main process is killed outright, Linux sends the worker SIGTERM (prctl's
    parent-death signal), so no worker outlives it. Then the worker imports what
    its tasks need, by `import_quickly`; this module imports nothing heavy, so a
    spawned worker unpickles this initializer without importing the model first.

    Args:
        modules: What the worker's tasks import, e.g. "experiments.sweep.worker",
            "simulation.model" and "xarray" (which `simulation` imports on use).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    try:
        import_quickly(*modules)
    except Exception:
        # A worker whose initializer raises dies, and the pool starts another,
        # forever. The task imports the module again and reports the error.
        return


def init_simulation_worker(*modules: str) -> None:
    """`init_worker` for a worker that will run many worlds: on the compiled kernels, warm.

    Declares the process one of many worlds (`simulation.kernel.runs_many_worlds`)
    and loads the compiled kernels' code (`warm_kernels`) before the first
    task, while the pool's parent still plans.

    Args:
        modules: What the worker's tasks import (`init_worker`).
    """
    init_worker(*modules)
    from simulation import kernel

    kernel.runs_many_worlds()
    try:
        warm_kernels()
    except Exception:
        # As in `init_worker`: a failing initializer would restart the worker forever;
        # the first task meets the error and reports it.
        return


def warm_kernels() -> bool:
    """Load the compiled kernels' cached code now (compile it the first time on a machine).

    A pool worker calls it while it starts, so that its first task does not pay
    the load (about 0.3 s): it runs a world of 60 organisations and 4 steps, which
    calls every kernel with the types a world passes them.

    Returns:
        Whether this process runs on the compiled kernels (`simulation.kernel.select`).
    """
    from simulation import kernel

    if kernel.select() is None:
        return False
    from simulation.config import AccountingConfig, FundConfig, RunConfig, ScenarioConfig
    from simulation.model import AllianceModel

    tiny = ScenarioConfig(n_territories=3, n_organisations=60, years=1, steps_per_year=4)
    config = RunConfig(
        scenario=tiny,
        fund=FundConfig(years=1.0),
        accounting=AccountingConfig(rmst_horizon_years=1.0),
    )
    AllianceModel(config).run()
    return True


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (prctl's parent-death signal).

    Ends the process at once if the parent died before the request took effect.
    Elsewhere than Linux it does nothing: a pool's workers still stop once the
    pool's pipe closes, a helper once its command's pipe does.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except OSError:  # not Linux
        pass


@contextlib.contextmanager
def ctrl_c_ignored() -> Iterator[None]:
    """Within the block, this process ignores SIGINT; the processes it starts keep ignoring it.

    An ignored signal stays ignored across `exec`, and Python keeps SIGINT ignored
    when it starts so (it installs its `KeyboardInterrupt` handler only over the
    default): a spawned pool worker ignores Ctrl-C from its first instruction,
    while it still imports, before its initializer runs. `signal.signal` may be
    called from the main thread only, and the explorer starts its pool in a thread
    of its own, so the disposition is set with `sigaction` (Linux, glibc; elsewhere
    the block changes nothing) and the previous one, Python's handler, restored
    exactly. A Ctrl-C in the few milliseconds the block lasts is lost; the next one
    is not.

    Yields:
        Nothing.
    """
    import ctypes

    class SigAction(ctypes.Structure):  # glibc's struct sigaction (x86-64, AArch64)
        _fields_: typing.ClassVar = [
            ("handler", ctypes.c_void_p),
            ("mask", ctypes.c_ulong * 16),
            ("flags", ctypes.c_int),
            ("restorer", ctypes.c_void_p),
        ]

    previous = SigAction()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        ignore = SigAction(handler=int(signal.SIG_IGN))
        changed = libc.sigaction(signal.SIGINT, ctypes.byref(ignore), ctypes.byref(previous)) == 0
    except (OSError, AttributeError):  # not glibc: the workers' initializer still ignores it
        changed = False
    try:
        yield
    finally:
        if changed:
            libc.sigaction(signal.SIGINT, ctypes.byref(previous), None)


def spawn_pool(
    processes: int, initializer: Callable[..., None] = init_worker, initargs: tuple = ()
) -> multiprocessing.pool.Pool:
    """A pool of spawned workers that ignore Ctrl-C from their first instruction on.

    A spawned worker spends its first seconds importing, before its initializer
    (`init_worker`) can ignore SIGINT: a Ctrl-C sent to the terminal's process
    group printed a worker's `KeyboardInterrupt` traceback. The workers are
    started within `ctrl_c_ignored`: they inherit SIGINT ignored. The main process
    takes Ctrl-C again at once, and ends the workers.

    Args:
        processes: Worker processes.
        initializer: Run in each worker first (it must ignore SIGINT: `init_worker` does).
        initargs: Its arguments.

    Returns:
        The pool.
    """
    import multiprocessing

    with ctrl_c_ignored():
        return multiprocessing.get_context("spawn").Pool(processes, initializer, initargs)


def calibration_worker_setup() -> None:
    """Set up a calibration pool worker (`calibration.evaluation.Evaluator`) as a sweep's.

    Its tasks simulate and compute moments: those modules are imported first.
    """
    init_simulation_worker("calibration.moments", "simulation.model")
