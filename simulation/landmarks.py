"""Matched comparisons at the landmark of backing: what a careful evaluator would do.

A naive evaluator compares backed projects with other projects from their birth.
Two biases follow. Backed projects had to survive to the proof of concept before
they could be backed (immortal time), and they were picked for their quality
(selection). The matched design removes both, with the data an evaluator has:

- the landmark is the step a project is backed; time and outcomes are counted
  from there, for the backed project and its controls alike;
- controls are alliance projects that were eligible at that same step (alive,
  not backed, old enough, in a targeted territory) and were not picked;
- each backed project gets up to `MATCHES` controls from territories of its size
  class, born within `COHORT_WINDOW_STEPS` of it, with quality `Q` within
  `QUALITY_CALIPER` of its own: the nearest in `|dQ| + TERRITORY_PENALTY x [other
  territory]`, so that a control from its own territory is preferred unless one
  from elsewhere is closer in quality by more than the penalty.

Controls are drawn with replacement and kept even if the fund backs them later
(the comparison is "backed now" against "not backed now", as in a sequential
target trial; this biases the matched premium towards 1, never away from it).
At the landmark each project's accumulated present values are recorded, so
outcomes after it are the final totals minus the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from simulation.projects import ProjectTable

MATCHES = 3
QUALITY_CALIPER = 0.05
TERRITORY_PENALTY = 0.01
COHORT_WINDOW_STEPS = 4
# The accumulated present values snapshotted at the landmark.
SNAPSHOT_COLUMNS: tuple[str, ...] = ("value_pv", "private_pv", "resources_pv")


@dataclass
class Landmarks:
    """Every backing event with its matched controls and the landmark snapshots.

    Attributes:
        backed: Row of each backed project, shape (b,).
        step: Landmark (backing) step of each, shape (b,).
        controls: Rows of its controls, -1 for empty slots, shape (b, MATCHES).
        same_territory: Whether the nearest control comes from the backed
            project's own territory, shape (b,).
        snapshot: Accumulated present values at the landmark, for the backed
            project (slot 0) and its controls (slots 1..), by column name, each
            of shape (b, 1 + MATCHES).
    """

    backed: list[np.ndarray] = field(default_factory=list)
    step: list[np.ndarray] = field(default_factory=list)
    controls: list[np.ndarray] = field(default_factory=list)
    same_territory: list[np.ndarray] = field(default_factory=list)
    snapshot: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {name: [] for name in SNAPSHOT_COLUMNS}
    )

    def record(
        self,
        projects: ProjectTable,
        size_class: np.ndarray,
        step: int,
        backed: np.ndarray,
        eligible: np.ndarray,
        kernels: ModuleType | None = None,
    ) -> None:
        """Match the projects backed at `step` and snapshot them and their controls.

        Call before the step's production, so that snapshots hold what was
        accumulated before the landmark.

        Args:
            projects: The project table.
            size_class: Size class of each territory.
            step: The landmark step.
            backed: Rows backed at this step.
            eligible: Rows eligible at this step, backed ones included.
            kernels: The compiled kernels (`kernel.select`), or None for numpy's:
                the same controls either way.
        """
        if backed.size == 0:
            return
        if kernels is not None:
            controls, same = kernels.match_controls(
                backed,
                eligible,
                projects.quality,
                projects.birth,
                projects.territory,
                size_class,
                MATCHES,
                QUALITY_CALIPER,
                TERRITORY_PENALTY,
                COHORT_WINDOW_STEPS,
            )
        else:
            pool = np.setdiff1d(eligible, backed, assume_unique=True)
            controls, same = match_controls(projects, size_class, backed, pool)
        rows = np.concatenate([backed[:, None], controls], axis=1)
        present = rows >= 0
        safe = np.where(present, rows, 0)
        self.backed.append(backed)
        self.step.append(np.full(backed.size, step, dtype=np.int64))
        self.controls.append(controls)
        self.same_territory.append(same)
        for name in SNAPSHOT_COLUMNS:
            self.snapshot[name].append(np.where(present, getattr(projects, name)[safe], 0.0))

    def arrays(self) -> dict[str, np.ndarray]:
        """All backing events as arrays (empty arrays when nothing was backed)."""
        if not self.backed:
            empty = np.empty(0, dtype=np.int64)
            result = {
                "backed": empty,
                "step": empty,
                "controls": np.empty((0, MATCHES), dtype=np.int64),
                "same_territory": np.empty(0, dtype=bool),
            }
            for name in SNAPSHOT_COLUMNS:
                result[name] = np.empty((0, 1 + MATCHES))
            return result
        result = {
            "backed": np.concatenate(self.backed),
            "step": np.concatenate(self.step),
            "controls": np.concatenate(self.controls),
            "same_territory": np.concatenate(self.same_territory),
        }
        for name in SNAPSHOT_COLUMNS:
            result[name] = np.concatenate(self.snapshot[name])
        return result


def match_controls(
    projects: ProjectTable, size_class: np.ndarray, backed: np.ndarray, pool: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-quality controls for each backed project (the rule in the module doc).

    Args:
        projects: The project table.
        size_class: Size class of each territory.
        backed: Rows backed at this step.
        pool: Rows eligible at this step and not backed.

    Returns:
        (controls, same_territory): control rows, -1 where fewer than `MATCHES`
        qualify, shape (b, MATCHES); and whether the nearest is from the backed
        project's own territory, shape (b,).
    """
    controls = np.full((backed.size, MATCHES), -1, dtype=np.int64)
    same_territory = np.zeros(backed.size, dtype=bool)
    quality = projects.quality[pool]
    birth = projects.birth[pool]
    territory = projects.territory[pool]
    for i, row in enumerate(backed):
        home = projects.territory[row]
        candidates = np.flatnonzero(
            (np.abs(quality - projects.quality[row]) <= QUALITY_CALIPER)
            & (np.abs(birth - projects.birth[row]) <= COHORT_WINDOW_STEPS)
            & (size_class[territory] == size_class[home])
        )
        elsewhere = territory[candidates] != home
        distance = np.abs(quality[candidates] - projects.quality[row]) + (
            TERRITORY_PENALTY * elsewhere
        )
        order = np.argsort(distance, kind="stable")[:MATCHES]
        controls[i, : order.size] = pool[candidates[order]]
        same_territory[i] = order.size > 0 and not elsewhere[order[0]]
    return controls, same_territory
