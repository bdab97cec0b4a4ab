"""Tests for experiments.sweep.execute: the local pool, started early or not."""

import multiprocessing

from experiments.sweep.execute import Backend, execute, start_workers
from experiments.sweep.plan import Plan

from .test_sweep_worker import spec


def test_workers_start_early_only_for_a_local_pool_of_several():
    assert start_workers(Backend("local", n_jobs=1)) is None
    assert start_workers(Backend("slurm", n_jobs=4)) is None
    pool = start_workers(Backend("local", n_jobs=2))
    try:
        assert len(multiprocessing.active_children()) == 2
    finally:
        pool.terminate()
        pool.join()


def test_a_pool_started_before_planning_runs_the_sweep_and_is_stopped(tmp_path):
    backend = Backend("local", n_jobs=2, runs_per_task=1)
    pool = start_workers(backend)
    plan = Plan(
        tmp_path, to_run=[spec(tmp_path, i, seed, "uniform") for i, seed in enumerate((1, 2, 3))]
    )
    tally = execute(plan, backend, pool)
    assert tally.done == 3 and not tally.failed
    assert len(list(tmp_path.glob("job*/dataset.nc"))) == 3
    assert not multiprocessing.active_children()


def test_a_pool_started_for_a_complete_sweep_is_stopped(tmp_path):
    backend = Backend("local", n_jobs=2)
    tally = execute(Plan(tmp_path), backend, start_workers(backend))
    assert tally.done == 0 and not multiprocessing.active_children()
