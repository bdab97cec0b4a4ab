"""The explorer's engine: alliance-run's numbers, caches, supersession, cancel, download."""

import multiprocessing
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments import load_config
from experiments.explore.choice import Choice
from experiments.explore.compute import (
    Cancelled,
    Explorer,
    WorkerLost,
    download_key,
    seed_configs,
)
from experiments.storage.files import NETCDF_ENGINE
from simulation import run

TWO = Choice(strategy="concentrated", n_seeds=2)


@pytest.fixture(scope="module")
def explorer():
    engine = Explorer(workers=2)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def two_seeds(explorer) -> xr.Dataset:
    return explorer.compute(TWO)


def test_every_seed_is_alliance_runs_dataset(two_seeds):
    assert list(two_seeds.seed.values) == [0, 1]
    for seed in (0, 1):
        fresh = run(load_config(TWO.run_overrides(seed)))
        shown = two_seeds.sel(seed=seed)
        for name, variable in fresh.data_vars.items():
            np.testing.assert_array_equal(shown[name].values, variable.values, err_msg=name)
        assert list(shown.size_class.values) == list(fresh.size_class.values)
    assert two_seeds.attrs["explorer_command"] == TWO.command()


def test_a_repeated_request_comes_from_the_cache(explorer, two_seeds):
    calls = []
    again = explorer.compute(TWO, progress=lambda fraction, text: calls.append(text))
    xr.testing.assert_identical(again, two_seeds)
    assert calls == []  # nothing ran, so no progress to report


def test_only_the_new_seed_runs_when_one_is_added(explorer, two_seeds):
    texts = []
    three = explorer.compute(TWO.with_changes(n_seeds=3), lambda f, text: texts.append(text))
    assert texts and texts[-1] == "1 of 1 seed(s) run, 2 from the cache"
    xr.testing.assert_identical(three.sel(seed=[0, 1]).premium_leverage, two_seeds.premium_leverage)


def test_the_download_is_the_shown_dataset(explorer, two_seeds, tmp_path):
    path = tmp_path / "download.nc"
    path.write_bytes(explorer.download(download_key(TWO)))
    with xr.open_dataset(path, engine=NETCDF_ENGINE) as downloaded:
        xr.testing.assert_equal(downloaded.premium_leverage, two_seeds.premium_leverage)
        assert downloaded.attrs["explorer_command"] == TWO.command()
    assert explorer.download("0123456789abcdef") is None


def test_a_national_run_shows_progress_and_can_be_cancelled(explorer):
    outcome, fractions = {}, []
    started = threading.Event()

    def progress(fraction: float, text: str) -> None:
        fractions.append(fraction)
        if fraction > 0:
            started.set()

    def national() -> None:
        try:
            explorer.compute(Choice(scenario="national", n_seeds=1), progress)
            outcome["result"] = "finished"
        except Cancelled:
            outcome["result"] = "cancelled"

    thread = threading.Thread(target=national)
    thread.start()
    assert started.wait(timeout=90), "no progress reported"  # generous: CI machines are shared
    assert 0 < max(fractions) < 0.5 and fractions == sorted(fractions)
    explorer.cancel()
    thread.join(timeout=30)
    # Cancelled, not finished: the cancel took effect within the run (its speed is
    # benchmarks/explore.py's to measure, not a test's).
    assert outcome == {"result": "cancelled"}
    small = explorer.compute(Choice(n_seeds=1, strategy="none"))
    assert float(small.fund_invested_pv.sel(seed=0, world="treated")) == 0.0


def in_thread(target, *args) -> tuple[threading.Thread, dict]:
    """Run `target(*args)` in a thread; its result or exception lands in the dict."""
    outcome = {}

    def wrapped() -> None:
        try:
            outcome["result"] = target(*args)
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread, outcome


def test_a_newer_request_supersedes_an_older_one_whose_seeds_still_reach_the_cache(explorer):
    # 24 seeds: about 1 s on two compiled workers, time for the newer request to come
    # once the older one runs (6 seeds finished before it, once in a CI).
    older = Choice(strategy="small_territories", n_seeds=24)
    thread, outcome = in_thread(explorer.compute, older)
    deadline = time.monotonic() + 30
    while not explorer._started:  # composed, and a worker has said which seed it runs
        assert time.monotonic() < deadline, "the older request never started"
        time.sleep(0.01)
    newer = explorer.compute(Choice(strategy="maturity_matched", n_seeds=1))
    thread.join(timeout=30)
    assert isinstance(outcome.get("error"), Cancelled)
    assert newer.attrs["strategy"] == "maturity_matched"
    # The superseded seeds were let finish (a small world) and went to the cache.
    deadline = time.monotonic() + 30
    configs = seed_configs(older)
    while not all(explorer.cached(c) is not None for c in configs):
        assert time.monotonic() < deadline, "the superseded seeds never reached the cache"
        time.sleep(0.1)


def test_sessions_do_not_supersede_each_other(explorer):
    first = Choice(strategy="structural_heavy", n_seeds=4)
    thread, outcome = in_thread(explorer.compute, first, None, "tab-a")
    other = explorer.compute(Choice(strategy="innovation_only", n_seeds=1), session="tab-b")
    thread.join(timeout=60)
    assert "error" not in outcome and outcome["result"].attrs["strategy"] == "structural_heavy"
    assert other.attrs["strategy"] == "innovation_only"


def test_a_drawing_stops_when_its_session_moves_on(explorer):
    from experiments.explore import summaries

    series = summaries.value_over_time(explorer.compute(TWO))
    drawings = [("value_figure", (series,))] * 60  # several seconds of drawing
    thread, outcome = in_thread(explorer.draw, drawings, "tab-draw")
    time.sleep(0.3)
    explorer.cancel("tab-draw")
    thread.join(timeout=30)
    assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
    assert explorer.draw(drawings[:2], "tab-draw")[0].startswith(b"\x89PNG")


def test_a_worker_that_dies_is_reported_not_waited_for():
    engine = Explorer(workers=1)
    try:
        thread, outcome = in_thread(engine.compute, Choice(scenario="national", n_seeds=1))
        deadline = time.monotonic() + 60
        while not engine._started:  # the worker has said which seed it runs
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for worker in multiprocessing.active_children():
            if worker.pid == next(iter(engine._started.values()))[0]:
                worker.kill()
        thread.join(timeout=30)
        assert isinstance(outcome.get("error"), WorkerLost)
        assert "out of memory?" in str(outcome["error"])
    finally:
        engine.close()


def test_the_documented_python_example_runs(capsys):
    page = (Path(__file__).parents[1] / "docs" / "explorer.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    exec(compile(block, "docs/explorer.md", "exec"), {})  # our own documentation
    assert "causal" in capsys.readouterr().out
