"""The console scripts: each imports its command with the garbage collector paused.

`experiments.process.startup.imported_quickly` says why: a run starts 0.3 s sooner. Each
runs `experiments.process.interrupts.guarded`: Ctrl-C, a full disk or a read-only folder
end it in one line. The Hydra tools' `--help` and `--version` are answered before
their command is imported (`experiments.process.commandline`): in 0.1 s instead of 0.5 s. Output
piped to a reader that stops early (`| head`) ends the command quietly.

`alliance-run` (its workers too) and `alliance-collect` start OpenBLAS with one
thread (`one_blas_thread`): neither multiplies matrices, and starting a thread per
core when numpy is imported costs 0.06 s of each process's start on 2 cores.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from experiments.process.commandline import HYDRA_TOOLS, answer_help_or_version, refuse
from experiments.process.interrupts import guarded
from experiments.process.startup import imported_quickly

__all__ = [
    "alliance_calibrate",
    "alliance_collect",
    "alliance_explore",
    "alliance_publish",
    "alliance_report",
    "alliance_run",
    "alliance_verify",
]
BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader left


def _script(
    name: str,
    module: str,
    function: str,
    deep: bool = False,
    prepare: Callable[[list[str]], None] | None = None,
) -> Callable[[], object]:
    """The console script `name`: `module.function`, imported quickly.

    `deep`: it reads a sweep folder, whose job folders a killed run may have left
    temporaries in (removed at start, `experiments.process.interrupts.guarded`).
    `prepare`: called with the command line before the command is imported.
    """

    def script() -> object:
        try:
            if name in HYDRA_TOOLS:
                answer_help_or_version(name, sys.argv[1:])
            with guarded(name, sys.argv[1:], deep):
                if prepare is not None:
                    prepare(sys.argv[1:])
                _check_environment(name)
                return imported_quickly(module, function)()
        except BrokenPipeError:  # `alliance-run --help-config | head`: the reader is gone
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
            sys.exit(BROKEN_PIPE)

    script.__name__ = script.__qualname__ = name.replace("-", "_")
    script.__doc__ = f"`{name}`: `{module}.{function}`."
    return script


def _check_environment(name: str) -> None:
    """Refuse, in one line and before any work, an environment variable the model reads.

    `ALLIANCE_KERNEL` (`simulation.kernel.choice`) is read when a world is made,
    which in a run comes after the output folder: checked here, a bad value
    leaves nothing behind.
    """
    from simulation.kernel import choice

    try:
        choice()
    except ValueError as error:
        refuse(name, str(error))


def one_blas_thread(arguments: list[str]) -> None:
    """OpenBLAS with one thread in this process and those it starts, unless the user set it.

    For commands that never call BLAS (no matrix product, no linear algebra: the
    model, its dataset, the merge), so that their results are the same bits: numpy
    then starts no thread per core when it is imported (0.06 s on 2 cores).

    Args:
        arguments: The command line (unused: the same for any).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _start_run_helper(arguments: list[str]) -> None:
    """One BLAS thread; for one run, fork the helper that imports the model while Hydra composes.

    `experiments.process.forked` says why. Only for a plain run: a command line
    with an option (`-m`, `--cfg`, `--help-config`, ...) or a `hydra.mode`
    override runs as before, in this process alone.
    """
    one_blas_thread(arguments)
    if any(a.startswith("-") or a.lstrip("+~").startswith("hydra.mode") for a in arguments):
        return
    from experiments.process import forked

    forked.start(*RUN_MODULES)


# What one run imports once composed (`experiments.cli.single.run_and_write`), named
# here so that the helper starts before anything heavy is imported.
RUN_MODULES = (
    "experiments.cli.single",
    "simulation.model",
    "simulation.run",
    "xarray",
    "xarray.backends.netCDF4_",
    "netCDF4",
)
alliance_run = _script("alliance-run", "experiments.cli.run", "entry", prepare=_start_run_helper)
alliance_calibrate = _script("alliance-calibrate", "experiments.calibrating.calibrate", "main")
alliance_collect = _script(
    "alliance-collect", "experiments.sweep.collect", "main", deep=True, prepare=one_blas_thread
)
alliance_report = _script("alliance-report", "experiments.reports.report", "main")
alliance_publish = _script("alliance-publish", "experiments.publish.publish", "main")
alliance_verify = _script("alliance-verify", "experiments.publish.verify", "main")
alliance_explore = _script("alliance-explore", "experiments.explore.serve", "entry")
