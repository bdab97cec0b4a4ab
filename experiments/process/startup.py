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
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import multiprocessing.pool

__all__ = [
    "ctrl_c_held",
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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back until now
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
    calls every kernel with the types a world passes them (fragility relief and
    the profile term of the propensity to ally on, as the calibrated set has them).

    Returns:
        Whether this process runs on the compiled kernels (`simulation.kernel.select`).
    """
    from simulation import kernel

    if kernel.select() is None:
        return False
    from simulation.config import (
        AccountingConfig,
        EmergenceConfig,
        FragilityConfig,
        FundConfig,
        ModelConfig,
        RunConfig,
        ScenarioConfig,
    )
    from simulation.model import AllianceModel

    tiny = ScenarioConfig(n_territories=3, n_organisations=60, years=1, steps_per_year=4)
    config = RunConfig(
        scenario=tiny,
        model=ModelConfig(
            emergence=EmergenceConfig(ally_profile_weight=1.0),
            fragility=FragilityConfig(relief_rate=0.1),
        ),
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
def ctrl_c_held() -> Iterator[None]:
    """Within the block, this thread holds SIGINT back; the processes it starts keep holding it.

    A thread's signal mask is inherited by the threads and the processes it
    starts, across `exec`, and Python does not change it when it starts: a pool
    worker spawned here holds Ctrl-C back from its first instruction, while it
    still imports, until its initializer ignores SIGINT for good (`init_worker`;
    ignoring a signal discards it if pending). The mask is this thread's only: a
    Ctrl-C while the block lasts goes to another thread of the process, which
    takes it as usual (Python runs its handler in the main thread), or, if every
    thread holds it, waits until the block ends. Nothing is lost. The pool's own
    threads, started here, keep holding it too, so a worker the pool restarts
    after a crash starts the same way.

    An earlier version ignored SIGINT process-wide while the workers started: a
    Ctrl-C in that window was lost, and `alliance-explore` went on serving.

    Yields:
        Nothing.
    """
    from multiprocessing import resource_tracker

    # The first spawn of a process starts multiprocessing's resource tracker, and
    # unblocks SIGINT in the calling thread once it has: start it first.
    resource_tracker.ensure_running()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def spawn_pool(
    processes: int, initializer: Callable[..., None] = init_worker, initargs: tuple = ()
) -> multiprocessing.pool.Pool:
    """A pool of spawned workers that ignore Ctrl-C from their first instruction on.

    A spawned worker spends its first seconds importing, before its initializer
    (`init_worker`) can ignore SIGINT: a Ctrl-C sent to the terminal's process
    group printed a worker's `KeyboardInterrupt` traceback. The workers are
    started within `ctrl_c_held`: they start with SIGINT held back. The main
    process takes Ctrl-C as usual, and ends the workers.

    Args:
        processes: Worker processes.
        initializer: Run in each worker first (it must ignore SIGINT: `init_worker` does).
        initargs: Its arguments.

    Returns:
        The pool.
    """
    import multiprocessing

    pool = None
    try:
        with ctrl_c_held():
            pool = multiprocessing.get_context("spawn").Pool(processes, initializer, initargs)
    except BaseException:  # a Ctrl-C held back while they started arrives as the block ends
        if pool is not None:
            pool.terminate()
        raise
    return pool


def calibration_worker_setup() -> None:
    """Set up a calibration pool worker (`calibration.evaluation.Evaluator`) as a sweep's.

    Its tasks simulate and compute moments: those modules are imported first.
    """
    init_simulation_worker("calibration.moments", "simulation.model")
