"""docs/model.md must document every parameter the code reads."""

import dataclasses
from pathlib import Path

import pytest

from simulation.config import RunConfig

DOC = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()


def leaf_keys(node, prefix=""):
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from leaf_keys(value, f"{key}.")
        elif key.startswith("scenario.profiles"):
            for field in dataclasses.fields(next(iter(value.values()))):
                yield f"scenario.profiles.<p>.{field.name}"
        else:
            yield key


@pytest.mark.parametrize("key", sorted(set(leaf_keys(RunConfig()))))
def test_parameter_is_documented(key):
    assert f"`{key}`" in DOC
