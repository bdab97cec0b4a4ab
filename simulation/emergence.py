"""Project emergence: who starts a project, alone or in an alliance, with whom.

Every random number here is keyed on the lead organisation and the step (see
`randomness`), so that a project born in both the treated and the counterfactual
world makes the same choices in both unless the fund changed its circumstances.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

import simulation.libm as libm
from simulation.capacity import free_capacity
from simulation.config import PROFILES, ModelConfig, ScenarioConfig
from simulation.population import (
    Population,
    any_true,
    complementarity,
    count_true,
    numpy_sum,
    pillar_shares,
    sum_components,
)
from simulation.projects import (
    NewProjects,
    diversification,
    member_shares,
    resource_cells,
    value_per_eur,
)
from simulation.randomness import RandomStreams
from simulation.state import TerritoryState

# Complementarity floor, so that identical organisations can still ally.
MIN_PARTNER_WEIGHT = 0.01


def start_probability_table(
    territories: TerritoryState, scenario: ScenarioConfig, cfg: ModelConfig
) -> np.ndarray:
    """Probability that an organisation starts a project this step, by territory and profile.

    Rate `r0 * m_profile * (1 + rF * mean fragility) * (1 + rE * E)`, as
    `1 - exp(-rate)`. Nothing else of an organisation enters it, so one table
    serves them all.

    Args:
        territories: Territory state.
        scenario: World configuration (profile multipliers).
        cfg: Mechanism parameters.

    Returns:
        Probabilities, shape (territories, profiles).
    """
    em = cfg.emergence
    territory_rate = (1.0 + em.fragility_effect * territories.fragility.mean(axis=1)) * (
        1.0 + em.engineering_effect * territories.engineering
    )
    rate = (em.base_rate * _start_rate_multiplier(scenario))[None, :] * territory_rate[:, None]
    return -libm.expm1(-rate)


def _start_rate_multiplier(scenario: ScenarioConfig) -> np.ndarray:
    """Each profile's multiplier of the start rate, in `PROFILES` order."""
    return np.array([scenario.profiles[p].start_rate_multiplier for p in PROFILES])


def profile_ally_offset(scenario: ScenarioConfig, cfg: ModelConfig) -> np.ndarray:
    """The profile term of the propensity to ally, one logit offset per profile.

    `bP (logit(s_p) - mean logit(s))` over the surveyed profiles, `s_p` a profile's
    `ally_survey_share` and the mean weighted by the profiles' shares of
    organisations; 0 for a profile not surveyed (share 0), so that it allies as the
    average organisation does. Centred on the population, so the term moves who
    allies more than how many (the intercept `b0` keeps its meaning).

    Args:
        scenario: World configuration (the profiles' survey shares).
        cfg: Mechanism parameters (the weight `bP`).

    Returns:
        Offsets, shape (profiles,), in `PROFILES` order.
    """
    share = np.array([scenario.profiles[p].ally_survey_share for p in PROFILES])
    population = np.array([scenario.profiles[p].share for p in PROFILES])
    offset = np.zeros(len(PROFILES))
    weight = cfg.emergence.ally_profile_weight
    surveyed = (share > 0) & (population > 0)
    if weight == 0 or not surveyed.any():
        return offset
    logit = libm.log(share[surveyed] / (1.0 - share[surveyed]))
    centre = np.average(logit, weights=population[surveyed])
    offset[surveyed] = weight * (logit - centre)
    return offset


def ally_probability(
    leads: np.ndarray,
    population: Population,
    territories: TerritoryState,
    cfg: ModelConfig,
    profile_offset: np.ndarray,
    kernels: ModuleType | None = None,
) -> np.ndarray:
    """Probability that a starting project is an alliance.

    `sigmoid(b0 + bE E + bT T + bA A + bm (maturity - 1) + o_profile)`; zero where
    the lead is alone in its territory.

    Args:
        leads: Organisations starting a project.
        population: The organisations.
        territories: Territory state.
        cfg: Mechanism parameters.
        profile_offset: Logit offset by profile (`profile_ally_offset`).
        kernels: The compiled kernels (`kernel.select`), or None for numpy's: the
            same probabilities either way.

    Returns:
        Probabilities, shape (k,).
    """
    em = cfg.emergence
    if kernels is not None:
        return kernels.ally_probability(
            leads,
            population.territory,
            population.territory_count,
            territories.engineering,
            territories.trust,
            population.capital,
            territories.maturity,
            population.profile,
            profile_offset,
            bool(profile_offset.any()),
            em.ally_intercept,
            em.ally_engineering,
            em.ally_trust,
            em.ally_capital,
            em.ally_maturity,
        )
    t = population.territory[leads]
    logit = (
        em.ally_intercept
        + em.ally_engineering * territories.engineering[t]
        + em.ally_trust * territories.trust[t]
        + em.ally_capital * population.capital[leads]
        + em.ally_maturity * (territories.maturity[t] - 1.0)
    )
    if profile_offset.any():
        logit = logit + profile_offset[population.profile[leads]]
    alone = population.territory_count[t] < 2
    return np.where(alone, 0.0, 1.0 / (1.0 + libm.exp(-logit)))


def choose_partners(
    leads: np.ndarray,
    step: int,
    population: Population,
    streams: RandomStreams,
    cfg: ModelConfig,
) -> np.ndarray:
    """Draw the partners of new alliances in the lead's territory.

    The number of partners is uniform in 1..max_partners. Each partner slot draws
    `partner_candidates` organisations uniformly among the others of the territory
    and picks one with probability proportional to its complementarity with the
    lead. A partner drawn twice fills one slot only.

    Args:
        leads: Lead organisations of the new alliances.
        step: Current step.
        population: The organisations.
        streams: Keyed random numbers.
        cfg: Mechanism parameters.

    Returns:
        Partner indices, -1 for empty slots, shape (k, max_partners).
    """
    em = cfg.emergence
    k, slots, c = leads.size, em.max_partners, em.partner_candidates
    if streams.kernels is not None:
        return streams.kernels.choose_partners(
            leads,
            streams.bases("partners", step, 1 + slots * (c + 1)),
            population.territory,
            population.territory_start,
            population.territory_count,
            population.pillar_eur,
            c,
            MIN_PARTNER_WEIGHT,
        )
    t = population.territory[leads]
    start = population.territory_start[t]
    others = population.territory_count[t] - 1
    local_lead = leads - start
    # Every draw of this step's partner choice at once: slot 0 for the number of
    # partners, then per partner slot `partner_candidates` candidates and a pick.
    draws = streams.uniform_slots("partners", step, leads, 1 + slots * (c + 1))
    n_partners = 1 + np.floor(draws[:, 0] * em.max_partners).astype(np.int64)
    per_slot = draws[:, 1:].reshape(k, slots, c + 1)
    local = np.floor(per_slot[:, :, :c] * others[:, None, None]).astype(np.int64)
    local += local >= local_lead[:, None, None]  # skip the lead itself
    candidates = start[:, None, None] + local
    lead_shares = population.shares_of(leads)
    weights = (
        complementarity(lead_shares[:, None, None, :], population.shares_of(candidates))
        + MIN_PARTNER_WEIGHT
    )
    cumulative = np.cumsum(weights, axis=2)
    pick = count_true(cumulative < per_slot[:, :, c:] * cumulative[:, :, -1:])
    chosen = candidates.reshape(k * slots, c)[np.arange(k * slots), pick.ravel()].reshape(k, slots)
    partners = np.full((k, slots), -1, dtype=np.int64)
    for j in range(slots):
        duplicate = (
            any_true(partners[:, :j] == chosen[:, j, None]) if j else np.zeros(k, dtype=bool)
        )
        partners[:, j] = np.where((j < n_partners) & ~duplicate, chosen[:, j], -1)
    return partners


def starters(
    step: int,
    population: Population,
    territories: TerritoryState,
    streams: RandomStreams,
    scenario: ScenarioConfig,
    cfg: ModelConfig,
    load: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The organisations that start a project this step, and those a busy load stopped.

    An organisation starts when its draw falls below its start probability
    (`start_probability_table`) times its free capacity (`capacity.free_capacity`
    of its active projects, 1 without a project capacity). A start is *forgone*
    when the draw falls below the probability but not below the product: the
    organisation would have started had it been free.

    Args:
        step: Current step.
        population: The organisations.
        territories: Territory state.
        streams: Keyed random numbers.
        scenario: World configuration.
        cfg: Mechanism parameters.
        load: Active projects each organisation is a member of; needed only
            with a project capacity.

    Returns:
        The starting organisations and the forgone starts' organisations, ascending.
    """
    kernels = streams.kernels
    if kernels is not None:
        em = cfg.emergence
        table, thresholds = kernels.start_table(
            territories.fragility,
            territories.engineering,
            em.base_rate * _start_rate_multiplier(scenario),
            em.fragility_effect,
            em.engineering_effect,
        )
    else:
        table = start_probability_table(territories, scenario, cfg)
        thresholds = None
    leads = streams.draws_below("emergence", step, table, population.territory_profile, thresholds)
    capacity = cfg.emergence.project_capacity
    if capacity <= 0 or leads.size == 0:
        return leads, leads[:0]
    if kernels is not None:
        draws = streams.uniform("emergence", step, leads)
        return kernels.split_by_capacity(
            leads, draws, table.ravel(), population.territory_profile, load, capacity
        )
    # The same draws, as floats: below the probability already, are they below it
    # times the free capacity?
    probability = table.ravel()[population.territory_profile[leads]]
    draw = streams.uniform("emergence", step, leads)
    free = draw < probability * free_capacity(load[leads], capacity)
    return leads[free], leads[~free]


def emerge(
    step: int,
    leads: np.ndarray,
    population: Population,
    territories: TerritoryState,
    commons: float,
    streams: RandomStreams,
    cfg: ModelConfig,
    profile_offset: np.ndarray,
) -> NewProjects:
    """The projects born this step, with their partners, quality and resources.

    Args:
        step: Current step.
        leads: The organisations that start a project (`starters`).
        population: The organisations.
        territories: Territory state.
        commons: Knowledge commons `K`.
        streams: Keyed random numbers.
        cfg: Mechanism parameters.
        profile_offset: Logit offset of the propensity to ally by profile
            (`profile_ally_offset`).

    Returns:
        The new projects.
    """
    t = population.territory[leads]
    u_mode, u_domain, u_lifetime = streams.uniforms(("mode", "domain", "lifetime"), step, leads)

    ally = u_mode < ally_probability(
        leads, population, territories, cfg, profile_offset, streams.kernels
    )
    if streams.kernels is not None:
        return _emerge_compiled(
            step, leads, ally, u_domain, u_lifetime, population, territories, commons, streams, cfg
        )
    members = np.full((leads.size, 1 + cfg.emergence.max_partners), -1, dtype=np.int64)
    members[:, 0] = leads
    members[ally, 1:] = choose_partners(leads[ally], step, population, streams, cfg)
    is_member = members >= 0
    n_partners = count_true(is_member[:, 1:])
    alliance = n_partners > 0

    pillars = population.member_pillars(members)
    # The members' pillar shares from the pillars just gathered (`shares_of`, without
    # a second random gather); empty slots have zero shares and count for nothing below.
    shares = pillar_shares(pillars)
    pair_complementarity = complementarity(shares[:, :1, :], shares[:, 1:, :])
    mean_complementarity = np.divide(
        numpy_sum(pair_complementarity * is_member[:, 1:]),
        n_partners,
        out=np.zeros(leads.size),
        where=alliance,
    )
    q = cfg.quality
    quality = np.where(
        alliance,
        q.weight_engineering * territories.engineering[t]
        + q.weight_trust * territories.trust[t]
        + q.weight_complementarity * mean_complementarity,
        0.0,
    )

    own_by_member = sum_components(pillars[:, :, :4])
    mobilised_by_member = cfg.production.mobilisation * quality[:, None] * pillars[:, :, 4]
    own_eur = numpy_sum(own_by_member)
    mobilised_eur = numpy_sum(mobilised_by_member)
    cells = resource_cells(pillars, mobilised_eur, np.zeros(leads.size))

    # Each territory's running sums once, then gathered: the same sums row by row.
    cumulative = np.take(np.cumsum(territories.fragility, axis=1), t, axis=0)
    domain = count_true(cumulative < u_domain[:, None] * cumulative[:, -1:])

    setup = (
        cfg.emergence.setup_cost_eur
        * (1 + n_partners)
        * (1.0 - cfg.commons.setup_cost_reduction * commons)
    )
    return NewProjects(
        lead=leads,
        members=members,
        territory=t,
        profile=population.profile[leads],
        domain=domain,
        alliance=alliance,
        quality=quality,
        diversification=diversification(cells),
        member_share=member_shares(own_by_member + mobilised_by_member),
        member_profile=np.where(
            is_member, np.take(population.profile, np.where(is_member, members, 0)), len(PROFILES)
        ),
        own_eur=own_eur,
        mobilised_eur=mobilised_eur,
        value_per_eur=value_per_eur(quality, territories.fragility[t, domain], cfg.production),
        setup_eur=setup,
        lifetime_budget=-libm.log1p(-u_lifetime),
    )


def _emerge_compiled(
    step: int,
    leads: np.ndarray,
    ally: np.ndarray,
    u_domain: np.ndarray,
    u_lifetime: np.ndarray,
    population: Population,
    territories: TerritoryState,
    commons: float,
    streams: RandomStreams,
    cfg: ModelConfig,
) -> NewProjects:
    """`emerge` after its draws, on the compiled kernels (`streams.kernels`): the same projects.

    Args:
        step: Current step.
        leads: The organisations that start a project.
        ally: Whether each lead's project is an alliance (before partner choice).
        u_domain: Each lead's "domain" draw.
        u_lifetime: Each lead's "lifetime" draw.
        population: The organisations.
        territories: Territory state.
        commons: Knowledge commons `K`.
        streams: Keyed random numbers, with the compiled kernels.
        cfg: Mechanism parameters.

    Returns:
        The new projects.
    """
    allied = leads[ally]
    ally_index = np.full(leads.size, -1, dtype=np.int64)
    ally_index[ally] = np.arange(allied.size)
    q, production = cfg.quality, cfg.production
    (
        members,
        alliance,
        quality,
        own_eur,
        mobilised_eur,
        diversification_,
        member_share,
        member_profile,
        domain,
        value_per_eur_,
        setup_eur,
        lifetime_budget,
    ) = streams.kernels.emerge_rows(
        leads,
        choose_partners(allied, step, population, streams, cfg),
        ally_index,
        u_domain,
        u_lifetime,
        population.territory,
        population.pillar_eur,
        population.profile,
        territories.engineering,
        territories.trust,
        territories.fragility,
        commons,
        q.weight_engineering,
        q.weight_trust,
        q.weight_complementarity,
        production.mobilisation,
        cfg.emergence.setup_cost_eur,
        cfg.commons.setup_cost_reduction,
        production.productivity,
        production.frugality_gain,
        len(PROFILES),
    )
    return NewProjects(
        lead=leads,
        members=members,
        territory=population.territory[leads],
        profile=population.profile[leads],
        domain=domain,
        alliance=alliance,
        quality=quality,
        diversification=diversification_,
        member_share=member_share,
        member_profile=member_profile,
        own_eur=own_eur,
        mobilised_eur=mobilised_eur,
        value_per_eur=value_per_eur_,
        setup_eur=setup_eur,
        lifetime_budget=lifetime_budget,
    )
