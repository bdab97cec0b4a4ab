"""Tests for experiments.config.schema: the typed schemas stored for Hydra."""

from .conftest import python_output


def test_a_command_stores_only_its_own_schema_and_only_once():
    script = (
        "from hydra.core.config_store import ConfigStore\n"
        "from experiments.config.schema import register\n"
        "store = ConfigStore.instance()\n"
        "register('config')\n"
        "stored = sorted(name for name in store.repo if name.endswith('_schema.yaml'))\n"
        "calls = []\n"
        "store.store = lambda **kwargs: calls.append(kwargs)\n"
        "register('config')\n"
        "register('publish')\n"
        "print(stored, [call['name'] for call in calls])\n"
    )
    assert python_output(script).strip() == "['run_schema.yaml'] ['publish_schema']"
