"""Tests for experiments.cli.console: the console scripts' quick start, `--version` and `--help`."""

import subprocess
import tomllib
from pathlib import Path

import pytest

import experiments.cli.console as console
from simulation import __version__

from .conftest import BIN, cli

ROOT = Path(__file__).resolve().parents[1]


def test_every_console_script_goes_through_the_quick_start():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for script, target in scripts.items():
        module, name = target.split(":")
        assert module == "experiments.cli.console", script
        assert name == script.replace("-", "_") and callable(getattr(console, name))


def test_version_is_the_packages(tmp_path):
    done = cli("alliance-run", "--version", cwd=tmp_path)
    assert done.stdout.strip() == f"alliance-run (alliance-premium) {__version__}"


MINE = (
    "alliance-run",
    "alliance-calibrate",
    "alliance-collect",
    "alliance-verify",
    "alliance-publish",
    "alliance-report",
    "alliance-explore",
)


@pytest.mark.parametrize("tool", MINE)
def test_every_tool_says_its_version(tmp_path, tool):
    done = cli(tool, "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{tool} (alliance-premium) {__version__}"


@pytest.mark.parametrize("tool", MINE)
def test_every_tool_has_a_short_help_with_examples_and_docs(tmp_path, tool):
    done = cli(tool, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith(f"usage: {tool}")
    assert len(text.splitlines()) <= 40, len(text.splitlines())
    assert "powered by Hydra" not in text and "== Config ==" not in text
    assert f"examples:\n  {tool}" in text
    assert "docs, in " in text and "README.md" in text
    assert not list(tmp_path.iterdir())  # nothing written


def test_output_piped_to_a_reader_that_stops_early_ends_quietly(tmp_path):
    with subprocess.Popen(
        [str(BIN / "alliance-run"), "--help-config"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        process.stdout.close()  # as `| head` does, before the command writes (it composes first)
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_one_blas_thread_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    console.one_blas_thread([])
    assert console.os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    console.one_blas_thread([])
    assert console.os.environ["OPENBLAS_NUM_THREADS"] == "4"


def test_the_model_calls_no_blas():
    # One BLAS thread for alliance-run keeps its results the same bits only if the
    # model, its dataset and the merge multiply no matrices (one_blas_thread).
    import re

    calls = re.compile(r"np\.(dot|matmul|inner|outer|einsum|tensordot|linalg)|\.dot\(| @ ")
    folders = [ROOT / "simulation", ROOT / "experiments" / "sweep"]
    single = ["cli/single.py", "reports/summary.py", "appraisal/flows.py"]
    files = [p for f in folders for p in f.glob("*.py")]
    files += [ROOT / "experiments" / name for name in single]
    found = [f"{p.name}: {m.group()}" for p in files for m in calls.finditer(p.read_text())]
    assert found == []
