"""Run a planned sweep on this machine's cores, a SLURM cluster or a Ray cluster.

The jobs to run are packed into tasks: each task holds whole groups of jobs that
share a counterfactual world, up to `runs_per_task` jobs. A task is one unit of
work for the backend: a process-pool call on this machine, a SLURM array task
through submitit, a Ray task. One task per 0.12-s run would pay mostly the
scheduler's overhead on a cluster (seconds per task); a task of 200 runs pays it
once per 25 s of work.

While tasks run, one progress line on stderr shows jobs done and failed of the
total, runs per second and the time left; a closing tally follows. Ctrl-C stops
every worker and prints how to resume.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import Pool

from experiments.process.interrupts import set_exit_status
from experiments.process.progress import progress_bar
from experiments.process.startup import init_simulation_worker, init_worker, spawn_pool
from experiments.sweep.jobs import DONE, ERROR_NAME, JobSpec
from experiments.sweep.plan import Plan
from experiments.sweep.worker import Outcome, group_by_counterfactual, run_task

BACKENDS = ("local", "submitit_local", "slurm", "ray")
# What a task imports: a local worker imports it once, quickly (experiments.process.startup).
MESA_LOGGER = "MESA"  # the parent of Mesa's loggers (configs/config.yaml's job_logging)
WORKER_MODULES = (
    "experiments.sweep.worker",
    "simulation.model",
    "simulation.run",
    "xarray",
    "netCDF4",
)


@dataclass
class Backend:
    """Where and how the tasks run (the `hydra/launcher=...` settings).

    Attributes:
        name: One of `BACKENDS`.
        n_jobs: Local processes; -1 for one per core.
        runs_per_task: Jobs per task at most; 0 packs one counterfactual group per task.
        options: Backend settings: submitit's (`timeout_min`, `mem_gb`, `cpus_per_task`,
            `slurm_partition`, `slurm_array_parallelism`, ...) or Ray's (`address`).
    """

    name: str = "local"
    n_jobs: int = -1
    runs_per_task: int = 0
    options: dict = field(default_factory=dict)


@dataclass
class Tally:
    """The outcome of a sweep."""

    done: int = 0
    failed: list[tuple[JobSpec, str]] = field(default_factory=list)
    seconds: float = 0.0


class SweepInterrupted(Exception):
    """Ctrl-C during a sweep; carries the jobs finished so far."""

    def __init__(self, finished: int) -> None:
        super().__init__(finished)
        self.finished = finished


def make_tasks(specs: list[JobSpec], runs_per_task: int) -> list[list[JobSpec]]:
    """Pack jobs into tasks, keeping the groups that share a counterfactual together.

    Args:
        specs: The jobs to run.
        runs_per_task: Most jobs in a task; 0 for one group per task. A group
            larger than this is split (its counterfactual is then simulated once
            per part).

    Returns:
        The tasks.
    """
    tasks: list[list[JobSpec]] = []
    current: list[JobSpec] = []
    for group in group_by_counterfactual(specs):
        if runs_per_task <= 0:
            tasks.append(group)
            continue
        for start in range(0, len(group), runs_per_task):
            part = group[start : start + runs_per_task]
            if current and len(current) + len(part) > runs_per_task:
                tasks.append(current)
                current = []
            current += part
    if current:
        tasks.append(current)
    return tasks


def _processes(n_jobs: int) -> int:
    return (os.cpu_count() or 1) if n_jobs < 1 else n_jobs


# Runs a worker has ahead of it from which it runs them on the compiled kernels
# (`simulation.kernel`): loading them costs a worker about 0.6 s, which a default
# run's 0.05 s saved pays back from about a dozen runs on (docs/performance.md, "Sweeps").
COMPILED_FROM_RUNS = 12


def worker_setup(processes: int, runs: int) -> Callable[..., None]:
    """The initializer of a pool of `processes` workers for `runs` runs.

    `init_simulation_worker` (the compiled kernels) when each worker has
    `COMPILED_FROM_RUNS` runs or more ahead of it, `init_worker` (numpy's) otherwise.
    """
    return init_simulation_worker if runs >= COMPILED_FROM_RUNS * processes else init_worker


def _pool(processes: int, runs: int) -> Pool:
    """A local pool of `processes` workers for `runs` runs."""
    return spawn_pool(processes, worker_setup(processes, runs), WORKER_MODULES)


def start_workers(backend: Backend, jobs: int) -> Pool | None:
    """Start the local pool now, so that its workers import the model while jobs are planned.

    Spawning a worker and importing the model takes 0.6 s; planning a sweep
    (composing its arms, validating and hashing every job) about as long. Started
    first, the two overlap: a new 120-run sweep takes 9.2 s instead of 9.5 s on 2
    cores. The launcher does so for a new sweep only: a re-run may have nothing
    to run, and its workers' imports would slow its planning (2.2 s instead of
    1.7 s for a complete 120-run sweep).

    Args:
        backend: Where the sweep runs.
        jobs: Jobs in the sweep: no more workers start than there are jobs.

    Returns:
        The pool, for `execute`; None for one process or a cluster backend.
    """
    processes = min(jobs, _processes(backend.n_jobs))
    if backend.name != "local" or processes <= 1:
        return None
    return _pool(processes, jobs)


def _in_this_process(tasks: list[list[JobSpec]]) -> Iterator[list[Outcome]]:
    """Run the tasks here, with Mesa's step-by-step log as quiet as in a worker.

    Hydra configures this process's logging at INFO for the sweep, and its
    `job_logging` (Mesa at WARNING) only for jobs it runs itself: without this,
    a one-process sweep printed a line per simulated step.
    """
    mesa = logging.getLogger(MESA_LOGGER)
    level = mesa.level
    mesa.setLevel(max(level, logging.WARNING))
    try:
        for task in tasks:
            yield run_task(task)
    finally:
        mesa.setLevel(level)


def _local(tasks: list[list[JobSpec]], n_jobs: int, pool: Pool | None) -> Iterator[list[Outcome]]:
    try:
        if pool is None and min(len(tasks), _processes(n_jobs)) > 1:
            pool = _pool(min(len(tasks), _processes(n_jobs)), sum(len(task) for task in tasks))
        if pool is None:  # no pool to start for one process
            yield from _in_this_process(tasks)
            return
        yield from pool.imap_unordered(run_task, tasks, chunksize=1)
        pool.close()
    finally:
        if pool is not None:
            pool.terminate()  # on Ctrl-C or an error: no worker is left running
            pool.join()


def _submitit(tasks: list[list[JobSpec]], backend: Backend, folder: str) -> Iterator[list[Outcome]]:
    import submitit

    cluster = "local" if backend.name == "submitit_local" else "slurm"
    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    executor.update_parameters(**backend.options)
    jobs = executor.map_array(run_task, tasks)
    try:
        for job in submitit.helpers.as_completed(jobs):
            yield job.result()
    finally:
        for job in jobs:
            if not job.done():
                job.cancel(check=False)


def _ray(tasks: list[list[JobSpec]], backend: Backend) -> Iterator[list[Outcome]]:
    import ray

    options = dict(backend.options)
    ray.init(
        address=options.pop("address", None),
        include_dashboard=False,
        ignore_reinit_error=True,
        log_to_driver=False,
    )
    remote = ray.remote(num_cpus=options.pop("num_cpus", 1))(run_task)
    pending = [remote.remote(task) for task in tasks]
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            yield ray.get(ready[0])
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        ray.shutdown()


def busy_workers(tasks: list[list[JobSpec]], backend: Backend) -> int:
    """How many local workers run tasks at once (0 on a cluster, whose nodes are not ours)."""
    return min(len(tasks), _processes(backend.n_jobs)) if backend.name == "local" else 0


def execute(
    plan: Plan,
    backend: Backend,
    pool: Pool | None = None,
    tasks: list[list[JobSpec]] | None = None,
) -> Tally:
    """Run the plan's jobs, showing progress; return the tally.

    Args:
        plan: The planned sweep.
        backend: Where to run it.
        pool: Local workers from `start_workers`, stopped once the sweep ends;
            None to start them here if the sweep needs them.
        tasks: The jobs to run packed into tasks (`make_tasks`), if already packed.

    A job that fails (a full disk or a read-only folder included) fails alone:
    the other jobs go on, and the command exits 1 once it ends
    (`interrupts.set_exit_status`).

    Returns:
        Jobs done and failed, and the wall time.

    Raises:
        SweepInterrupted: Ctrl-C; every worker has been stopped.
    """
    if tasks is None:
        tasks = make_tasks(plan.to_run, backend.runs_per_task)
    by_index = {spec.index: spec for spec in plan.to_run}
    if backend.name == "local":
        results = _local(tasks, backend.n_jobs, pool)
    elif backend.name == "ray":
        results = _ray(tasks, backend)
    else:
        results = _submitit(tasks, backend, str(plan.sweep_dir / ".submitit" / "%j"))
    tally = Tally()
    start = time.perf_counter()
    with progress_bar(len(plan.to_run), "sweep", "run", delay=0.5) as bar:
        try:
            for outcomes in results:
                for outcome in outcomes:
                    if outcome.status == DONE:
                        tally.done += 1
                    else:
                        tally.failed.append((by_index[outcome.index], outcome.message))
                bar.update(len(outcomes))
                if tally.failed:
                    bar.set_postfix_str(f"{len(tally.failed)} failed", refresh=False)
        except KeyboardInterrupt:
            results.close()
            raise SweepInterrupted(tally.done + len(tally.failed)) from None
    tally.seconds = time.perf_counter() - start
    if tally.failed:  # the command ends normally, its status says the sweep is incomplete
        set_exit_status(1)
    return tally


def tally_lines(plan: Plan, tally: Tally) -> list[str]:
    """The closing lines of a sweep: what ran, what failed, how fast."""
    ran = tally.done + len(tally.failed)
    rate = f", {ran / tally.seconds:.1f} runs/s" if ran and tally.seconds > 0 else ""
    lines = [
        f"sweep: {plan.total} jobs in {plan.sweep_dir}: {tally.done} done, "
        f"{len(tally.failed)} failed, {len(plan.skipped)} already complete"
        + (f", {len(plan.stale)} re-run (configuration changed)" if plan.stale else "")
        + (f", {len(plan.damaged)} re-run (dataset damaged)" if plan.damaged else "")
        + f"; {tally.seconds:.1f} s{rate}"
    ]
    if tally.failed:
        lines.append(failure_line(tally.failed))
    return lines


def failure_line(failed: list[tuple[JobSpec, str]], shown: int = 3) -> str:
    """One line for a sweep's failed jobs: how many, and why, the commonest reasons first.

    Args:
        failed: Each failed job with its reason (`worker.failure_reason`).
        shown: Most reasons named; the others are counted.

    Returns:
        E.g. `failed: 3 jobs: no space left on the device (2, e.g. .../seed=4);
        RuntimeError: boom (1, e.g. .../seed=7); re-run the same command to run them again`.
    """
    by_reason: dict[str, list[JobSpec]] = {}
    for spec, reason in failed:
        by_reason.setdefault(" ".join(reason.split()) or "unknown error", []).append(spec)
    ranked = sorted(by_reason.items(), key=lambda item: -len(item[1]))
    parts = [f"{reason} ({len(specs)}, e.g. {specs[0].folder})" for reason, specs in ranked]
    if len(parts) > shown:
        parts[shown:] = [f"{len(parts) - shown} other reason(s)"]
    jobs = "1 job" if len(failed) == 1 else f"{len(failed)} jobs"
    return (
        f"failed: {jobs}: {'; '.join(parts)}; tracebacks in their {ERROR_NAME} where the disk "
        "allowed; re-run the same command to run them again"
    )


def print_plan(plan: Plan) -> None:
    """Say, before running, what the sweep will do (on stderr)."""
    print(
        f"sweep: {plan.total} jobs, {plan.arms} configuration(s) composed; "
        f"{len(plan.to_run)} to run, {len(plan.skipped)} already complete",
        file=sys.stderr,
    )
    if plan.stale:
        print(
            f"sweep: re-running {len(plan.stale)} job(s) whose configuration changed since "
            f"they ran (e.g. {plan.stale[0].folder})",
            file=sys.stderr,
        )
    if plan.damaged:
        spec, reason = plan.damaged[0]
        print(
            f"sweep: re-running {len(plan.damaged)} job(s) whose dataset does not match its "
            f"record (e.g. {spec.folder}: {reason})",
            file=sys.stderr,
        )
