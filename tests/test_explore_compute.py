"""The explorer's engine: alliance-run's numbers, caches, supersession, cancel, download."""

import io
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments import load_config
from experiments.explore.choice import Choice
from experiments.explore.compute import Cancelled, Explorer, download_key
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


def test_the_download_is_the_shown_dataset(explorer, two_seeds):
    data = explorer.download(download_key(TWO))
    with xr.open_dataset(io.BytesIO(data), engine="h5netcdf") as downloaded:
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
    start = time.perf_counter()
    thread.start()
    assert started.wait(timeout=20), "no progress reported"
    assert 0 < max(fractions) < 0.5 and fractions == sorted(fractions)
    explorer.cancel()
    thread.join(timeout=30)
    assert outcome == {"result": "cancelled"}
    assert time.perf_counter() - start < 20  # a national run takes about 25 s
    small = explorer.compute(Choice(n_seeds=1, strategy="none"))
    assert float(small.fund_invested_pv.sel(seed=0, world="treated")) == 0.0


def test_a_newer_request_supersedes_an_older_one(explorer):
    outcome = {}

    def older() -> None:
        try:
            explorer.compute(Choice(strategy="small_territories", n_seeds=6))
            outcome["older"] = "finished"
        except Cancelled:
            outcome["older"] = "superseded"

    thread = threading.Thread(target=older)
    thread.start()
    time.sleep(0.05)
    newer = explorer.compute(Choice(strategy="maturity_matched", n_seeds=1))
    thread.join(timeout=30)
    assert outcome == {"older": "superseded"}
    assert newer.attrs["strategy"] == "maturity_matched"


def test_the_documented_python_example_runs(capsys):
    page = (Path(__file__).parents[1] / "docs" / "explorer.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    exec(compile(block, "docs/explorer.md", "exec"), {})  # our own documentation
    assert "causal" in capsys.readouterr().out
