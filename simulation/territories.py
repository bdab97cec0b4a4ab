"""Territories: local ecosystems with engineering capacity, trust and maturity.

A territory's state lives in `TerritoryState` arrays (`simulation.state`) so that
organisation-level rules can read it vectorised; each `Territory` Mesa agent is a
named view on one row, for users who inspect the model agent by agent. The update rules are plain
functions of arrays, shared by the vectorised model and the reference one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

import simulation.libm as libm
from simulation.config import (
    SIZE_CLASSES,
    CommonsConfig,
    EngineeringConfig,
    FragilityConfig,
    MaturityConfig,
    ModelConfig,
    TrustConfig,
)
from simulation.state import TerritoryState

if TYPE_CHECKING:
    from simulation.randomness import RandomStreams
    from simulation.state import Allocation, ModelState


def update_engineering(
    capacity: np.ndarray,
    baseline: np.ndarray,
    grant_eur: np.ndarray,
    organisations: np.ndarray,
    cfg: EngineeringConfig,
) -> np.ndarray:
    """Engineering capacity after one step.

    `E <- E - d_E (E - E_base) + eta (1 - E) x / (x + x_half)`, with `x = g / n`
    the grant per organisation of the territory: it relaxes to the territory's own
    baseline without funding, and a grant adds a saturating amount that cannot
    push it past 1. Capacity is catalysts' time per organisation, so the same
    grant buys less of it where there are more organisations to bring together.

    Args:
        capacity: Current `E`.
        baseline: `E_base`, the capacity without the fund.
        grant_eur: Engineering grant received this step, euro.
        organisations: Organisations in each territory, `n`.
        cfg: Engineering parameters.

    Returns:
        The new `E`.
    """
    per_organisation = grant_eur / organisations
    saturation = per_organisation / (
        per_organisation + cfg.grant_half_saturation_eur_per_organisation
    )
    return (
        capacity
        - cfg.decay_per_step * (capacity - baseline)
        + cfg.grant_effect * (1.0 - capacity) * saturation
    )


def update_commons(
    commons: float, investment_eur: float, organisations: int, cfg: CommonsConfig
) -> float:
    """Knowledge commons after one step: `K <- K' + kappa (1 - K') y / (y + y_half)`.

    `K' = K (1 - d_K)` and `y = s / N` is the structural investment per
    organisation of the world. Data and methods are cheap to copy but costly to
    spread: every organisation the commons reaches must be trained and every
    territory must adapt it, so what a euro buys is reach per organisation.

    Args:
        commons: Current `K` in [0, 1].
        investment_eur: Structural investment this step, euro.
        organisations: Organisations in the world, `N`.
        cfg: Commons parameters.

    Returns:
        The new `K`.
    """
    per_organisation = investment_eur / organisations
    saturation = per_organisation / (
        per_organisation + cfg.investment_half_saturation_eur_per_organisation
    )
    decayed = commons * (1.0 - cfg.decay_per_step)
    return decayed + cfg.investment_effect * (1.0 - decayed) * saturation


def maturity_up_probability(
    maturity: np.ndarray,
    engineering: np.ndarray,
    commons: float,
    experience: np.ndarray,
    cfg: MaturityConfig,
) -> np.ndarray:
    """Probability of moving up one maturity level this step.

    Rate `(l0 + lE E + lK K + lX X) * g ** (m - 1)`, turned into a probability
    with `1 - exp(-rate)`; zero at level 4. The level factor `g` may exceed 1:
    a territory that has reached level 3 has the people and methods to move on
    faster than a territory taking its first steps.

    Args:
        maturity: Current level 1-4.
        engineering: `E`.
        commons: `K`.
        experience: `X` in [0, 1], the territory's alliance experience.
        cfg: Maturity parameters.

    Returns:
        Probabilities, same shape as `maturity`.
    """
    rate = (
        cfg.base_rate
        + cfg.engineering_rate * engineering
        + cfg.commons_rate * commons
        + cfg.experience_rate * experience
    ) * libm.power(cfg.level_factor, maturity - 1.0)
    return np.where(maturity < 4, -libm.expm1(-rate), 0.0)


def alliance_experience(successes: np.ndarray, cfg: MaturityConfig) -> np.ndarray:
    """Alliance experience `X = S / (S + S_half)` from cumulative successes `S`."""
    return successes / (successes + cfg.experience_half_saturation)


def next_maturity(
    maturity: np.ndarray, p_up: np.ndarray, uniform: np.ndarray, cfg: MaturityConfig
) -> np.ndarray:
    """Apply one step of maturity transitions.

    A draw below `p_up` moves up one level; a draw in the top `down_probability`
    moves down one level (from level 2 and above).

    Args:
        maturity: Current level 1-4.
        p_up: Probability of moving up.
        uniform: One uniform draw per territory.
        cfg: Maturity parameters.

    Returns:
        The new levels.
    """
    up = uniform < p_up
    down = (uniform >= 1.0 - cfg.down_probability) & (maturity > 1) & ~up
    return (maturity + up - down).astype(maturity.dtype)


def update_trust(
    trust: np.ndarray, successes: np.ndarray, failures: np.ndarray, cfg: TrustConfig
) -> np.ndarray:
    """Trust after the alliances that ended this step.

    `T <- clip(T + lr (S - F) / (S + F + n0), 0, 1)`: successes build trust,
    failures erode it, and a pseudo-count `n0` keeps one event from swinging it.

    Args:
        trust: Current `T`.
        successes: Alliance projects that ended as successes this step.
        failures: Alliance projects that ended as failures this step.
        cfg: Trust parameters.

    Returns:
        The new `T`.
    """
    change = cfg.learning_rate * (successes - failures) / (successes + failures + cfg.pseudo_count)
    return np.clip(trust + change, 0.0, 1.0)


def relieve_fragility(
    territories: TerritoryState,
    value_eur: np.ndarray,
    alliance_value_eur: np.ndarray,
    organisations: np.ndarray,
    cfg: FragilityConfig,
) -> None:
    """Projects relieve the fragilities they answer; fragilities return without them.

    For each territory and domain, with `v` the value produced there this step per
    organisation of the territory:
    `f <- f - rho f v / (v + v_half) + r (f0 - f)`. The first term is the need met
    (it cannot exceed the share `rho` of what is left); the second, new needs that
    bring `f` back to its initial level `f0` at rate `r`. The relief is credited to
    alliance projects in proportion to their share of `v`.

    Args:
        territories: Territory state, updated in place.
        value_eur: Value produced this step, shape (t, domains).
        alliance_value_eur: Of which by alliance projects, shape (t, domains).
        organisations: Organisations per territory, shape (t,).
        cfg: Fragility parameters.
    """
    f = territories.fragility
    per_organisation = value_eur / organisations[:, None]
    rate = (
        cfg.relief_rate
        * per_organisation
        / (per_organisation + cfg.relief_half_saturation_eur_per_organisation)
    )
    relief = rate * f
    share = np.divide(
        alliance_value_eur, value_eur, out=np.zeros_like(value_eur), where=value_eur > 0
    )
    territories.alliance_relief += relief * share
    territories.fragility = np.clip(
        f - relief + cfg.recovery_per_step * (territories.fragility_initial - f), 0.0, 1.0
    )


def advance_territories(
    territories: TerritoryState,
    commons: float,
    allocation: Allocation,
    organisations: np.ndarray,
    streams: RandomStreams,
    step: int,
    cfg: ModelConfig,
) -> float:
    """Steps 2-4 of a model step: engineering, commons, then maturity transitions.

    Updates `territories` in place.

    Args:
        territories: Territory state.
        commons: Knowledge commons `K` before the step.
        allocation: The engineering grants and structural investment that take
            effect this step (none under a placebo fund).
        organisations: Organisations in each territory.
        streams: Keyed random numbers.
        step: Current step.
        cfg: Mechanism parameters.

    Returns:
        The new `K`.
    """
    if streams.kernels is not None:
        commons = update_commons(
            commons, allocation.structural_eur, int(organisations.sum()), cfg.commons
        )
        draws = streams.uniform("maturity", step, np.arange(territories.maturity.size))
        engineering, maturity = cfg.engineering, cfg.maturity
        territories.engineering, territories.maturity = streams.kernels.advance_territories(
            territories.engineering,
            territories.engineering_baseline,
            allocation.engineering_eur,
            organisations,
            territories.maturity,
            territories.alliance_successes,
            draws,
            commons,
            engineering.decay_per_step,
            engineering.grant_effect,
            engineering.grant_half_saturation_eur_per_organisation,
            maturity.base_rate,
            maturity.engineering_rate,
            maturity.commons_rate,
            maturity.experience_rate,
            maturity.level_factor,
            maturity.experience_half_saturation,
            1.0 - maturity.down_probability,
        )
        return commons
    territories.engineering = update_engineering(
        territories.engineering,
        territories.engineering_baseline,
        allocation.engineering_eur,
        organisations,
        cfg.engineering,
    )
    commons = update_commons(
        commons, allocation.structural_eur, int(organisations.sum()), cfg.commons
    )
    p_up = maturity_up_probability(
        territories.maturity,
        territories.engineering,
        commons,
        alliance_experience(territories.alliance_successes, cfg.maturity),
        cfg.maturity,
    )
    draws = streams.uniform("maturity", step, np.arange(territories.maturity.size))
    territories.maturity = next_maturity(territories.maturity, p_up, draws, cfg.maturity)
    return commons


class Territory(mesa.Agent):
    """One territory, a view on its row of the model's `TerritoryState`.

    Args:
        model: The model that owns the state.
        index: Row of this territory.
    """

    def __init__(self, model: ModelState, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def size_class(self) -> str:
        """Size class name."""
        return SIZE_CLASSES[self.model.territories.size_class[self.index]]

    @property
    def engineering_capacity(self) -> float:
        """Engineering capacity `E`."""
        return float(self.model.territories.engineering[self.index])

    @property
    def trust(self) -> float:
        """Trust `T`."""
        return float(self.model.territories.trust[self.index])

    @property
    def maturity(self) -> int:
        """Maturity level 1-4."""
        return int(self.model.territories.maturity[self.index])
