"""The fund: a budget spent by a strategy through three instruments.

1. territorial engineering grants raise a territory's engineering capacity `E`;
2. partnership innovation grants take an alliance project from proof of concept
   to deployment (lower hazard, larger scale);
3. structural investment builds the knowledge commons `K`.

The budget is spread evenly over the fund's period. Engineering and structural
money is spent in the step it is allocated; innovation money accumulates in a
pool and is committed one ticket at a time to the most promising eligible
alliance projects (highest quality first), at most `max_tickets_per_territory`
to one territory when that is set. Commitments never exceed the budget.

A placebo fund (`fund.placebo`) spends exactly the same way, but nothing it pays
for takes effect: `Allocation.effective` is empty, and backed projects are not
`deployed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.config import FundConfig
from simulation.projects import diversification, resource_cells
from simulation.state import Allocation

if TYPE_CHECKING:
    from simulation.state import ModelState, TerritoryState


def target_mask(target: str, territories: TerritoryState, top_k: int) -> np.ndarray:
    """Which territories a targeting rule selects.

    Args:
        target: One of `TARGETS`: all, small, small_medium, maturity_1_2,
            maturity_3_4, most_mature (the `top_k` most mature, then most engineered).
        territories: Territory state.
        top_k: Number of territories for `most_mature`.

    Returns:
        Boolean mask, shape (t,).
    """
    size, maturity = territories.size_class, territories.maturity
    if target == "all":
        return np.ones(size.size, dtype=bool)
    if target == "small":
        return size == 0
    if target == "small_medium":
        return size <= 1
    if target == "maturity_1_2":
        return maturity <= 2
    if target == "maturity_3_4":
        return maturity >= 3
    if target == "most_mature":
        order = np.lexsort((-territories.engineering, -maturity))
        mask = np.zeros(size.size, dtype=bool)
        mask[order[:top_k]] = True
        return mask
    msg = f"unknown target {target!r}"
    raise ValueError(msg)


def rank_within(groups: np.ndarray) -> np.ndarray:
    """Each element's rank among the earlier elements of its group (0 for the first).

    Args:
        groups: Group of each element, in the order that ranks them.

    Returns:
        Ranks, shape of `groups`.
    """
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    first = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    starts = np.flatnonzero(first)
    position = np.arange(groups.size)
    rank = np.empty(groups.size, dtype=np.int64)
    rank[order] = position - np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    return rank


class Fund(mesa.Agent):
    """The fund, investing through its strategy.

    Args:
        model: The model it invests in.
        cfg: Budget, period, ticket and strategy.
        steps_per_year: Steps in one year.
    """

    def __init__(self, model: ModelState, cfg: FundConfig, steps_per_year: int) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.period_steps = max(1, round(cfg.years * steps_per_year))
        invests = cfg.strategy.invests and cfg.budget_eur > 0
        self.budget_per_step = cfg.budget_eur / self.period_steps if invests else 0.0
        self.innovation_pool_eur = 0.0
        self.committed_eur = 0.0
        self.tickets_by_territory = np.zeros(model.territories.engineering.size, dtype=np.int64)

    def is_investing(self, step: int) -> bool:
        """Whether the fund disburses money at this step."""
        return self.budget_per_step > 0 and step < self.period_steps

    def allocate(self, step: int) -> Allocation:
        """Disburse this step's engineering and structural money; fill the innovation pool.

        Args:
            step: Current step.

        Returns:
            The engineering grants and structural investment of this step.
        """
        territories = self.model.territories
        engineering = np.zeros(territories.engineering.size)
        if not self.is_investing(step):
            return Allocation(engineering, 0.0, self.cfg.placebo)
        shares = self.cfg.strategy.shares
        targets = target_mask(
            self.cfg.strategy.engineering_target, territories, self.cfg.strategy.top_k
        )
        if targets.any():
            engineering[targets] = self.budget_per_step * shares["engineering"] / targets.sum()
        structural = self.budget_per_step * shares["structural"]
        self.innovation_pool_eur += self.budget_per_step * shares["innovation"]
        self.committed_eur += engineering.sum() + structural
        return Allocation(engineering, structural, self.cfg.placebo)

    def back_projects(self, step: int) -> np.ndarray:
        """Commit innovation grants to the best eligible alliance projects.

        Eligible: alive, an alliance, not yet backed, at least
        `proof_of_concept_steps` old, in a targeted territory. The backed
        projects and their matched controls are recorded in the model's
        `landmarks`.

        Args:
            step: Current step.

        Returns:
            Rows of the projects backed this step.
        """
        projects = self.model.projects
        ticket = self.cfg.ticket_eur
        affordable = int(self.innovation_pool_eur // ticket)
        if not self.is_investing(step) or affordable == 0:
            return np.empty(0, dtype=np.int64)
        targets = target_mask(
            self.cfg.strategy.innovation_target, self.model.territories, self.cfg.strategy.top_k
        )
        # The projects alive are the model's active rows, ascending.
        rows = self.model._active
        eligible = rows[
            projects.alliance[rows]
            & ~projects.backed[rows]
            & (step - projects.birth[rows] >= self.cfg.proof_of_concept_steps)
            & targets[projects.territory[rows]]
        ]
        # Highest quality first; stable sort keeps birth order among equals.
        ranked = eligible[np.argsort(-projects.quality[eligible], kind="stable")]
        cap = self.cfg.max_tickets_per_territory
        if cap > 0:
            territory = projects.territory[ranked]
            room = cap - self.tickets_by_territory[territory]
            ranked = ranked[rank_within(territory) < room]
        best = ranked[:affordable]
        np.add.at(self.tickets_by_territory, projects.territory[best], 1)
        grant = ticket / self.cfg.grant_steps
        self.model.landmarks.record(
            projects, self.model.territories.size_class, step, best, eligible, self.model.kernels
        )
        projects.backed[best] = True
        projects.backed_step[best] = step
        projects.deployed[best] = not self.cfg.placebo
        projects.grant_eur_per_step[best] = grant
        projects.grant_steps_left[best] = self.cfg.grant_steps
        cells = resource_cells(
            self.model.population.member_pillars(projects.members[best]),
            projects.mobilised_eur[best],
            np.full(best.size, grant),
        )
        projects.diversification_granted[best] = diversification(cells)
        self.innovation_pool_eur -= ticket * best.size
        self.committed_eur += ticket * best.size
        return best
