"""Hydra's side of the project's sweeps: a sweeper and a launcher over `experiments.sweep`.

`alliance-run -m ...` stays the interface: named experiments, overrides, sweep
grammar (`seed=range(0,200)`, `fund/strategy=a,b`). The sweeper expands the
sweep as Hydra's basic sweeper does, but does not compose every job to check it
(the launcher validates all jobs in bulk, composing each distinct arm once), and
passes every job to the launcher in one batch. The launcher plans the sweep
(`experiments.sweep.plan`), writes `multirun.yaml` once the plan is valid, and
runs the jobs (`experiments.sweep.execute`).

Their configs (`hydra/sweeper=alliance`, `hydra/launcher=alliance`) are in
`hydra_plugins.alliance_sweeps.config`, which imports nothing of the project:
composing `alliance-run`'s config stores them. The two classes are registered
with `Plugins.instance().register` (`register`) by `alliance-run`, the one
command that runs sweeps, so that they work from an editable install too
(Hydra's scan of the `hydra_plugins` namespace misses editable paths). Nothing
of `experiments/` but the command-line edge imports this module: it hands over
to `experiments.sweep`.
"""

# No `from __future__ import annotations`: Hydra's plugin scan executes this module
# outside sys.modules, where dataclasses cannot resolve string annotations.
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.alliance_sweeps.config import store


class AllianceSweeper(Sweeper):
    """Hydra's basic sweep expansion, without its per-job composition, in one batch."""

    def __init__(self, max_batch_size: int | None = None, params: dict | None = None) -> None:
        self.params = dict(params or {})
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher: Launcher | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        """Keep the config and instantiate the configured launcher."""
        from hydra.core.plugins import Plugins

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        """Expand the sweep (the experiment's params, then the command line's) and launch it.

        Args:
            arguments: The command line's overrides.

        Returns:
            The launcher's job returns.
        """
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

        params = [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        batches = BasicSweeper.split_arguments(parser.parse_overrides(params), None)
        jobs = [job for batch in batches for job in batch]
        returns = self.launcher.launch(jobs, initial_job_idx=0)
        if not isinstance(self.launcher, AllianceLauncher):  # which tallies its own
            report_failures(returns)
        return returns


def report_failures(returns: Sequence[JobReturn]) -> int:
    """Make the command exit 1 if a job failed, whichever launcher ran it; say how many.

    The project's launcher tallies its own jobs. Hydra's launchers (joblib,
    submitit, Ray, basic) hand back each job's return: a job that raised is
    FAILED, and one whose run failed (`experiments.cli.run.run_sweep_job`: the sweep
    goes on, the job's folder holds `error.txt`) returned "failed". Without this,
    the command exited 0.

    Args:
        returns: The launcher's job returns.

    Returns:
        The number of failed jobs.
    """
    from experiments.process.interrupts import set_exit_status
    from experiments.sweep.jobs import FAILED

    failed = [r for r in returns if r.status == JobStatus.FAILED or r._return_value == FAILED]
    if failed:
        set_exit_status(1)
        first = failed[0]
        if first.status == JobStatus.FAILED:
            lines = str(first._return_value).strip().splitlines() or [""]
            reason = f": {type(first._return_value).__name__}: {lines[0]}"
        else:
            reason = "; its log line above says why"
        print(
            f"alliance-run: {len(failed)} of {len(returns)} jobs failed (the first: "
            f"{' '.join(first.overrides)}{reason}); run the same command again to re-run them",
            file=sys.stderr,
        )
    return len(failed)


@contextmanager
def reporting_basic_sweeps() -> Iterator[None]:
    """Within the block, a sweep through Hydra's basic sweeper exits 1 if a job failed.

    `hydra/sweeper=basic` drops its launcher's job returns: a job that failed
    without raising (`experiments.cli.run.run_sweep_job`) left the command's exit
    status 0. Here its returns go through `report_failures`, as
    `AllianceSweeper`'s do; the project's launcher tallies its own jobs.

    Yields:
        Nothing; Hydra's basic sweeper is as it was when the block exits.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    sweep = BasicSweeper.sweep

    def sweep_and_report(self: BasicSweeper, arguments: list[str]) -> Any:
        batches = sweep(self, arguments)
        if not isinstance(self.launcher, AllianceLauncher):
            report_failures([job for batch in batches for job in batch])
        return batches

    BasicSweeper.sweep = sweep_and_report
    try:
        yield
    finally:
        BasicSweeper.sweep = sweep


class AllianceLauncher(Launcher):
    """Plans a sweep, then runs it with the project's worker (see the module docstring)."""

    def __init__(
        self,
        backend: str = "local",
        n_jobs: int = -1,
        runs_per_task: int = 0,
        submitit: dict | None = None,
        ray: dict | None = None,
    ) -> None:
        self.backend = backend
        self.n_jobs = n_jobs
        self.runs_per_task = runs_per_task
        self.submitit = dict(submitit or {})
        self.ray = dict(ray or {})
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        """Keep the sweep's primary config and Hydra's config loader."""
        self.config = config
        self.hydra_context = hydra_context

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Plan, then run every job; exit 2 on an invalid job, 130 on Ctrl-C.

        On this machine's cores, the largest worlds its busy workers may hold at
        once must fit in the memory available (`limits.check_workers_fit`), or
        the sweep is refused, exit 2, before any job runs.

        Args:
            job_overrides: Each job's overrides.
            initial_job_idx: Index of the first job (0: the sweeper sends one batch).

        Returns:
            One return per job, COMPLETED, its value DONE or FAILED.
        """
        from experiments.config.limits import check_workers_fit
        from experiments.sweep.execute import (
            BACKENDS,
            Backend,
            SweepInterrupted,
            busy_workers,
            execute,
            make_tasks,
            print_plan,
            start_workers,
            tally_lines,
        )
        from experiments.sweep.jobs import DONE, FAILED, absolute
        from experiments.sweep.plan import plan_sweep
        from simulation.config import ConfigError

        if self.backend not in BACKENDS:
            msg = (
                f"alliance-run: invalid config: hydra.launcher.backend = {self.backend!r}; "
                f"allowed: {list(BACKENDS)}"
            )
            print(msg, file=sys.stderr)
            sys.exit(2)
        loader = self.hydra_context.config_loader

        def compose(overrides: list[str]) -> DictConfig:
            return loader.load_sweep_config(self.config, overrides)

        options = self.ray if self.backend == "ray" else self.submitit
        backend = Backend(self.backend, self.n_jobs, self.runs_per_task, options)
        # A new sweep's workers import the model while its jobs are planned; a
        # re-run plans first, as it may have nothing left to run.
        new = not absolute(Path(str(self.config.hydra.sweep.dir))).exists()
        pool = start_workers(backend, len(job_overrides)) if new else None
        try:
            try:
                plan = plan_sweep(job_overrides, self.config, compose)
                tasks = make_tasks(plan.to_run, backend.runs_per_task)
                # Each busy worker holds a world: together they must fit (issue 26).
                worlds = [spec.config.run_view() for spec in plan.to_run]
                check_workers_fit(worlds, busy_workers(tasks, backend))
            except ConfigError as error:
                print(f"alliance-run: {error}", file=sys.stderr)
                sys.exit(2)
            plan.sweep_dir.mkdir(parents=True, exist_ok=True)
            OmegaConf.save(self.config, plan.sweep_dir / "multirun.yaml")
            print_plan(plan)
            tally = execute(plan, backend, pool, tasks)
        except SweepInterrupted as interrupted:
            print(
                f"interrupted: {interrupted.finished + len(plan.skipped)} of {plan.total} jobs "
                "done; re-run the same command to resume",
                file=sys.stderr,
            )
            sys.exit(130)
        finally:
            if pool is not None:  # an invalid job or Ctrl-C while planning: no worker is left
                pool.terminate()
                pool.join()
        for line in tally_lines(plan, tally):
            print(line)
        failed = {spec.index for spec, _ in tally.failed}
        # A failed job is COMPLETED with the value FAILED, as `experiments.cli.run` returns it
        # under other launchers: Hydra's basic sweeper raises a FAILED job's value.
        return [
            JobReturn(
                overrides=list(overrides),
                status=JobStatus.COMPLETED,
                _return_value=FAILED if index in failed else DONE,
                hydra_cfg=None,
                working_dir=str(Path.cwd()),
                task_name="alliance-run",
            )
            for index, overrides in enumerate(job_overrides, start=initial_job_idx)
        ]


def register() -> None:
    """Make `hydra/sweeper=alliance` and `hydra/launcher=alliance` available, and runnable."""
    from hydra.core.plugins import Plugins

    store()
    plugins = Plugins.instance()
    plugins.register(AllianceSweeper)
    plugins.register(AllianceLauncher)
