"""The state the model's parts share, so that none of them imports the model.

- `TerritoryState`: every territory's arrays, one row each; the territories' rules
  (`simulation.territories`) update them, the fund targets them, the recorder reads them;
- `Allocation`: what the fund spends directly in one step; the territories' rules
  apply it, the recorder records it;
- `ModelState`: what the fund, the `Territory` agents and the recorder read of the
  model, a protocol that `simulation.model.AllianceModel` satisfies.

The model imports its parts; its parts import this module, never the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from types import ModuleType

    from simulation.config import EngineeringConfig, ScenarioConfig, TrustConfig
    from simulation.landmarks import Landmarks
    from simulation.population import Population
    from simulation.projects import ProjectTable


@dataclass
class TerritoryState:
    """State of every territory, one row each.

    Attributes:
        size_class: Index into `SIZE_CLASSES` (small, medium, large), shape (t,).
        engineering: Engineering capacity `E` in [0, 1], shape (t,).
        engineering_baseline: Capacity a territory keeps without the fund, shape (t,).
        trust: Trust `T` in [0, 1], shape (t,).
        maturity: Maturity level 1-4, shape (t,).
        fragility: Fragility of each action domain in [0, 1], shape (t, domains).
        alliance_successes: Cumulative alliance projects that ended as successes, shape (t,).
        fragility_initial: Fragility at the start, to which it returns without
            projects, shape (t, domains).
        alliance_relief: Cumulative fragility relieved by alliance projects, shape
            (t, domains); zero without fragility relief.
    """

    size_class: np.ndarray
    engineering: np.ndarray
    engineering_baseline: np.ndarray
    trust: np.ndarray
    maturity: np.ndarray
    fragility: np.ndarray
    alliance_successes: np.ndarray
    fragility_initial: np.ndarray
    alliance_relief: np.ndarray

    @classmethod
    def create(
        cls,
        scenario: ScenarioConfig,
        engineering: EngineeringConfig,
        trust: TrustConfig,
        rng: np.random.Generator,
    ) -> TerritoryState:
        """Draw the initial territories.

        Args:
            scenario: World configuration.
            engineering: Engineering parameters (baseline capacity by size class).
            trust: Trust parameters (initial level).
            rng: The model's seeded generator.

        Returns:
            The initial state.
        """
        n = scenario.n_territories
        size_class = rng.choice(3, size=n, p=np.asarray(scenario.size_class_shares))
        maturity = rng.permutation(initial_maturity_levels(scenario.initial_maturity_shares, n))
        baseline = np.asarray(engineering.baseline_by_size)[size_class]
        initial_trust = (
            trust.initial_mean
            + trust.initial_by_level * (maturity - 1)
            + trust.initial_spread * rng.standard_normal(n)
        )
        return cls(
            size_class=size_class.astype(np.int8),
            engineering=baseline.copy(),
            engineering_baseline=baseline,
            trust=np.clip(initial_trust, 0.0, 1.0),
            maturity=maturity.astype(np.int8),
            fragility=(fragility := rng.beta(2.0, 3.0, size=(n, scenario.n_domains))),
            alliance_successes=np.zeros(n),
            fragility_initial=fragility.copy(),
            alliance_relief=np.zeros_like(fragility),
        )

    def organisations_per_territory(
        self, scenario: ScenarioConfig, rng: np.random.Generator
    ) -> np.ndarray:
        """Split the organisations between territories by size class weight.

        Every territory gets at least one organisation.

        Args:
            scenario: World configuration.
            rng: The model's seeded generator.

        Returns:
            Organisation counts, shape (t,).
        """
        weights = np.asarray(scenario.size_class_weights)[self.size_class]
        extra = rng.multinomial(
            scenario.n_organisations - scenario.n_territories, weights / weights.sum()
        )
        return 1 + extra


def initial_maturity_levels(shares: list[float], n: int) -> np.ndarray:
    """Maturity levels 1-4 for `n` territories, in counts rounded from the shares.

    Largest-remainder rounding: every world of `n` territories starts with the
    same number at each level (which territory holds which level is drawn per
    seed), so the initial shares add no noise between seeds.

    Args:
        shares: Share of territories at each level, summing to 1.
        n: Number of territories.

    Returns:
        Levels in ascending order, shape (n,).
    """
    exact = np.asarray(shares) * n
    counts = np.floor(exact).astype(np.int64)
    remainder = exact - counts
    # ties go to the lower level: stable sort of the negated remainders
    order = np.argsort(-remainder, kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return np.repeat(np.arange(1, 5), counts).astype(np.int8)


@dataclass
class Allocation:
    """What the fund spends directly in one step.

    Attributes:
        engineering_eur: Engineering grant to each territory, euro, shape (t,).
        structural_eur: Structural investment in the commons, euro.
    """

    engineering_eur: np.ndarray
    structural_eur: float
    placebo: bool = False

    def effective(self) -> Allocation:
        """What takes effect in the world: all of it, or nothing under a placebo fund."""
        if not self.placebo:
            return self
        return Allocation(np.zeros_like(self.engineering_eur), 0.0)


class ModelState(Protocol):
    """What the model's parts read of the model (`simulation.model.AllianceModel`).

    Attributes:
        territories: Territory state arrays.
        population: Organisation arrays.
        projects: Every project started so far.
        landmarks: Backing events with their matched controls.
        commons: Knowledge commons `K`.
        forgone: Organisations that forwent a start this step.
        _active: Rows of `projects` still running.
        kernels: The compiled kernels the world runs on (`simulation.compiled`),
            or None for numpy's (`simulation.kernel.select`).
    """

    territories: TerritoryState
    population: Population
    projects: ProjectTable
    landmarks: Landmarks
    commons: float
    forgone: np.ndarray
    _active: np.ndarray
    kernels: ModuleType | None

    def active_column(self, name: str) -> np.ndarray:
        """A column of `projects` at the active rows (gathered once a step)."""
        ...
