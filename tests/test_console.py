"""Tests for experiments.console: the console scripts' quick start."""

import tomllib
from pathlib import Path

import experiments.console as console
from simulation import __version__

from .conftest import python_output

ROOT = Path(__file__).resolve().parents[1]


def test_every_console_script_goes_through_the_quick_start():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for script, target in scripts.items():
        module, name = target.split(":")
        assert module == "experiments.console", script
        assert name == script.replace("-", "_") and callable(getattr(console, name))


def test_version_answers_without_importing_the_model():
    script = (
        "import sys; sys.argv = ['alliance-run', '--version']\n"
        "from experiments.console import alliance_run\n"
        "alliance_run()\n"
        "print(sorted({'mesa', 'xarray', 'hydra'} & set(sys.modules)))\n"
    )
    expected = [f"alliance-run (alliance-premium) {__version__}", "[]"]
    assert python_output(script).splitlines() == expected
