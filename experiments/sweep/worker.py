"""Run a batch of jobs in one process, simulating each counterfactual world once.

Every run pairs a treated world with its counterfactual: the same world, seed and
parameters without the fund. Jobs that differ only in their fund (the arms of a
strategy comparison or a budget sweep, for one seed) share that counterfactual,
so a batch simulates it once and measures each treated world against it. A
6-strategy comparison then simulates 7 worlds per seed instead of 12.
`tests/test_sweep_worker.py` checks that the shared result is identical to a
fresh `simulation.run`.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from experiments.process.interrupts import DISK_FULL, NOT_WRITABLE
from experiments.storage.cleanup import remove_own
from experiments.sweep.jobs import DONE, FAILED, JobSpec, annotate, write_done, write_failed

if TYPE_CHECKING:
    from simulation.config import RunConfig


@dataclass(frozen=True)
class Outcome:
    """What happened to one job.

    Attributes:
        index: The job's position in the sweep.
        status: "done" or "failed".
        seconds: Time the job took (its share of a shared counterfactual included).
        message: The last line of the error, for a failed job.
        write_seconds: Of `seconds`, the time spent writing its files.
    """

    index: int
    status: str
    seconds: float
    message: str = ""
    write_seconds: float = 0.0


def counterfactual_key(config: RunConfig) -> str:
    """Runs with the same key share one counterfactual world (its configuration's JSON)."""
    from simulation.dataset import config_json
    from simulation.run import counterfactual_config

    return config_json(counterfactual_config(config))


def group_by_counterfactual(specs: list[JobSpec]) -> list[list[JobSpec]]:
    """The jobs in groups that share a counterfactual, in order of first appearance."""
    groups: dict[str, list[JobSpec]] = {}
    for spec in specs:
        groups.setdefault(counterfactual_key(spec.config.run_view()), []).append(spec)
    return list(groups.values())


def run_task(specs: list[JobSpec]) -> list[Outcome]:
    """Run a batch of jobs and write their files; a failure fails only its own jobs.

    Args:
        specs: The jobs, in any order; those that share a counterfactual share it.

    Returns:
        One outcome per job.
    """
    from simulation.model import AllianceModel
    from simulation.run import counterfactual_config, measure

    outcomes = []
    for group in group_by_counterfactual(specs):
        start = time.perf_counter()
        try:
            counterfactual = AllianceModel(counterfactual_config(group[0].config.run_config()))
            counterfactual.run().free_stepping_state()
        except Exception as error:
            text = traceback.format_exc()
            share = (time.perf_counter() - start) / len(group)
            outcomes += [_failed(spec, error, text, share) for spec in group]
            continue
        shared = (time.perf_counter() - start) / len(group)
        for spec in group:
            start = time.perf_counter()
            try:
                treated = AllianceModel(spec.config.run_config()).run().free_stepping_state()
                dataset = annotate(measure(treated, counterfactual), spec)
                seconds = shared + time.perf_counter() - start
                written = time.perf_counter()
                write_done(spec, dataset, seconds)
                writing = time.perf_counter() - written
                outcomes.append(Outcome(spec.index, DONE, seconds + writing, "", writing))
            except Exception as error:
                text = traceback.format_exc()
                seconds = shared + time.perf_counter() - start
                outcomes.append(_failed(spec, error, text, seconds))
    return outcomes


def _failed(spec: JobSpec, error: Exception, text: str, seconds: float) -> Outcome:
    """Record a failed job as well as the disk allows; its outcome in one line.

    What a failed write left in its folder (this process's temporaries) is
    removed first, freeing the space it took. On a full disk or a folder this
    worker cannot write, the failure's own files may not be written either: the
    job is then left without `job.json` (a re-run runs it again), and the other
    jobs go on.
    """
    remove_own([spec.folder])
    try:
        write_failed(spec, text, seconds)
    except OSError:
        remove_own([spec.folder])
    return Outcome(spec.index, FAILED, seconds, failure_reason(error, text))


def failure_reason(error: BaseException, text: str = "") -> str:
    """Why a job failed, in one line without its paths (so that a sweep can count reasons).

    Args:
        error: The exception the job raised.
        text: Its formatted traceback (the last line is used for other errors).

    Returns:
        "no space left on the device" or "cannot write: <strerror>" for a full
        disk or an unwritable folder; otherwise the traceback's last line.
    """
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        return "no space left on the device"
    if isinstance(error, OSError) and error.errno in NOT_WRITABLE:
        return f"cannot write: {error.strerror}"
    lines = (text or f"{type(error).__name__}: {error}").strip().splitlines()
    return lines[-1] if lines else "unknown error"
