"""Organisations as a struct of arrays: one row per organisation.

France counts over a million associations, so organisations are not Python
objects in the hot path. Each has a profile, a home territory and three pillars:
human wealth `H` (FTE it can devote to projects), financial resources `F` by
source (grants, revenue, societal investment; euro per step) and alliance
capital `A` in [0, 1]. It also holds `idle` resources (volunteers, skills
sponsorship, co-funding) that only an alliance mobilises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config import PROFILES, ScenarioConfig, TrustConfig

FINANCE_SOURCES: tuple[str, ...] = ("grants", "revenue", "societal_investment")
# Columns of the pillar matrix used for complementarity and diversification.
PILLAR_COMPONENTS: tuple[str, ...] = ("human", *FINANCE_SOURCES, "idle")
# numpy's pairwise summation: running sums unrolled by eight, blocks of 128 terms.
_UNROLL = 8
_PAIRWISE_BLOCK = 128


@dataclass
class Population:
    """Organisations, sorted by territory so each territory is a contiguous block.

    Attributes:
        profile: Profile index into `PROFILES`, shape (n,).
        territory: Home territory index, shape (n,).
        pillar_eur: What each organisation brings to a project per step, in euro,
            over `PILLAR_COMPONENTS`: human wealth `H` (FTE valued at the wage),
            financial resources `F` by source, and idle resources, shape (n, 5).
        capital: Alliance capital `A` in [0, 1], shape (n,).
        territory_start: First organisation index of each territory, shape (t,).
        territory_count: Number of organisations in each territory, shape (t,).
        territory_profile: Each organisation's cell of a (territory, profile) table,
            `territory * len(PROFILES) + profile`, shape (n,).
    """

    profile: np.ndarray
    territory: np.ndarray
    pillar_eur: np.ndarray
    capital: np.ndarray
    territory_start: np.ndarray
    territory_count: np.ndarray
    territory_profile: np.ndarray

    @property
    def size(self) -> int:
        """Number of organisations."""
        return self.profile.size

    @property
    def pillar_share(self) -> np.ndarray:
        """Every organisation's pillars as shares (`shares_of` all of them), shape (n, 5)."""
        return pillar_shares(self.pillar_eur)

    def shares_of(self, organisations: np.ndarray) -> np.ndarray:
        """Some organisations' pillars as shares summing to 1 (0 for one that brings nothing).

        Computed from the gathered pillars when asked: the same numbers as a
        stored table of shares, without its memory (50 MB a national world).

        Args:
            organisations: Organisation indices, any shape.

        Returns:
            Shares, shape (*organisations.shape, 5).
        """
        return pillar_shares(np.take(self.pillar_eur, organisations, axis=0))

    def member_pillars(self, members: np.ndarray) -> np.ndarray:
        """Pillar amounts of each project's members, zeros for empty slots (-1).

        Args:
            members: Organisation indices, -1 for empty slots, shape (k, slots).

        Returns:
            Euro per step, shape (k, slots, 5).
        """
        present = members >= 0
        rows = np.where(present, members, 0)
        return np.take(self.pillar_eur, rows, axis=0) * present[:, :, None]

    @classmethod
    def create(
        cls,
        scenario: ScenarioConfig,
        organisations_per_territory: np.ndarray,
        wage_eur_per_fte_step: float,
        rng: np.random.Generator,
    ) -> Population:
        """Draw a population: profiles, sizes and pillars.

        Args:
            scenario: World configuration (profile shares and pillar means).
            organisations_per_territory: How many organisations live in each territory.
            wage_eur_per_fte_step: Value of one FTE for one step, in euro.
            rng: The model's seeded generator.

        Returns:
            A new population sorted by territory.
        """
        n = int(organisations_per_territory.sum())
        territory = np.repeat(
            np.arange(organisations_per_territory.size), organisations_per_territory
        )
        shares = np.array([scenario.profiles[p].share for p in PROFILES])
        profile = rng.choice(len(PROFILES), size=n, p=shares / shares.sum())
        sigma = scenario.organisation_size_sigma
        # Mean-one lognormal: profiles keep their configured means.
        size = rng.lognormal(mean=-0.5 * sigma**2, sigma=sigma, size=n)
        means = (
            np.array(
                [
                    [
                        scenario.profiles[p].human_fte * wage_eur_per_fte_step,
                        scenario.profiles[p].grants_eur,
                        scenario.profiles[p].revenue_eur,
                        scenario.profiles[p].societal_investment_eur,
                        scenario.profiles[p].idle_eur,
                    ]
                    for p in PROFILES
                ]
            )
            * scenario.money_scale
        )
        start = np.concatenate(([0], np.cumsum(organisations_per_territory)[:-1]))
        pillar_eur = means[profile] * size[:, None]
        return cls(
            profile=profile.astype(np.int8),
            territory=territory.astype(np.int32),
            pillar_eur=pillar_eur,
            capital=np.zeros(n),
            territory_start=start.astype(np.int64),
            territory_count=organisations_per_territory.astype(np.int64),
            territory_profile=territory * len(PROFILES) + profile,
        )


def pillar_shares(pillar_eur: np.ndarray) -> np.ndarray:
    """Pillar amounts as shares summing to 1 over the last axis, 0 where they sum to 0.

    Args:
        pillar_eur: Pillar amounts, shape (..., 5).

    Returns:
        Shares, same shape.
    """
    totals = numpy_sum(pillar_eur)[..., None]
    return np.divide(pillar_eur, totals, out=np.zeros_like(pillar_eur), where=totals > 0)


def complementarity(shares_a: np.ndarray, shares_b: np.ndarray) -> np.ndarray:
    """How different two organisations' pillar mixes are, in [0, 1].

    The total-variation distance between the two share vectors: 0 for identical
    mixes, 1 for organisations that bring entirely different kinds of resources.

    Args:
        shares_a: Pillar shares, shape (..., 5).
        shares_b: Pillar shares, same shape.

    Returns:
        Complementarity, shape (...).
    """
    return 0.5 * sum_components(np.abs(shares_a - shares_b))


def sum_components(x: np.ndarray) -> np.ndarray:
    """Sum over a short last axis (pillar components, member slots), adding in order.

    Column by column, without numpy's slow reduction over a short last axis.
    Below eight terms these are the numbers of `x.sum(axis=-1)` too (numpy adds
    so few in order); from eight on numpy adds pairwise (`numpy_sum`).

    Args:
        x: Array whose last axis is short, shape (..., c).

    Returns:
        Shape (...).
    """
    n = x.shape[-1]
    if n < _UNROLL and _few_rows(x):
        return x.sum(axis=-1)
    total = x[..., 0].copy()
    for component in range(1, n):
        total += x[..., component]
    return total


def numpy_sum(x: np.ndarray) -> np.ndarray:
    """`x.sum(axis=-1)` over a short last axis, bit for bit, column by column.

    numpy adds a row of fewer than eight terms in order (`sum_components`); from
    eight to 128 terms, pairwise: eight running sums over the terms in blocks of
    eight, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then
    the remaining terms in order. Longer rows, and arrays of few rows, are left
    to numpy itself.

    Args:
        x: Array whose last axis is short and innermost (C order), shape (..., c).

    Returns:
        Shape (...).
    """
    n = x.shape[-1]
    if n > _PAIRWISE_BLOCK or _few_rows(x):
        return x.sum(axis=-1)
    if n < _UNROLL:
        return sum_components(x)
    blocks = n - n % _UNROLL
    running = [x[..., j].copy() for j in range(_UNROLL)]
    for start in range(_UNROLL, blocks, _UNROLL):
        for j in range(_UNROLL):
            running[j] += x[..., start + j]
    r = running
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for component in range(blocks, n):
        total += x[..., component]
    return total


def count_true(mask: np.ndarray) -> np.ndarray:
    """How many entries of each row of a boolean array are true (`mask.sum(axis=-1)`).

    Column by column, without numpy's slow reduction over a short last axis.

    Args:
        mask: Booleans, shape (..., c).

    Returns:
        Counts, int64, shape (...).
    """
    if _few_rows(mask):
        return mask.sum(axis=-1)
    count = mask[..., 0].astype(np.int64)
    for column in range(1, mask.shape[-1]):
        count += mask[..., column]
    return count


def any_true(mask: np.ndarray) -> np.ndarray:
    """Whether any entry of each row of a boolean array is true (`mask.any(axis=-1)`).

    Args:
        mask: Booleans, shape (..., c).

    Returns:
        Shape (...).
    """
    if _few_rows(mask):
        return mask.any(axis=-1)
    found = mask[..., 0].copy()
    for column in range(1, mask.shape[-1]):
        found |= mask[..., column]
    return found


def _few_rows(x: np.ndarray) -> bool:
    """Whether numpy's own reduction over the last axis is the quicker one for `x`.

    It loops over the rows, a column loop makes a call per column: below about
    `10 c^2` rows of `c` columns (measured for `c` from 4 to 18) the rows are
    too few to pay for the calls. Either gives the same numbers.
    """
    columns = x.shape[-1]
    return x.size < 10 * columns**3


def update_capital(
    capital: np.ndarray, gained: np.ndarray, lost: np.ndarray, cfg: TrustConfig
) -> None:
    """Alliance capital after one step, in place.

    `A <- clip(A (1 - d_A) + gain S - loss F, 0, 1)`, with `S` and `F` the
    organisation's alliances that became a success or a failure this step. Every
    organisation decays; only the few that were in such an alliance need the
    rest (for the others, adding zero and clipping change nothing), so the step
    costs one pass over the organisations, not five.

    Args:
        capital: `A` of every organisation, updated in place, shape (n,).
        gained: Members of this step's successes, -1 for empty slots.
        lost: Members of this step's failures, -1 for empty slots.
        cfg: Trust parameters (gain, loss and decay of capital).
    """
    np.multiply(capital, 1.0 - cfg.capital_decay_per_step, out=capital)
    gained, lost = gained[gained >= 0], lost[lost >= 0]
    members = np.sort(np.concatenate([gained, lost]))
    if members.size == 0:
        return
    touched = members[np.concatenate(([True], members[1:] != members[:-1]))]
    successes = np.bincount(np.searchsorted(touched, gained), minlength=touched.size)
    failures = np.bincount(np.searchsorted(touched, lost), minlength=touched.size)
    change = cfg.capital_gain * successes - cfg.capital_loss * failures
    capital[touched] = np.clip(capital[touched] + change, 0.0, 1.0)
