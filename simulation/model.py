"""The alliance-premium model: one Mesa model, one world, one fund.

Territories and the fund are Mesa agents; organisations and projects are struct
of arrays owned by the model and updated vectorised. One call to `step` is one
quarter by default:

1. the fund disburses engineering and structural money;
2. engineering capacity and the knowledge commons update;
3. territories move between maturity levels;
4. organisations start projects, alone or in alliances;
5. the fund backs proof-of-concept alliances with innovation grants;
6. active projects turn resources into value, and relieve the fragilities they
   answer (when fragility relief is on);
7. projects end with their hazard;
8. trust and alliance capital learn from alliances that succeeded or failed;
9. the step is recorded.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

import simulation.libm as libm
from simulation.capacity import shared_resources, solo_own_resources
from simulation.clock import run_steps, step_index
from simulation.config import PROFILES, RunConfig
from simulation.discounting import discount_factors
from simulation.emergence import emerge, profile_ally_offset, starters
from simulation.fund import Fund
from simulation.kernel import select as select_kernels
from simulation.landmarks import Landmarks
from simulation.population import Population, any_true, update_capital
from simulation.projects import ProjectTable, hazard
from simulation.randomness import RandomStreams
from simulation.recorder import Recorder
from simulation.state import TerritoryState
from simulation.territories import (
    Territory,
    advance_territories,
    relieve_fragility,
    update_trust,
)

# The state of a project whose hazard has not been computed yet (see `_survive`).
_UNSET = -1


class AllianceModel(mesa.Model):
    """One simulated world.

    Args:
        config: The run configuration; validated before anything is drawn.

    Attributes:
        territories: Territory state arrays.
        population: Organisation arrays.
        projects: Every project started so far.
        landmarks: Backing events with their matched controls (the matched view).
        commons: Knowledge commons `K`.
        fund: The fund agent.
        recorder: Time series recorded each step.
    """

    def __init__(self, config: RunConfig) -> None:
        config.validate()
        super().__init__(rng=config.seed)
        self.config = config
        scenario, cfg = config.scenario, config.model
        self.territories = TerritoryState.create(scenario, cfg.engineering, cfg.trust, self.rng)
        counts = self.territories.organisations_per_territory(scenario, self.rng)
        self.population = Population.create(
            scenario, counts, cfg.production.wage_eur_per_fte_step, self.rng
        )
        # The compiled kernels in a process of many worlds (`kernel.select`), numpy's
        # otherwise: the same numbers either way.
        self.kernels = select_kernels()
        self.streams = RandomStreams(self.rng, self.kernels)
        self.projects = ProjectTable.empty(
            max_members=1 + cfg.emergence.max_partners,
            capacity=max(1024, 2 * scenario.n_organisations),
        )
        self.landmarks = Landmarks()
        self._active = np.empty(0, dtype=np.int64)
        self._first_new_row = 0  # the first row of this step's new projects
        self._gathered: dict[str, np.ndarray] = {}  # see `active_column`
        # Each active project's hazard per step and the state it was computed in
        # (`_hazard_state`), aligned with `_active`; see `_survive`.
        self._hazard = np.empty(0)
        self._hazard_state = np.empty(0, dtype=np.int8)
        self.forgone = np.empty(0, dtype=np.int64)  # organisations that forwent a start this step
        # Active projects each organisation is a member of, kept up to date as projects
        # are born and end (`capacity.memberships` of the active rows, without the pass).
        self.load = np.zeros(self.population.size, dtype=np.int64)
        # Organisations whose load changed since the shared pillars were last
        # computed, plus one last entry that stays False: an empty member slot (-1)
        # reads it, so member rows index this array without a mask.
        self._load_changed = np.zeros(self.population.size + 1, dtype=bool)
        self.profile_offset = profile_ally_offset(scenario, cfg)
        self.commons = 0.0
        for index in range(scenario.n_territories):
            Territory(self, index)
        self.fund = Fund(self, config.fund, scenario.steps_per_year)
        years = np.arange(scenario.n_steps) / scenario.steps_per_year
        accounting = config.accounting
        self.discount = discount_factors(
            years, accounting.discount_rate_per_year, accounting.discount_schedule
        )
        self.recorder = Recorder.empty(scenario.n_steps, scenario.n_territories, len(PROFILES))

    def step(self) -> None:
        """Advance the world by one step."""
        t = step_index(self)
        cfg = self.config.model
        allocation = self.fund.allocate(t)
        self.commons = advance_territories(
            self.territories,
            self.commons,
            allocation.effective(),
            self.population.territory_count,
            self.streams,
            t,
            cfg,
        )

        leads, self.forgone = starters(
            t, self.population, self.territories, self.streams, self.config.scenario, cfg, self.load
        )
        new = emerge(
            t,
            leads,
            self.population,
            self.territories,
            self.commons,
            self.streams,
            cfg,
            self.profile_offset,
        )
        self._first_new_row = self.projects.size
        self._active = np.concatenate([self._active, self.projects.add(new, t, self.kernels)])
        self._hazard = np.concatenate([self._hazard, np.empty(new.lead.size)])
        self._hazard_state = np.concatenate(
            [self._hazard_state, np.full(new.lead.size, _UNSET, dtype=np.int8)]
        )
        self._change_load(new.members, +1)
        self.fund.back_projects(t)
        self._gathered = {}  # the active rows and their columns are this step's from here
        if cfg.production.shared_pillars:
            self._share_pillars()

        flows = self._produce(t)
        if cfg.fragility.relief_rate > 0:
            self._relieve(flows["value"][: self._active.size])
        ended, successes, failures = self._survive(t, flows["paying"])
        self._learn(successes, failures)
        self.recorder.record(t, self, flows, allocation)
        self._change_load(np.take(self.projects.members, self._active[ended], axis=0), -1)
        kept = ~ended
        self._active = self._active[kept]
        self._hazard = self._hazard[kept]
        self._hazard_state = self._hazard_state[kept]

    def active_column(self, name: str) -> np.ndarray:
        """A column of the project table at the active rows, gathered once a step.

        For the columns nothing changes between the fund's backing and the end of
        the step (`deployed`, `alliance`, `territory`, ...): production, survival
        and recording read them from one gather.

        Args:
            name: A column of `ProjectTable`.

        Returns:
            The column's values at `_active` (read only: shared by the step's readers).
        """
        column = self._gathered.get(name)
        if column is None:
            column = self._gathered[name] = getattr(self.projects, name)[self._active]
        return column

    def _change_load(self, members: np.ndarray, change: int) -> None:
        """Add `change` to the load of every member (slots of -1 are empty); mark them changed."""
        if self.kernels is not None:
            self.kernels.change_load(members, change, self.load, self._load_changed)
            return
        np.add.at(self.load, members[members >= 0], change)
        self._load_changed[members] = True
        self._load_changed[-1] = False  # empty slots (-1) marked the sentinel

    def _share_pillars(self) -> None:
        """Set active projects' own and mobilised resources from their members' loads.

        With shared pillars the amounts (and the members' shares of the value) of a
        project change whenever one of its members joins or leaves another project;
        the table holds this step's.

        Only the projects with a member whose load changed since the last call are
        recomputed (new projects among them: their lead's load changed): the
        others' inputs (members, quality, loads) are those they were computed from,
        and each project's amounts are computed from its own row alone, so the
        table holds the same numbers, bit for bit, as a recomputation of all. A
        solo project's mobilised resources (0) and shares (the lead's 1) are those
        of its birth whatever the loads: only its own resources are set
        (`solo_own_resources`).
        """
        p, rows = self.projects, self._active
        if self.kernels is not None:
            self.kernels.share_pillars(
                rows,
                p.members,
                p.alliance,
                p.quality,
                self.load,
                self._load_changed,
                self.population.pillar_eur,
                self.config.model.production.mobilisation,
                p.own_eur,
                p.mobilised_eur,
                p.member_share,
            )
            return
        members = np.take(p.members, rows, axis=0)
        affected = any_true(np.take(self._load_changed, members))
        self._load_changed[:] = False
        rows, members = rows[affected], members[affected]
        alliance = p.alliance[rows]
        solo = rows[~alliance]
        p.own_eur[solo] = solo_own_resources(
            members[~alliance, 0], self.load, self.population.pillar_eur
        )
        rows, members = rows[alliance], members[alliance]
        own, mobilised, shares = shared_resources(
            members,
            p.quality[rows],
            self.load,
            self.population.pillar_eur,
            self.config.model.production.mobilisation,
        )
        p.own_eur[rows] = own
        p.mobilised_eur[rows] = mobilised
        p.member_share[rows] = shares

    def _produce(self, t: int) -> dict[str, np.ndarray]:
        """Turn active projects' resources into value; accumulate present values.

        A deployed project (backed by a fund that is not a placebo) scales its
        members' resources and uses its grant instalment; a placebo fund's grant
        is paid and recorded but not used.

        Returns:
            Per-project flows of the step: `value_rows` and `value` (active
            projects, then ended ones whose value persists), and for active
            projects `resources`, `mobilised`, `grant` (paid) and `paying`.
        """
        p, rows = self.projects, self._active
        deployed = self.active_column("deployed")
        # Projects born this step are the last active rows (`step` appends them).
        born = np.searchsorted(rows, self._first_new_row)
        df = self.discount[t]
        if self.kernels is not None:
            value, resources, mobilised, grant, paying = self.kernels.produce(
                rows,
                deployed,
                born,
                p.grant_steps_left,
                p.grant_eur_per_step,
                p.own_eur,
                p.mobilised_eur,
                p.value_per_eur,
                p.setup_eur,
                self.config.model.production.deployment_scale,
                df,
                p.value_pv,
                p.resources_pv,
                p.private_pv,
                p.mobilised_pv,
                p.fund_pv,
                p.last_value_eur,
            )
            return self._with_persisting_value(t, value, resources, mobilised, grant, paying)
        scale = np.where(deployed, self.config.model.production.deployment_scale, 1.0)
        paying = p.grant_steps_left[rows] > 0
        # The few paying and new projects are set by index; the others' grant and
        # set-up cost are zero, as `np.where` made them.
        paid = np.flatnonzero(paying)
        grant = np.zeros(rows.size)
        grant[paid] = p.grant_eur_per_step[rows[paid]]
        mobilised = p.mobilised_eur[rows]
        private = p.own_eur[rows] * scale + mobilised
        productive = private + np.where(deployed, grant, 0.0)
        value = p.value_per_eur[rows] * productive
        setup = np.zeros(rows.size)
        setup[born:] = p.setup_eur[rows[born:]]
        resources = productive + setup
        p.grant_steps_left[rows[paid]] -= 1

        # Rows are distinct: `add.at` adds once per row, as `+=` would, in half the time.
        np.add.at(p.value_pv, rows, value * df)
        np.add.at(p.resources_pv, rows, resources * df)
        np.add.at(p.private_pv, rows, (private + setup) * df)
        np.add.at(p.mobilised_pv, rows, mobilised * df)
        # The others add a grant of zero: their present value stays as it is.
        np.add.at(p.fund_pv, rows[paid], grant[paid] * df)
        p.last_value_eur[rows] = value
        return self._with_persisting_value(t, value, resources, mobilised, grant, paying)

    def _with_persisting_value(
        self,
        t: int,
        value: np.ndarray,
        resources: np.ndarray,
        mobilised: np.ndarray,
        grant: np.ndarray,
        paying: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """The production's flows, with the persisting value of ended projects added.

        With `value_persistence_per_step` above 0, an ended project's last value
        persists at that rate per step, into its present value and the flows.
        """
        p, rows, df = self.projects, self._active, self.discount[t]
        value_rows = rows
        persistence = self.config.accounting.value_persistence_per_step
        if persistence > 0:
            ended = np.flatnonzero(p.column("death") >= 0)
            legacy = p.last_value_eur[ended] * libm.power(persistence, t - p.death[ended])
            p.value_pv[ended] += legacy * df
            value_rows = np.concatenate([rows, ended])
            value = np.concatenate([value, legacy])
        return {
            "value_rows": value_rows,
            "value": value,
            "resources": resources,
            "mobilised": mobilised,
            "grant": grant,
            "paying": paying,
        }

    def _relieve(self, value: np.ndarray) -> None:
        """Relieve fragilities with the value active projects produced this step.

        Args:
            value: Value of each active project this step (the first part of the
                production's `value` flow).
        """
        p, rows, territories = self.projects, self._active, self.territories
        if self.kernels is not None:
            cfg = self.config.model.fragility
            territories.fragility = self.kernels.relieve(
                rows,
                self.active_column("territory"),
                p.domain,
                self.active_column("alliance"),
                value,
                self.population.territory_count,
                territories.fragility,
                territories.fragility_initial,
                territories.alliance_relief,
                cfg.relief_rate,
                cfg.relief_half_saturation_eur_per_organisation,
                cfg.recovery_per_step,
            )
            return
        n_territories, n_domains = territories.fragility.shape
        cell = self.active_column("territory") * n_domains + p.domain[rows]
        alliance = self.active_column("alliance")
        size = n_territories * n_domains
        by_cell = np.bincount(cell, weights=value, minlength=size)
        by_alliances = np.bincount(cell[alliance], weights=value[alliance], minlength=size)
        relieve_fragility(
            territories,
            by_cell.reshape(n_territories, n_domains),
            by_alliances.reshape(n_territories, n_domains),
            self.population.territory_count,
            self.config.model.fragility,
        )

    def _survive(self, t: int, paying: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """End projects whose cumulative hazard reached their lifetime budget.

        Args:
            t: Current step.
            paying: Which active projects received a grant instalment this step;
                a deployed project's `D` counts the grant as a source only then.

        Returns:
            Mask of active rows that ended, and rows of alliance projects that
            became a success (reached the success age) or a failure (ended younger).
        """
        p, rows = self.projects, self._active
        # A project's hazard depends on its quality and diversification, fixed at
        # birth or backing, and on its state: deployed, and deployed while its grant
        # is paid. It is computed again only for the projects whose state changed
        # since it was last computed (new projects among them), each from its own
        # row alone, so the hazards are the same numbers as computed afresh.
        deployed = self.active_column("deployed")
        if self.kernels is not None:
            survival = self.config.model.survival
            self.kernels.refresh_hazards(
                rows,
                deployed,
                paying,
                self._hazard_state,
                p.quality,
                p.diversification,
                p.diversification_granted,
                self._hazard,
                survival.base_hazard,
                survival.quality_effect,
                survival.diversification_effect,
                survival.backing_hazard_factor,
            )
            return self.kernels.survive(
                rows,
                self._hazard,
                self.active_column("alliance"),
                p.cumulative_hazard,
                p.lifetime_budget,
                p.birth,
                p.death,
                t,
                self.config.model.trust.success_age_steps,
            )
        granted = paying & deployed
        state = deployed.view(np.int8) + 2 * granted.view(np.int8)
        stale = np.flatnonzero(state != self._hazard_state)
        if stale.size:
            changed = rows[stale]
            diversification = np.where(
                granted[stale], p.diversification_granted[changed], p.diversification[changed]
            )
            self._hazard[stale] = hazard(
                p.quality[changed], diversification, deployed[stale], self.config.model.survival
            )
            self._hazard_state[stale] = state[stale]
        cumulative = p.cumulative_hazard[rows] + self._hazard
        p.cumulative_hazard[rows] = cumulative
        ended = cumulative >= p.lifetime_budget[rows]
        p.death[rows[ended]] = t
        age = t - p.birth[rows] + 1
        success_age = self.config.model.trust.success_age_steps
        alliance = self.active_column("alliance")
        successes = rows[alliance & (age == success_age)]
        failures = rows[alliance & ended & (age < success_age)]
        return ended, successes, failures

    def _learn(self, successes: np.ndarray, failures: np.ndarray) -> None:
        """Update trust per territory and alliance capital per member organisation."""
        cfg = self.config.model.trust
        p, territories, population = self.projects, self.territories, self.population
        if self.kernels is not None:
            territories.trust = self.kernels.learn(
                successes,
                failures,
                p.territory,
                p.members,
                territories.trust,
                territories.alliance_successes,
                population.capital,
                cfg.learning_rate,
                cfg.pseudo_count,
                cfg.capital_gain,
                cfg.capital_loss,
                cfg.capital_decay_per_step,
            )
            return
        n_territories = territories.trust.size
        s = np.bincount(p.territory[successes], minlength=n_territories).astype(float)
        f = np.bincount(p.territory[failures], minlength=n_territories).astype(float)
        territories.trust = update_trust(territories.trust, s, f, cfg)
        territories.alliance_successes += s

        update_capital(
            population.capital, p.members[successes].ravel(), p.members[failures].ravel(), cfg
        )

    def run(self, on_step: Callable[[], None] | None = None) -> AllianceModel:
        """Run every step of the horizon.

        Args:
            on_step: Called after each step (a progress display, for long runs).

        Returns:
            This model, for chaining.
        """
        run_steps(self, self.config.scenario.n_steps, on_step)
        return self

    def free_stepping_state(self) -> AllianceModel:
        """Free what only stepping reads, once the world will not step again.

        The measures of a run (`simulation.run.measure`) read the project table, the
        landmarks, the recorder, the territories and the fund; the organisations'
        arrays, their loads and random streams, and the step's buffers are needed
        only to step. Freeing them after a world's run lets the second world of a
        pair reuse that memory: about 120 MB of a national `run()`'s peak. The
        world cannot step afterwards (its organisations are gone).

        Returns:
            This model, for chaining.
        """
        for name in ("population", "load", "_load_changed", "streams", "forgone"):
            self.__dict__.pop(name, None)
        self._gathered = {}
        self._hazard = self._hazard_state = None
        return self
