"""Projects: a growable struct of arrays, and the rules of production and survival.

A project answers one fragility of one territory. It is run by one organisation
alone (solo) or by an alliance of a lead and partners. Each step it turns
resources into social value and may end, with a hazard that falls with alliance
quality `Q` and resource diversification `D`. A project is identified across the
treated and counterfactual worlds by its lead organisation and birth step, which
is what its random draws are keyed on.
"""

from __future__ import annotations

import math
import mmap
from dataclasses import dataclass, fields
from types import ModuleType

import numpy as np

import simulation.libm as libm
from simulation.config import PROFILES, ProductionConfig, SurvivalConfig
from simulation.population import numpy_sum


@dataclass
class NewProjects:
    """Projects born this step, one row each (arrays of equal length).

    Attributes:
        lead: Lead organisation.
        members: Lead then partners, -1 where a slot is empty, shape (k, 1 + max_partners).
        territory: Territory of the lead.
        profile: Profile of the lead.
        domain: Action domain (fragility) answered.
        alliance: Whether the project has at least one partner.
        quality: Alliance quality `Q` (0 for solo projects).
        diversification: `D` in [0, 1).
        member_share: Share of the project's value credited to each member, in
            proportion to the resources it commits per step (own and mobilised),
            0 for empty slots; rows sum to 1, shape (k, 1 + max_partners).
        member_profile: Profile of each member, `len(PROFILES)` for empty slots
            (a bin of its own when value is credited by profile), shape (k, 1 + max_partners).
        own_eur: Members' own resources committed per step, euro.
        mobilised_eur: Idle resources the alliance mobilises per step, euro.
        value_per_eur: Social value per euro of resources.
        setup_eur: One-off set-up cost paid in the birth step, euro.
        lifetime_budget: Exponential(1) draw; the project ends when its cumulative hazard
            reaches it.
    """

    lead: np.ndarray
    members: np.ndarray
    territory: np.ndarray
    profile: np.ndarray
    domain: np.ndarray
    alliance: np.ndarray
    quality: np.ndarray
    diversification: np.ndarray
    member_share: np.ndarray
    member_profile: np.ndarray
    own_eur: np.ndarray
    mobilised_eur: np.ndarray
    value_per_eur: np.ndarray
    setup_eur: np.ndarray
    lifetime_budget: np.ndarray


def member_shares(contributions: np.ndarray) -> np.ndarray:
    """Each member's share of a project's value, from what it commits per step.

    Args:
        contributions: Euro per step each member commits (own resources plus its
            mobilised idle resources), 0 for empty slots, shape (k, slots).

    Returns:
        Shares summing to 1 per project, shape (k, slots); equal shares among
        the members (the lead, at least) when nobody commits anything.
    """
    totals = numpy_sum(contributions)[:, None]
    committed = totals > 0
    shares = contributions / np.where(committed, totals, 1.0)
    # Rows where nobody commits anything: the lead's share is 1.
    shares[~committed[:, 0]] = np.eye(1, contributions.shape[1])
    return shares


def value_per_eur(quality: np.ndarray, fragility: np.ndarray, cfg: ProductionConfig) -> np.ndarray:
    """Social value one euro of resources produces: `pi (1 + phi Q) (0.5 + f)`.

    Alliances are frugal: the factor `1 + phi Q` lowers the resources needed per
    unit of value. Value is worth more where the fragility `f` it answers is high.

    Args:
        quality: Alliance quality `Q`.
        fragility: Fragility of the project's domain in its territory.
        cfg: Production parameters.

    Returns:
        Value per euro.
    """
    return cfg.productivity * (1.0 + cfg.frugality_gain * quality) * (0.5 + fragility)


def resource_cells(
    member_pillars: np.ndarray, mobilised_eur: np.ndarray, grant_eur: np.ndarray
) -> np.ndarray:
    """A project's resources split by (partner, source), the cells `D` is computed on.

    Args:
        member_pillars: Members' pillar amounts, shape (k, slots, 5); the fifth
            component (idle resources) is not spent directly and is left out.
        mobilised_eur: Idle resources the alliance mobilises per step, shape (k,).
        grant_eur: Fund grant per step, shape (k,).

    Returns:
        Euro per step, shape (k, 4 * slots + 2).
    """
    k, slots, _ = member_pillars.shape
    own = member_pillars[:, :, :4].reshape(k, 4 * slots)
    return np.concatenate([own, mobilised_eur[:, None], grant_eur[:, None]], axis=1)


def diversification(cells: np.ndarray) -> np.ndarray:
    """Diversification `D = 1 - sum(s^2)` of a project's resources.

    Args:
        cells: Euro per step of every (partner, source) pair of a project, including
            mobilised and fund resources, shape (k, cells); zeros are ignored.

    Returns:
        `D` in [0, 1): 0 when one partner brings one kind of resource.
    """
    totals = numpy_sum(cells)[..., None]
    shares = np.divide(cells, totals, out=np.zeros_like(cells), where=totals > 0)
    return 1.0 - numpy_sum(shares**2)


def hazard(
    quality: np.ndarray, diversification: np.ndarray, deployed: np.ndarray, cfg: SurvivalConfig
) -> np.ndarray:
    """Hazard per step: `h0 exp(-gQ Q - gD D)`, times a factor once deployed.

    Args:
        quality: Alliance quality `Q`.
        diversification: `D` this step (with the grant as a source while it is paid).
        deployed: Whether a partnership innovation grant took the project to
            deployment (backed by a fund that is not a placebo).
        cfg: Survival parameters.

    Returns:
        Hazard per step.
    """
    factor = np.where(deployed, cfg.backing_hazard_factor, 1.0)
    return (
        cfg.base_hazard
        * libm.exp(-cfg.quality_effect * quality - cfg.diversification_effect * diversification)
        * factor
    )


@dataclass
class ProjectTable:
    """Every project ever started in one run, one row each.

    Columns are numpy arrays over capacity; rows `[0, size)` are in use. Accumulated
    amounts (`*_pv`) are present values at the run's discount rate:
    `resources_pv` is everything the project used, `private_pv` the part not paid
    by the fund (members' own and mobilised resources, set-up costs), `fund_pv`
    the grant the fund paid it (used only when `deployed`).

    `backed` records the fund's selection and `backed_step` when it happened;
    `deployed` says whether the backing took effect (false under a placebo fund).
    `diversification_granted` is `D` with the grant as one more source, which
    applies while the grant is paid.
    """

    lead: np.ndarray
    members: np.ndarray
    territory: np.ndarray
    profile: np.ndarray
    domain: np.ndarray
    alliance: np.ndarray
    quality: np.ndarray
    diversification: np.ndarray
    member_share: np.ndarray
    member_profile: np.ndarray
    own_eur: np.ndarray
    mobilised_eur: np.ndarray
    value_per_eur: np.ndarray
    setup_eur: np.ndarray
    lifetime_budget: np.ndarray
    birth: np.ndarray
    death: np.ndarray
    cumulative_hazard: np.ndarray
    backed: np.ndarray
    backed_step: np.ndarray
    deployed: np.ndarray
    diversification_granted: np.ndarray
    grant_eur_per_step: np.ndarray
    grant_steps_left: np.ndarray
    last_value_eur: np.ndarray
    value_pv: np.ndarray
    resources_pv: np.ndarray
    private_pv: np.ndarray
    mobilised_pv: np.ndarray
    fund_pv: np.ndarray
    size: int = 0

    @classmethod
    def empty(cls, max_members: int, capacity: int = 1024) -> ProjectTable:
        """A table with no rows.

        Args:
            max_members: Lead plus the most partners an alliance can have.
            capacity: Initial number of rows allocated.

        Returns:
            An empty table.
        """
        columns = {f.name: _column(f.name, capacity, max_members) for f in fields(cls)}
        del columns["size"]
        return cls(**columns)

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return self.lead.shape[0]

    def add(self, new: NewProjects, step: int, kernels: ModuleType | None = None) -> np.ndarray:
        """Append the projects born at `step`.

        Args:
            new: The new projects.
            step: Their birth step.
            kernels: The compiled kernels (`kernel.select`), which set the state
                columns' initial values in one call, or None for numpy's.

        Returns:
            Their row indices.
        """
        new_rows = self._append(new.lead.size)
        for name in _NEW_COLUMNS:
            getattr(self, name)[new_rows] = getattr(new, name)
        if kernels is not None:
            kernels.start_rows(
                new_rows.start,
                new_rows.stop,
                step,
                self.birth,
                self.death,
                self.backed_step,
                self.grant_steps_left,
                self.backed,
                self.deployed,
                self.cumulative_hazard,
                self.diversification_granted,
                self.grant_eur_per_step,
                self.last_value_eur,
                self.value_pv,
                self.resources_pv,
                self.private_pv,
                self.mobilised_pv,
                self.fund_pv,
            )
            return np.arange(new_rows.start, new_rows.stop)
        self.birth[new_rows] = step
        for name in _STATE_COLUMNS:
            getattr(self, name)[new_rows] = _INITIAL.get(name, 0)
        return np.arange(new_rows.start, new_rows.stop)

    def add_blank(self, count: int) -> slice:
        """Append rows with every column at its initial value, to fill in by hand.

        Initial values: -1 for `death`, `backed_step` and empty `members` slots,
        `len(PROFILES)` for empty `member_profile` slots, 0 (or False) elsewhere.

        Args:
            count: Rows to append.

        Returns:
            The new rows.
        """
        new_rows = self._append(count)
        for f in fields(self):
            if f.name != "size":
                getattr(self, f.name)[new_rows] = _INITIAL.get(f.name, 0)
        return new_rows

    def _append(self, count: int) -> slice:
        """Make room for `count` more rows and count them in; their values are unset."""
        if self.size + count > self.capacity:
            self._grow(max(2 * self.capacity, self.size + count))
        new_rows = slice(self.size, self.size + count)
        self.size += count
        return new_rows

    def _grow(self, capacity: int) -> None:
        for f in fields(self):
            if f.name == "size":
                continue
            old = getattr(self, f.name)
            grown = _column(f.name, capacity, self.members.shape[1])
            grown[: self.size] = old[: self.size]
            setattr(self, f.name, grown)

    def column(self, name: str) -> np.ndarray:
        """The rows in use of one column (a view)."""
        return getattr(self, name)[: self.size]

    def durations(self, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Lifetimes in steps and whether each ended (else censored at the horizon).

        Args:
            n_steps: Steps in the run.

        Returns:
            (durations, ended) for every project.
        """
        birth = self.column("birth")
        death = self.column("death")
        ended = death >= 0
        end = np.where(ended, death + 1, n_steps)
        return end - birth, ended


# Columns of at least this many bytes are mapped by `_empty` (numpy's threshold for
# advising huge pages).
_MAPPED_FROM = 4 << 20
_INT_COLUMNS = {"lead", "territory", "birth", "death", "backed_step", "grant_steps_left"}
_SMALL_INT_COLUMNS = {"profile", "domain"}
_BOOL_COLUMNS = {"alliance", "backed", "deployed"}


# Columns a new row takes from `NewProjects`.
_NEW_COLUMNS = tuple(f.name for f in fields(NewProjects))
# Columns a new row takes neither from `NewProjects` nor from its birth step, and
# their initial values (else 0); `compiled.start_rows` sets the same.
_STATE_COLUMNS = tuple(
    f.name
    for f in fields(ProjectTable)
    if f.name not in {"size", "birth"} and f.name not in {g.name for g in fields(NewProjects)}
)
_INITIAL = {"death": -1, "backed_step": -1, "members": -1, "member_profile": len(PROFILES)}


def _column(name: str, capacity: int, max_members: int) -> np.ndarray:
    """An uninitialised column.

    Rows are read only once `add` (or `add_blank`) has written every column of them, so the
    capacity held in reserve costs neither memory nor time: the system maps its
    pages as rows are written (a zeroed reserve made first writes ten times
    slower, each page fault zeroing the page).
    """
    if name == "members":
        return _empty((capacity, max_members), np.int64)
    if name == "member_share":
        return _empty((capacity, max_members), np.float64)
    if name == "member_profile":
        return _empty((capacity, max_members), np.int8)
    if name in _INT_COLUMNS:
        return _empty((capacity,), np.int64)
    if name in _SMALL_INT_COLUMNS:
        return _empty((capacity,), np.int16)
    if name in _BOOL_COLUMNS:
        return _empty((capacity,), np.bool_)
    return _empty((capacity,), np.float64)


def _empty(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """An uninitialised array whose pages the system maps as its rows are first written.

    numpy advises the system to back every array of 4 MB or more with huge pages
    (`madvise(MADV_HUGEPAGE)`). Where transparent huge pages are granted on that
    advice and the kernel compacts memory to find them (`defrag` on `madvise`, as
    on these machines), the first write to each 2 MB page of a growing table waits
    for that compaction. A large column is therefore an anonymous private mapping
    of its own (`mmap`), without the advice: the system maps it 4 kB page by page,
    zero-filled, and unmaps it with the array. A national world spends half the
    system time (0.48 against 0.88 s) and about 11 % less wall time; docs/
    performance.md ("One run") has the measure. The numbers are the same: only where
    the memory comes from changes.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes < _MAPPED_FROM:
        return np.empty(shape, dtype=dtype)
    mapping = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mapping, dtype=dtype).reshape(shape)
