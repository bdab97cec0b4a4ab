"""Long work shows progress: the first install, a long run, a merge."""

import subprocess
from pathlib import Path

from experiments.process.progress import with_progress

from .conftest import SMALL_OVERRIDES, cli, small_sweep

NOW = {"TQDM_DELAY": "0"}  # show the progress line at once, not after a second


def test_the_first_make_run_says_what_it_installs_before_pip_starts(tmp_path):
    dry = subprocess.run(
        ["make", "-n", "run", f"VENV={tmp_path}/venv"],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    install = next(i for i, line in enumerate(dry) if "pip install" in line and "-e" in line)
    announced = [i for i, line in enumerate(dry) if "installing the project" in line]
    assert announced and announced[0] < install
    assert "minutes" in "\n".join(dry[:install])
    assert "--quiet" not in dry[install]  # pip's own progress, not silence


def test_a_run_shows_the_quarters_simulated_in_both_worlds(tmp_path):
    result = cli(
        "alliance-run", *SMALL_OVERRIDES, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path, env=NOW
    )
    assert result.returncode == 0, result.stderr
    assert "simulating (treated + no-fund world)" in result.stderr
    assert "/32 " in result.stderr  # 4 years x 4 quarters x 2 worlds


def test_collect_shows_the_runs_it_reads(tmp_path):
    sweep = tmp_path / "sweep"
    assert small_sweep(sweep, "seed=1,2").returncode == 0
    result = cli("alliance-collect", str(sweep), cwd=tmp_path, env=NOW)
    assert result.returncode == 0, result.stderr
    assert "merging" in result.stderr and "/2 " in result.stderr


def test_with_progress_yields_every_item_in_order():
    assert list(with_progress(range(5), 5, "counting", "item")) == [0, 1, 2, 3, 4]
