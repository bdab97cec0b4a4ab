"""The model clock: Mesa's time API, ready for Mesa 4."""

import ast
import dataclasses
import pathlib
import subprocess
import sys

import numpy as np

from simulation.clock import run_steps, step_index
from simulation.model import AllianceModel
from simulation.reference import ReferenceModel
from tests.conftest import small_config

SIMULATION = pathlib.Path(__file__).parents[1] / "simulation"


def test_each_step_sees_its_index_in_order():
    model = AllianceModel(small_config())
    seen = []
    model.streams.draws_below = _spy(model.streams.draws_below, seen)
    n_steps = model.config.scenario.n_steps
    run_steps(model, n_steps, on_step=lambda: seen.append("end"))
    assert seen == [x for t in range(n_steps) for x in (t, "end")]
    assert model.time == n_steps


def _spy(draws_below, seen):
    def wrapped(mechanism, step, *args):
        seen.append(step)
        return draws_below(mechanism, step, *args)

    return wrapped


def test_a_run_in_pieces_equals_a_run_in_one_go():
    config = small_config(seed=4)
    whole = AllianceModel(config).run()
    pieces = AllianceModel(config)
    run_steps(pieces, 7)
    run_steps(pieces, config.scenario.n_steps - 7, on_step=lambda: None)
    assert step_index(pieces) == config.scenario.n_steps - 1
    for field in dataclasses.fields(whole.recorder):
        np.testing.assert_array_equal(
            getattr(whole.recorder, field.name), getattr(pieces.recorder, field.name)
        )


def test_no_model_reads_mesa_steps():
    """`model.steps` is gone in Mesa 4: the models read `model.time` instead."""
    for path in SIMULATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "steps":
                raise AssertionError(f"{path.name}:{node.lineno} reads `.steps`")


def test_models_run_with_mesa_deprecations_as_errors():
    code = (
        "from simulation.run import run; from simulation.reference import ReferenceModel\n"
        "from tests.conftest import small_config\n"
        "run(small_config()); ReferenceModel(small_config()).run()\n"
    )
    flags = [f"-Werror::{kind}" for kind in ("DeprecationWarning", "PendingDeprecationWarning")]
    result = subprocess.run(
        [sys.executable, *flags, "-Werror::FutureWarning", "-c", code],
        capture_output=True,
        text=True,
        cwd=SIMULATION.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_reference_model_uses_the_same_clock():
    model = ReferenceModel(small_config())
    run_steps(model, 3)
    assert model.time == 3
