"""A sweep is counted before it is expanded; a world too large for memory is refused."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.config.limits import (
    LARGE_SWEEP,
    check_sweep_size,
    check_world_fits,
    sweep_size,
    world_bytes,
)
from experiments.config.schema import CONFIG_DIR
from simulation.config import ConfigError, RunConfig, ScenarioConfig

from .conftest import SMALL_OVERRIDES

RUN = str(Path(sys.executable).parent / "alliance-run")
CONFIGS = Path(CONFIG_DIR)


@pytest.mark.parametrize(
    ("overrides", "jobs"),
    [
        ([], 1),
        (["seed=0,1,2"], 3),
        (["seed=range(0,100000000)"], 100_000_000),
        (["seed=range(0,10,3)", "fund/strategy=none,uniform"], 8),
        (["fund.budget_eur=range(0,1e6,2.5e5)"], 4),
        (["seed=shuffle(range(0,5))", "fund.placebo=true,false"], 10),
        (["+experiment=appraisal"], 6 * 100 * 2),
        (["+experiment=appraisal", "seed=range(0,40)"], 6 * 100 * 40),
        (["+experiment=strategy_comparison", "seed=range(0,167)"], 6 * 167),
    ],
)
def test_a_sweep_is_counted_without_expanding_it(overrides, jobs):
    started = time.monotonic()
    assert sweep_size(overrides, CONFIGS) == jobs
    assert time.monotonic() - started < 1


def test_a_large_sweep_asks_for_the_flag_and_a_huge_one_is_refused():
    check_sweep_size(LARGE_SWEEP, allowed=False)
    with pytest.raises(ConfigError, match="--allow-large-sweep"):
        check_sweep_size(LARGE_SWEEP + 1, allowed=False)
    check_sweep_size(100_000, allowed=True)
    with pytest.raises(ConfigError, match="at most 1,000,000 jobs"):
        check_sweep_size(100_000_000, allowed=True)


@pytest.mark.parametrize(
    ("sweep", "words"),
    [
        ("seed=range(0,100000000)", "100,000,000 jobs"),
        ("seed=range(0,100000)", "--allow-large-sweep"),
    ],
)
def test_the_command_line_refuses_before_expanding(tmp_path, sweep, words):
    started = time.monotonic()
    result = subprocess.run(
        [RUN, "-m", sweep, f"hydra.sweep.dir={tmp_path}/sweep"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_the_flag_is_ours_not_hydras(tmp_path):
    result = subprocess.run(
        [
            RUN,
            "-m",
            "seed=0",
            *SMALL_OVERRIDES,
            "--allow-large-sweep",
            f"hydra.sweep.dir={tmp_path}/sweep",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_a_world_too_large_for_memory_is_refused_with_the_estimate():
    largest = RunConfig(
        scenario=ScenarioConfig(
            n_territories=10_000, n_organisations=2_000_000, years=50, steps_per_year=12
        )
    )
    assert world_bytes(largest) > 30e9
    with pytest.raises(ConfigError, match=r"needs about 31\.4 GB of memory.*8\.0 GB available"):
        check_world_fits(largest, available=8e9)
    national = RunConfig(scenario=ScenarioConfig(n_territories=1254, n_organisations=1_254_000))
    assert 1.2e9 < world_bytes(national) < 1.6e9  # measured: 1.2 GB
    check_world_fits(RunConfig(), available=8e9)
