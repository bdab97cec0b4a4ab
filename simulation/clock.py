"""The model clock: Mesa's time read as a step index, and runs by Mesa's time API.

Mesa 3.5 schedules a model's `step` once per unit of `model.time` and advances
time with `run_for`; Mesa 4 removes `model.steps` and the idiom of calling
`step()` in a loop. The models here read the step they are in from `model.time`
and run with `run_for`, so that moving to Mesa 4 is a change of pin, not of code.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa


def step_index(model: mesa.Model) -> int:
    """Zero-based index of the step being executed (step `k` runs at time `k + 1`).

    Args:
        model: A model inside its `step`.

    Returns:
        The step index; time advances by whole units, so the conversion is exact.
    """
    return round(model.time) - 1


def run_steps(model: mesa.Model, n_steps: int, on_step: Callable[[], None] | None = None) -> None:
    """Advance a model by `n_steps` units of time, one step each.

    Args:
        model: The model.
        n_steps: Steps to run.
        on_step: Called after each step (a progress display); without it the
            whole horizon is one `run_for`.
    """
    if on_step is None:
        model.run_for(n_steps)
        return
    for _ in range(n_steps):
        model.run_for(1)
        on_step()
