"""Per-agent reference implementation: the readable specification of one step.

Every organisation is a Mesa agent and every project a Python object; each rule
is applied one agent at a time, in plain loops. It shares with `AllianceModel`
only what defines the model rather than its implementation: the initial world,
the keyed random numbers, the fund's disbursement, and the rule functions
(`value_per_eur`, `hazard`, `diversification`, the territory updates). The test
suite runs both on a small world and requires the same numbers; the vectorised
model is the one to use, being some thousand times faster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np

import simulation.libm as libm
from simulation.capacity import free_capacity
from simulation.clock import run_steps, step_index
from simulation.config import PROFILES, RunConfig
from simulation.discounting import discount_factors
from simulation.emergence import MIN_PARTNER_WEIGHT
from simulation.fund import Fund, target_mask
from simulation.population import Population, complementarity
from simulation.projects import diversification, hazard, value_per_eur
from simulation.randomness import RandomStreams
from simulation.state import Allocation, TerritoryState
from simulation.territories import advance_territories, update_trust


class Organisation(mesa.Agent):
    """One organisation with its three pillars.

    Args:
        model: The reference model.
        index: Row of this organisation in the initial population.
        population: The initial population to copy the organisation's state from.
    """

    def __init__(self, model: ReferenceModel, index: int, population: Population) -> None:
        super().__init__(model)
        self.index = index
        self.profile = int(population.profile[index])
        self.territory = int(population.territory[index])
        self.pillar_eur = population.pillar_eur[index]
        self.pillar_share = population.shares_of(index)
        self.capital = 0.0


@dataclass
class Project:
    """One project and what it has produced so far."""

    lead: int
    members: list[int]
    territory: int
    profile: int
    domain: int
    quality: float
    diversification: float
    member_share: list[float]
    own_eur: float
    mobilised_eur: float
    value_per_eur: float
    setup_eur: float
    lifetime_budget: float
    birth: int
    death: int = -1
    cumulative_hazard: float = 0.0
    backed: bool = False
    deployed: bool = False
    diversification_granted: float = 0.0
    grant_eur_per_step: float = 0.0
    grant_steps_left: int = 0
    last_value_eur: float = 0.0
    value_pv: float = 0.0
    resources_pv: float = 0.0
    private_pv: float = 0.0
    mobilised_pv: float = 0.0
    fund_pv: float = 0.0

    @property
    def alliance(self) -> bool:
        """Whether the project has partners."""
        return len(self.members) > 1


@dataclass
class StepRecord:
    """Per-territory totals of one step (the same quantities `Recorder` keeps)."""

    value_eur: np.ndarray
    resources_eur: np.ndarray
    active_projects: np.ndarray
    active_alliances: np.ndarray
    value_by_profile_eur: np.ndarray
    fund_spending_eur: list[float] = field(default_factory=list)
    starts_forgone: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class ReferenceModel(mesa.Model):
    """The alliance-premium model written agent by agent.

    Args:
        config: The run configuration.
    """

    def __init__(self, config: RunConfig) -> None:
        config.validate()
        super().__init__(rng=config.seed)
        self.config = config
        scenario, cfg = config.scenario, config.model
        # Same initial draws, in the same order, as AllianceModel.
        self.territories = TerritoryState.create(scenario, cfg.engineering, cfg.trust, self.rng)
        counts = self.territories.organisations_per_territory(scenario, self.rng)
        population = Population.create(
            scenario, counts, cfg.production.wage_eur_per_fte_step, self.rng
        )
        self.streams = RandomStreams(self.rng)
        self.fund = Fund(self, config.fund, scenario.steps_per_year)
        self.organisations = [Organisation(self, i, population) for i in range(population.size)]
        self.territory_start = population.territory_start
        self.territory_count = population.territory_count
        self.projects: list[Project] = []
        self.commons = 0.0
        self.records: list[StepRecord] = []

    def step(self) -> None:
        """Advance the world by one step, one agent at a time."""
        t = step_index(self)
        cfg = self.config.model
        allocation = self.fund.allocate(t)
        self.commons = advance_territories(
            self.territories,
            self.commons,
            allocation.effective(),
            self.territory_count,
            self.streams,
            t,
            cfg,
        )

        self.forgone = np.zeros(self.config.scenario.n_territories, dtype=np.int64)
        load = self._load()
        leads = [org for org in self.organisations if self._starts(org, t, load[org.index])]
        for org in leads:
            self.projects.append(self._new_project(org, t))
        self._back_projects(t)
        if cfg.production.shared_pillars:
            self._share_pillars()
        record, paying = self._produce(t, allocation)
        if cfg.fragility.relief_rate > 0:
            self._relieve(self.step_values)
        successes, failures = self._survive(t, paying)
        self._learn(successes, failures)
        record.starts_forgone = self.forgone
        self.records.append(record)

    def _draw(self, mechanism: str, step: int, entity: int, slot: int = 0) -> float:
        return float(self.streams.uniform(mechanism, step, np.array([entity]), slot)[0])

    def _load(self) -> list[int]:
        """Active projects each organisation is a member of."""
        load = [0] * len(self.organisations)
        for p in self.projects:
            if p.death < 0:
                for m in p.members:
                    load[m] += 1
        return load

    def _share_pillars(self) -> None:
        """Each member brings 1/load of its own and idle resources to each active project."""
        load = self._load()
        mobilisation = self.config.model.production.mobilisation
        for p in self.projects:
            if p.death >= 0:
                continue
            pillars = [self.organisations[m].pillar_eur for m in p.members]
            own = [float(x[:4].sum()) / load[m] for x, m in zip(pillars, p.members, strict=True)]
            mobilised = [
                mobilisation * p.quality * float(x[4]) / load[m]
                for x, m in zip(pillars, p.members, strict=True)
            ]
            p.own_eur, p.mobilised_eur = sum(own), sum(mobilised)
            p.member_share = _shares([a + b for a, b in zip(own, mobilised, strict=True)])

    def _starts(self, org: Organisation, t: int, load: int) -> bool:
        """Whether `org` starts a project; a start its load forgoes is counted."""
        em = self.config.model.emergence
        territories = self.territories
        multiplier = self.config.scenario.profiles[PROFILES[org.profile]].start_rate_multiplier
        rate = (
            em.base_rate
            * multiplier
            * (1.0 + em.fragility_effect * territories.fragility[org.territory].mean())
            * (1.0 + em.engineering_effect * territories.engineering[org.territory])
        )
        probability = -math.expm1(-rate)
        draw = self._draw("emergence", t, org.index)
        starts = draw < probability * free_capacity(load, em.project_capacity)
        if draw < probability and not starts:
            self.forgone[org.territory] += 1
        return starts

    def _new_project(self, lead: Organisation, t: int) -> Project:
        cfg = self.config.model
        em = cfg.emergence
        territory = lead.territory
        e = self.territories.engineering[territory]
        trust = self.territories.trust[territory]
        logit = (
            em.ally_intercept
            + em.ally_engineering * e
            + em.ally_trust * trust
            + em.ally_capital * lead.capital
            + em.ally_maturity * (self.territories.maturity[territory] - 1.0)
            + self._profile_offset(lead.profile)
        )
        alone = self.territory_count[territory] < 2
        p_ally = 0.0 if alone else 1.0 / (1.0 + math.exp(-logit))
        partners = self._partners(lead, t) if self._draw("mode", t, lead.index) < p_ally else []
        members = [lead.index, *partners]

        if partners:
            mean_complementarity = sum(
                complementarity(lead.pillar_share, self.organisations[p].pillar_share)
                for p in partners
            ) / len(partners)
            q = cfg.quality
            quality = (
                q.weight_engineering * e
                + q.weight_trust * trust
                + q.weight_complementarity * mean_complementarity
            )
        else:
            quality = 0.0
        pillars = [self.organisations[m].pillar_eur for m in members]
        commitments = [
            float(p[:4].sum()) + cfg.production.mobilisation * quality * float(p[4])
            for p in pillars
        ]
        own = sum(float(p[:4].sum()) for p in pillars)
        mobilised = sum(cfg.production.mobilisation * quality * float(p[4]) for p in pillars)
        cells = np.array([[*np.concatenate([p[:4] for p in pillars]), mobilised]])
        member_share = _shares(commitments)

        fragility = self.territories.fragility[territory]
        cumulative = np.cumsum(fragility)
        u = self._draw("domain", t, lead.index)
        domain = int((cumulative < u * cumulative[-1]).sum())
        return Project(
            lead=lead.index,
            members=members,
            territory=territory,
            profile=lead.profile,
            domain=domain,
            quality=quality,
            diversification=float(diversification(cells)[0]),
            member_share=member_share,
            own_eur=own,
            mobilised_eur=mobilised,
            value_per_eur=float(
                value_per_eur(np.array(quality), np.array(fragility[domain]), cfg.production)
            ),
            setup_eur=em.setup_cost_eur
            * len(members)
            * (1.0 - cfg.commons.setup_cost_reduction * self.commons),
            lifetime_budget=-math.log1p(-self._draw("lifetime", t, lead.index)),
            birth=t,
        )

    def _profile_offset(self, profile: int) -> float:
        """The survey's logit gap of a profile to the organisations' mean, weighted."""
        weight = self.config.model.emergence.ally_profile_weight
        profiles = [self.config.scenario.profiles[p] for p in PROFILES]
        surveyed = [p for p in profiles if p.ally_survey_share > 0 and p.share > 0]
        own = profiles[profile]
        if weight == 0 or own not in surveyed:
            return 0.0
        total = sum(p.share for p in surveyed)
        centre = sum(p.share * _logit(p.ally_survey_share) for p in surveyed) / total
        return weight * (_logit(own.ally_survey_share) - centre)

    def _relieve(self, values: list[tuple[Project, float]]) -> None:
        """Relieve each territory's fragilities with the value its projects produced."""
        cfg = self.config.model.fragility
        territories = self.territories
        n_territories, n_domains = territories.fragility.shape
        total = [[0.0] * n_domains for _ in range(n_territories)]
        by_alliances = [[0.0] * n_domains for _ in range(n_territories)]
        for project, value in values:
            total[project.territory][project.domain] += value
            if project.alliance:
                by_alliances[project.territory][project.domain] += value
        for t in range(n_territories):
            organisations = float(self.territory_count[t])
            for d in range(n_domains):
                f = float(territories.fragility[t, d])
                v = total[t][d] / organisations
                relief = cfg.relief_rate * v / (v + cfg.relief_half_saturation_eur_per_organisation)
                relief *= f
                if total[t][d] > 0:
                    territories.alliance_relief[t, d] += relief * by_alliances[t][d] / total[t][d]
                f0 = float(territories.fragility_initial[t, d])
                territories.fragility[t, d] = min(
                    1.0, max(0.0, f - relief + cfg.recovery_per_step * (f0 - f))
                )

    def _partners(self, lead: Organisation, t: int) -> list[int]:
        em = self.config.model.emergence
        start = int(self.territory_start[lead.territory])
        others = int(self.territory_count[lead.territory]) - 1
        wanted = 1 + math.floor(self._draw("partners", t, lead.index, 0) * em.max_partners)
        partners: list[int] = []
        slot = 1
        for j in range(em.max_partners):
            candidates = []
            for _ in range(em.partner_candidates):
                local = math.floor(self._draw("partners", t, lead.index, slot) * others)
                slot += 1
                if local >= lead.index - start:
                    local += 1
                candidates.append(start + local)
            weights = np.array(
                [
                    complementarity(lead.pillar_share, self.organisations[c].pillar_share)
                    + MIN_PARTNER_WEIGHT
                    for c in candidates
                ]
            )
            cumulative = np.cumsum(weights)
            u = self._draw("partners", t, lead.index, slot)
            slot += 1
            chosen = candidates[int((cumulative < u * cumulative[-1]).sum())]
            if j < wanted and chosen not in partners:
                partners.append(chosen)
        return partners

    def _back_projects(self, t: int) -> None:
        fund = self.fund
        ticket = fund.cfg.ticket_eur
        affordable = int(fund.innovation_pool_eur // ticket)
        if not fund.is_investing(t) or affordable == 0:
            return
        targets = target_mask(
            fund.cfg.strategy.innovation_target, self.territories, fund.cfg.strategy.top_k
        )
        eligible = [
            p
            for p in self.projects
            if p.death < 0
            and p.alliance
            and not p.backed
            and t - p.birth >= fund.cfg.proof_of_concept_steps
            and targets[p.territory]
        ]
        eligible.sort(key=lambda p: -p.quality)  # stable: birth order among equals
        cap = fund.cfg.max_tickets_per_territory
        chosen: list[Project] = []
        for project in eligible:
            if len(chosen) == affordable:
                break
            if cap > 0 and fund.tickets_by_territory[project.territory] >= cap:
                continue
            fund.tickets_by_territory[project.territory] += 1
            chosen.append(project)
        for project in chosen:
            project.backed = True
            project.deployed = not fund.cfg.placebo
            project.grant_eur_per_step = ticket / fund.cfg.grant_steps
            project.grant_steps_left = fund.cfg.grant_steps
            pillars = [self.organisations[m].pillar_eur for m in project.members]
            cells = np.array(
                [
                    [
                        *np.concatenate([p[:4] for p in pillars]),
                        project.mobilised_eur,
                        project.grant_eur_per_step,
                    ]
                ]
            )
            project.diversification_granted = float(diversification(cells)[0])
            fund.innovation_pool_eur -= ticket
            fund.committed_eur += ticket

    def _produce(self, t: int, allocation: Allocation) -> tuple[StepRecord, set[int]]:
        cfg = self.config
        n = cfg.scenario.n_territories
        record = StepRecord(
            np.zeros(n), np.zeros(n), np.zeros(n, int), np.zeros(n, int), np.zeros(len(PROFILES))
        )
        accounting = cfg.accounting
        df = float(
            discount_factors(
                np.array([t / cfg.scenario.steps_per_year]),
                accounting.discount_rate_per_year,
                accounting.discount_schedule,
            )[0]
        )
        persistence = cfg.accounting.value_persistence_per_step
        grants = 0.0
        paying: set[int] = set()
        self.step_values: list[tuple[Project, float]] = []
        for i, p in enumerate(self.projects):
            if p.death >= 0:
                if persistence > 0:
                    legacy = p.last_value_eur * libm.power(persistence, t - p.death)
                    p.value_pv += legacy * df
                    record.value_eur[p.territory] += legacy
                    self._credit(record, p, legacy)
                continue
            scale = cfg.model.production.deployment_scale if p.deployed else 1.0
            grant = p.grant_eur_per_step if p.grant_steps_left > 0 else 0.0
            if p.grant_steps_left > 0:
                p.grant_steps_left -= 1
                paying.add(i)
            private = p.own_eur * scale + p.mobilised_eur
            productive = private + (grant if p.deployed else 0.0)
            value = p.value_per_eur * productive
            setup = p.setup_eur if p.birth == t else 0.0
            p.value_pv += value * df
            p.resources_pv += (productive + setup) * df
            p.private_pv += (private + setup) * df
            p.mobilised_pv += p.mobilised_eur * df
            p.fund_pv += grant * df
            p.last_value_eur = value
            self.step_values.append((p, value))
            grants += grant
            record.value_eur[p.territory] += value
            record.resources_eur[p.territory] += productive + setup
            record.active_projects[p.territory] += 1
            record.active_alliances[p.territory] += p.alliance
            self._credit(record, p, value)
        record.fund_spending_eur = [
            float(allocation.engineering_eur.sum()),
            grants,
            allocation.structural_eur,
        ]
        return record, paying

    def _credit(self, record: StepRecord, project: Project, value: float) -> None:
        for member, share in zip(project.members, project.member_share, strict=True):
            record.value_by_profile_eur[self.organisations[member].profile] += value * share

    def _survive(self, t: int, paying: set[int]) -> tuple[list[Project], list[Project]]:
        successes, failures = [], []
        success_age = self.config.model.trust.success_age_steps
        for i, p in enumerate(self.projects):
            if p.death >= 0:
                continue
            granted = p.deployed and i in paying
            p.cumulative_hazard += float(
                hazard(
                    np.array(p.quality),
                    np.array(p.diversification_granted if granted else p.diversification),
                    np.array(p.deployed),
                    self.config.model.survival,
                )
            )
            ended = p.cumulative_hazard >= p.lifetime_budget
            if ended:
                p.death = t
            age = t - p.birth + 1
            if p.alliance and age == success_age:
                successes.append(p)
            elif p.alliance and ended and age < success_age:
                failures.append(p)
        return successes, failures

    def _learn(self, successes: list[Project], failures: list[Project]) -> None:
        cfg = self.config.model.trust
        n = self.config.scenario.n_territories
        s, f = np.zeros(n), np.zeros(n)
        for p in successes:
            s[p.territory] += 1
        for p in failures:
            f[p.territory] += 1
        self.territories.trust = update_trust(self.territories.trust, s, f, cfg)
        self.territories.alliance_successes += s
        change = [0.0] * len(self.organisations)
        for p in successes:
            for m in p.members:
                change[m] += cfg.capital_gain
        for p in failures:
            for m in p.members:
                change[m] -= cfg.capital_loss
        for org in self.organisations:
            org.capital = min(
                1.0, max(0.0, org.capital * (1.0 - cfg.capital_decay_per_step) + change[org.index])
            )

    def run(self) -> ReferenceModel:
        """Run every step of the horizon.

        Returns:
            This model, for chaining.
        """
        run_steps(self, self.config.scenario.n_steps)
        return self


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _shares(commitments: list[float]) -> list[float]:
    """Members' shares of a project's value; all to the lead when nobody commits anything."""
    total = sum(commitments)
    if total > 0:
        return [c / total for c in commitments]
    return [1.0] + [0.0] * (len(commitments) - 1)
