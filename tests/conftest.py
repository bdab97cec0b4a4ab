import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.config import RunConfig, ScenarioConfig


def small_config(seed: int = 0, **fund_changes) -> RunConfig:
    """A fast world: 12 territories, 1,500 organisations, 5 years."""
    config = RunConfig(
        seed=seed,
        scenario=ScenarioConfig(n_territories=12, n_organisations=1500, years=5),
    )
    config.accounting.rmst_horizon_years = 4.0
    config.fund.years = 2.0
    config.fund.ticket_eur = 5000.0
    if fund_changes:
        config.fund = dataclasses.replace(config.fund, **fund_changes)
    return config


@pytest.fixture
def small() -> RunConfig:
    return small_config()


# The same small world as command-line overrides, for the CLI and sweep tests.
SMALL_OVERRIDES = [
    "scenario.n_territories=10",
    "scenario.n_organisations=800",
    "scenario.years=4",
    "fund.years=2",
    "accounting.rmst_horizon_years=3",
]

# The console scripts of the environment running the tests.
BIN = Path(sys.executable).parent


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run one of the package's console scripts, capturing its output.

    `env` adds variables to the environment (e.g. `TQDM_DELAY=0` shows progress at once).
    """
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def python_output(script: str) -> str:
    """What a script prints when run by a fresh interpreter (it must succeed)."""
    command = [sys.executable, "-c", script]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


def small_sweep(sweep_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    """`alliance-run -m OVERRIDES` in the small world, into `sweep_dir`."""
    return cli(
        "alliance-run",
        "-m",
        *overrides,
        *SMALL_OVERRIDES,
        f"hydra.sweep.dir={sweep_dir}",
        cwd=sweep_dir.parent,
    )


def appraised_sweep(sweep_dir: Path, draws: int, *report_args: str) -> subprocess.CompletedProcess:
    """Two strategies over posterior draws in the small world, merged and reported.

    Returns:
        The sweep's own process (its output says what it planned); the report is in
        `sweep_dir / "collected_report"`.
    """
    result = small_sweep(
        sweep_dir,
        "calibrated=posterior",
        f"draw=range(0,{draws})",
        "fund/strategy=uniform,concentrated",
    )
    assert result.returncode == 0, result.stderr
    assert cli("alliance-collect", str(sweep_dir), cwd=sweep_dir.parent).returncode == 0
    report = cli("alliance-report", str(sweep_dir), *report_args, cwd=sweep_dir.parent)
    assert report.returncode == 0, report.stderr
    return result
