"""The alliance premium: frugality, durability and leverage, in two views.

The field reports alliance engineering makes projects 2x more frugal, 3x more
durable, with a leverage of 7 on the societal investment, without definitions.
These are the model's:

- frugality: the mean over projects of each project's resources used per unit of
  value (present values), without the fund's backing divided by with it;
- durability: restricted mean survival time (Kaplan-Meier), with over without;
- leverage: present value of social value created plus idle resources mobilised,
  per euro (present value) the fund paid out through all its instruments.

The `observed` view is what a field evaluator measures in the treated world:
projects backed by an innovation grant against comparable unbacked projects
(started during the fund's period in the same territories), with the fund's whole
spending attributed to the backed projects. The `causal` view compares the whole
treated world with its counterfactual (same seed, no fund): every project of each
world, and the extra value plus mobilised resources of the treated world. The gap
between the two views is selection (backed projects were picked for their
quality) and spill-over (engineering and the commons help unbacked projects too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.projects import ProjectTable
from simulation.survival import restricted_mean_survival_time

VIEWS: tuple[str, ...] = ("observed", "causal")


@dataclass(frozen=True)
class Premium:
    """The three ratios in one view; NaN where a ratio is undefined."""

    frugality: float
    durability: float
    leverage: float


def resources_per_value(projects: ProjectTable, rows: np.ndarray) -> float:
    """Mean over the given projects of resources used per unit of value (present values).

    Each project counts once, as in a field evaluation that computes every
    project's cost per unit of outcome and compares group means.
    """
    if rows.size == 0:
        return float("nan")
    return float(np.mean(projects.resources_pv[rows] / projects.value_pv[rows]))


def frugality_ratio(without: float, with_: float) -> float:
    """Resources per value without, over with: > 1 when backing makes projects frugal."""
    return without / with_ if with_ > 0 else float("nan")


def rmst(projects: ProjectTable, rows: np.ndarray, n_steps: int, tau_steps: float) -> float:
    """Restricted mean survival time of the given projects, in steps."""
    durations, ended = projects.durations(n_steps)
    return restricted_mean_survival_time(durations[rows], ended[rows], tau_steps)


def leverage_ratio(value_and_mobilised_pv: float, invested_pv: float) -> float:
    """Value plus mobilised resources per euro invested; NaN when nothing was invested."""
    return value_and_mobilised_pv / invested_pv if invested_pv > 0 else float("nan")


def comparison_groups(
    projects: ProjectTable, fund_period_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Backed projects, and the unbacked ones an evaluator would compare them with.

    Args:
        projects: Projects of the treated world.
        fund_period_steps: Steps during which the fund invested.

    Returns:
        (backed rows, comparable rows).
    """
    rows = np.arange(projects.size)
    backed = projects.column("backed")
    territory = projects.column("territory")
    backed_territories = np.zeros(territory.max(initial=0) + 1, dtype=bool)
    backed_territories[territory[backed]] = True
    comparable = (
        ~backed & (projects.column("birth") < fund_period_steps) & backed_territories[territory]
    )
    return rows[backed], rows[comparable]


def observed_premium(
    projects: ProjectTable,
    invested_pv: float,
    fund_period_steps: int,
    n_steps: int,
    tau_steps: float,
) -> Premium:
    """The premium an evaluator measures: backed against comparable unbacked projects.

    Args:
        projects: Projects of the treated world.
        invested_pv: Present value of everything the fund paid out, euro.
        fund_period_steps: Steps during which the fund invested.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.

    Returns:
        The premium; all NaN when no project was backed.
    """
    backed, comparable = comparison_groups(projects, fund_period_steps)
    if backed.size == 0 or comparable.size == 0:
        return Premium(float("nan"), float("nan"), float("nan"))
    gain = projects.value_pv[backed].sum() + projects.mobilised_pv[backed].sum()
    return Premium(
        frugality=frugality_ratio(
            resources_per_value(projects, comparable), resources_per_value(projects, backed)
        ),
        durability=rmst(projects, backed, n_steps, tau_steps)
        / rmst(projects, comparable, n_steps, tau_steps),
        leverage=leverage_ratio(gain, invested_pv),
    )


def causal_premium(
    treated: ProjectTable,
    counterfactual: ProjectTable,
    invested_pv: float,
    n_steps: int,
    tau_steps: float,
) -> Premium:
    """The premium only a simulation gives: the treated world against its counterfactual.

    Args:
        treated: Projects of the world with the fund.
        counterfactual: Projects of the same world (same seed) without it.
        invested_pv: Present value of everything the fund paid out, euro.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.

    Returns:
        The premium; leverage is NaN when nothing was invested.
    """
    all_treated = np.arange(treated.size)
    all_counterfactual = np.arange(counterfactual.size)
    gain = (treated.column("value_pv").sum() + treated.column("mobilised_pv").sum()) - (
        counterfactual.column("value_pv").sum() + counterfactual.column("mobilised_pv").sum()
    )
    return Premium(
        frugality=frugality_ratio(
            resources_per_value(counterfactual, all_counterfactual),
            resources_per_value(treated, all_treated),
        ),
        durability=rmst(treated, all_treated, n_steps, tau_steps)
        / rmst(counterfactual, all_counterfactual, n_steps, tau_steps),
        leverage=leverage_ratio(gain, invested_pv),
    )
