"""Tests for experiments.sweep.execute: the local pool, started early or not."""

import multiprocessing

from experiments.sweep.execute import Backend, execute, start_workers
from experiments.sweep.plan import Plan

from .conftest import SMALL_OVERRIDES, python_output
from .test_sweep_worker import spec


def stop(pool) -> None:
    pool.terminate()
    pool.join()


def test_workers_start_early_only_for_a_local_pool_of_several():
    assert start_workers(Backend("local", n_jobs=1), jobs=10) is None
    assert start_workers(Backend("slurm", n_jobs=4), jobs=10) is None
    assert start_workers(Backend("local", n_jobs=4), jobs=1) is None
    pool = start_workers(Backend("local", n_jobs=3), jobs=2)  # no more workers than jobs
    try:
        assert len(multiprocessing.active_children()) == 2
    finally:
        stop(pool)


def test_a_pool_started_before_planning_runs_the_sweep_and_is_stopped(tmp_path):
    backend = Backend("local", n_jobs=2, runs_per_task=1)
    pool = start_workers(backend, jobs=3)
    jobs = [spec(tmp_path, i, seed, "uniform") for i, seed in enumerate((1, 2, 3))]
    tally = execute(Plan(tmp_path, to_run=jobs), backend, pool)
    assert tally.done == 3 and not tally.failed
    assert len(list(tmp_path.glob("job*/dataset.nc"))) == 3
    assert not multiprocessing.active_children()


def test_a_pool_started_for_a_complete_sweep_is_stopped(tmp_path):
    backend = Backend("local", n_jobs=2)
    tally = execute(Plan(tmp_path), backend, start_workers(backend, jobs=4))
    assert tally.done == 0 and not multiprocessing.active_children()


def test_an_invalid_job_stops_the_workers_started_before_planning(tmp_path):
    overrides = [*SMALL_OVERRIDES, "fund.budget_eur=1e5,inf", "seed=0,1"]
    script = (
        "import multiprocessing, sys\n"
        "from experiments.cli.console import alliance_run\n"
        f"sys.argv = ['alliance-run', '-m', *{overrides!r}, 'hydra.sweep.dir={tmp_path}/new',\n"
        "            'hydra.launcher.n_jobs=2']\n"
        "try:\n"
        "    alliance_run()\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, len(multiprocessing.active_children()))\n"
    )
    assert python_output(script).split() == ["2", "0"]


def _imports(name: str) -> bool:
    import sys

    return name in sys.modules


def test_a_worker_whose_imports_fail_still_starts_and_the_task_reports_it():
    from experiments.process.startup import init_worker

    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=init_worker, initargs=("no_such_module",)) as pool:
        assert pool.apply_async(_imports, ("no_such_module",)).get(timeout=60) is False
