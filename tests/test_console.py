"""Tests for experiments.console: the console scripts' quick start."""

import tomllib
from pathlib import Path

import experiments.console as console
from simulation import __version__

from .conftest import cli

ROOT = Path(__file__).resolve().parents[1]


def test_every_console_script_goes_through_the_quick_start():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for script, target in scripts.items():
        module, name = target.split(":")
        assert module == "experiments.console", script
        assert name == script.replace("-", "_") and callable(getattr(console, name))



def test_version_is_the_packages(tmp_path):
    done = cli("alliance-run", "--version", cwd=tmp_path)
    assert done.stdout.strip() == f"alliance-run (alliance-premium) {__version__}"
