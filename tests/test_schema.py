"""Tests for experiments.schema: the typed schemas stored for Hydra."""

import subprocess
import sys


def test_a_command_stores_only_its_own_schema_and_only_once():
    script = (
        "from hydra.core.config_store import ConfigStore\n"
        "from experiments.schema import register\n"
        "store = ConfigStore.instance()\n"
        "register('config')\n"
        "stored = sorted(name for name in store.repo if name.endswith('_schema.yaml'))\n"
        "calls = []\n"
        "store.store = lambda **kwargs: calls.append(kwargs)\n"
        "register('config')\n"
        "register('publish')\n"
        "print(stored, [call['name'] for call in calls])\n"
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['run_schema.yaml'] ['publish_schema']"
