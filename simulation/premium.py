"""The alliance premium: frugality, durability and leverage, in four views.

The field reports that alliance engineering makes projects 2x more frugal, 3x more
durable, with a coefficient of 7 on the societal investment, without definitions.
These are the model's (equations in `docs/model.md`, section 8):

- frugality: the mean over projects of each project's resources used per unit of
  value (present values), without the fund divided by with it;
- durability: restricted mean survival time (Kaplan-Meier), with over without;
- leverage, in three measures that are never added together, each per euro
  (present value) the fund paid out through all its instruments:
  `value` (social value), `resources` (private resources: members' own and
  mobilised resources and set-up costs, everything not paid by the fund) and
  `net` (value minus resources).

The four views, from what a field evaluator sees to what only a simulation gives:

- `observed`: backed projects against comparable unbacked projects of the treated
  world, lifetimes counted from birth; leverage counts the backed projects' whole
  value (the naive design);
- `matched`: from the landmark of backing, each backed project against unbacked
  alliances eligible at the same step, matched on quality, territory and cohort
  (`landmarks`); leverage counts the backed projects' value after the landmark
  beyond their controls';
- `effect_on_backed`: each backed project against its twin in the counterfactual
  world (same lead, same birth step, same random numbers);
- `causal`: the whole treated world against its counterfactual.

So `observed = effect_on_backed x selection` for frugality and durability, and
`observed = effect_on_backed + selection` (the backed projects' deadweight) for
leverage; `causal = effect_on_backed + spill-over` for leverage (`decompose`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.projects import ProjectTable
from simulation.survival import restricted_mean_survival_time

VIEWS: tuple[str, ...] = ("observed", "matched", "effect_on_backed", "causal")
MEASURES: tuple[str, ...] = ("value", "net", "resources")
PROJECT_TYPES: tuple[str, ...] = ("solo", "alliance")
NAN = float("nan")


@dataclass(frozen=True)
class Leverage:
    """Leverage per euro the fund paid; `net` is `value - resources`.

    Attributes:
        value: Social value (present value) per euro paid.
        resources: Private resources (present value) per euro paid.
    """

    value: float
    resources: float

    @property
    def net(self) -> float:
        """Social value net of the private resources it used, per euro paid."""
        return self.value - self.resources

    def measure(self, name: str) -> float:
        """One of `MEASURES` by name."""
        return getattr(self, name)


@dataclass(frozen=True)
class Premium:
    """The premium in one view; NaN where a figure is undefined."""

    frugality: float
    durability: float
    leverage: Leverage


UNDEFINED = Premium(NAN, NAN, Leverage(NAN, NAN))


def per_eur(amount: float, paid_pv: float) -> float:
    """An amount per euro paid; NaN when nothing was paid."""
    return amount / paid_pv if paid_pv > 0 else NAN


def ratio(numerator: float, denominator: float) -> float:
    """A ratio of two positive figures; NaN when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else NAN


def mean_cost_per_value(
    resources: np.ndarray, value: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Weighted mean over projects of resources used per unit of value.

    Each project counts once, as in a field evaluation that computes every
    project's cost per unit of outcome and compares group means. Projects that
    produced no value are left out.
    """
    weights = np.ones(resources.size) if weights is None else weights
    keep = (value > 0) & (weights > 0)
    if not keep.any():
        return NAN
    return float(np.average(resources[keep] / value[keep], weights=weights[keep]))


def rmst(projects: ProjectTable, rows: np.ndarray, n_steps: int, tau_steps: float) -> float:
    """Restricted mean survival time of the given projects from birth, in steps."""
    durations, ended = projects.durations(n_steps)
    return restricted_mean_survival_time(durations[rows], ended[rows], tau_steps)


def comparison_groups(
    projects: ProjectTable, fund_period_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Backed projects, and the unbacked ones a naive evaluator compares them with.

    The comparison group is every unbacked project (solo or alliance) started
    during the fund's period in a territory where at least one project was backed.

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
    paid_pv: float,
    fund_period_steps: int,
    n_steps: int,
    tau_steps: float,
) -> Premium:
    """The premium a naive evaluator measures: backed against comparable projects.

    Args:
        projects: Projects of the treated world.
        paid_pv: Present value of everything the fund paid out, euro.
        fund_period_steps: Steps during which the fund invested.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.

    Returns:
        The premium; all NaN when no project was backed.
    """
    backed, comparable = comparison_groups(projects, fund_period_steps)
    if backed.size == 0 or comparable.size == 0:
        return UNDEFINED
    resources, value = projects.resources_pv, projects.value_pv
    return Premium(
        frugality=ratio(
            mean_cost_per_value(resources[comparable], value[comparable]),
            mean_cost_per_value(resources[backed], value[backed]),
        ),
        durability=ratio(
            rmst(projects, backed, n_steps, tau_steps),
            rmst(projects, comparable, n_steps, tau_steps),
        ),
        leverage=Leverage(
            value=per_eur(value[backed].sum(), paid_pv),
            resources=per_eur(projects.private_pv[backed].sum(), paid_pv),
        ),
    )


@dataclass(frozen=True)
class MatchedPremium:
    """The matched view and how well the matching went.

    Attributes:
        premium: The premium.
        matched_share: Share of backed projects with at least one control.
        same_territory_share: Share of backed projects matched in their own territory.
    """

    premium: Premium
    matched_share: float
    same_territory_share: float


def matched_premium(
    projects: ProjectTable,
    landmarks: dict[str, np.ndarray],
    paid_pv: float,
    n_steps: int,
    tau_steps: float,
) -> MatchedPremium:
    """The premium a careful evaluator measures: from the landmark, against matched controls.

    Each backed project counts once; its controls share its weight equally.
    Outcomes after the landmark are the final present values minus the landmark
    snapshot; lifetimes are counted from the landmark step.

    Args:
        projects: Projects of the treated world.
        landmarks: `Landmarks.arrays()` of the treated world.
        paid_pv: Present value of everything the fund paid out, euro.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.

    Returns:
        The matched premium; NaN figures when no backed project found a control.
    """
    controls = landmarks["controls"]
    n_controls = (controls >= 0).sum(axis=1)
    found = n_controls > 0
    if landmarks["backed"].size == 0:
        return MatchedPremium(UNDEFINED, NAN, NAN)
    same_share = float(landmarks["same_territory"].mean())
    if not found.any():
        return MatchedPremium(UNDEFINED, 0.0, same_share)
    rows = np.concatenate([landmarks["backed"][:, None], controls], axis=1)[found]
    present = rows >= 0
    safe = np.where(present, rows, 0)
    # Slot 0 is the backed project (weight 1), the others its controls (1/k each).
    weights = np.where(present, 1.0 / n_controls[found][:, None], 0.0)
    weights[:, 0] = 1.0

    def after(column: str) -> np.ndarray:
        return np.where(present, getattr(projects, column)[safe], 0.0) - landmarks[column][found]

    value, private, resources = after("value_pv"), after("private_pv"), after("resources_pv")
    durations, ended = projects.durations(n_steps)
    remaining = (durations[safe] + projects.birth[safe]) - landmarks["step"][found][:, None]
    backed_rmst = restricted_mean_survival_time(remaining[:, 0], ended[safe][:, 0], tau_steps)
    control_rmst = restricted_mean_survival_time(
        remaining[:, 1:][present[:, 1:]],
        ended[safe][:, 1:][present[:, 1:]],
        tau_steps,
        weights[:, 1:][present[:, 1:]],
    )
    control_weights = weights[:, 1:]
    premium = Premium(
        frugality=ratio(
            mean_cost_per_value(
                resources[:, 1:].ravel(), value[:, 1:].ravel(), control_weights.ravel()
            ),
            mean_cost_per_value(resources[:, 0], value[:, 0]),
        ),
        durability=ratio(backed_rmst, control_rmst),
        leverage=Leverage(
            value=per_eur(
                float((value[:, 0] - (value[:, 1:] * control_weights).sum(axis=1)).sum()), paid_pv
            ),
            resources=per_eur(
                float((private[:, 0] - (private[:, 1:] * control_weights).sum(axis=1)).sum()),
                paid_pv,
            ),
        ),
    )
    return MatchedPremium(premium, float(found.mean()), same_share)


def twins(
    treated: ProjectTable, counterfactual: ProjectTable, rows: np.ndarray, n_organisations: int
) -> np.ndarray:
    """Each project's twin in the counterfactual world, -1 where it has none.

    The twin rule: the counterfactual project with the same lead organisation and
    the same birth step. Every random number of a project is keyed on exactly
    that pair, so the twin is the same initiative in the world without the fund;
    it is missing when the fund changed whether the lead started a project then.

    Args:
        treated: Projects of the treated world.
        counterfactual: Projects of the counterfactual world.
        rows: Rows of the treated projects to pair.
        n_organisations: Organisations in the world (for the pair's key).

    Returns:
        Counterfactual rows, shape of `rows`.
    """

    def key(table: ProjectTable, at: np.ndarray) -> np.ndarray:
        return table.birth[at] * n_organisations + table.lead[at]

    keys = key(counterfactual, np.arange(counterfactual.size))
    if keys.size == 0:
        return np.full(rows.size, -1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    wanted = key(treated, rows)
    position = np.minimum(np.searchsorted(keys[order], wanted), keys.size - 1)
    candidate = order[position]
    return np.where(keys[candidate] == wanted, candidate, -1)


@dataclass(frozen=True)
class TwinPremium:
    """The effect on the backed projects and how well the twins matched.

    Attributes:
        premium: The premium.
        twins_found_share: Share of backed projects that have a twin.
        twins_same_members_share: Share of backed projects whose twin has the same
            members (the fund did not change who allied).
    """

    premium: Premium
    twins_found_share: float
    twins_same_members_share: float


def effect_on_backed_premium(
    treated: ProjectTable,
    counterfactual: ProjectTable,
    paid_pv: float,
    n_steps: int,
    tau_steps: float,
    n_organisations: int,
) -> TwinPremium:
    """The true effect of the fund on the projects it backed: each against its twin.

    Frugality and durability compare the backed projects that have a twin with
    those twins. Leverage counts every backed project; a missing twin created
    nothing in the counterfactual world.

    Args:
        treated: Projects of the treated world.
        counterfactual: Projects of the counterfactual world.
        paid_pv: Present value of everything the fund paid out, euro.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.
        n_organisations: Organisations in the world.

    Returns:
        The premium on the backed projects; NaN figures when none was backed.
    """
    backed = np.flatnonzero(treated.column("backed"))
    if backed.size == 0:
        return TwinPremium(UNDEFINED, NAN, NAN)
    twin = twins(treated, counterfactual, backed, n_organisations)
    found = twin >= 0
    pairs, twin_rows = backed[found], twin[found]
    same = (treated.members[pairs] == counterfactual.members[twin_rows]).all(axis=1)
    value_twin = np.where(found, counterfactual.value_pv[np.maximum(twin, 0)], 0.0)
    private_twin = np.where(found, counterfactual.private_pv[np.maximum(twin, 0)], 0.0)
    if pairs.size:
        frugality = ratio(
            mean_cost_per_value(
                counterfactual.resources_pv[twin_rows], counterfactual.value_pv[twin_rows]
            ),
            mean_cost_per_value(treated.resources_pv[pairs], treated.value_pv[pairs]),
        )
        durability = ratio(
            rmst(treated, pairs, n_steps, tau_steps),
            rmst(counterfactual, twin_rows, n_steps, tau_steps),
        )
    else:
        frugality = durability = NAN
    premium = Premium(
        frugality=frugality,
        durability=durability,
        leverage=Leverage(
            value=per_eur(float((treated.value_pv[backed] - value_twin).sum()), paid_pv),
            resources=per_eur(float((treated.private_pv[backed] - private_twin).sum()), paid_pv),
        ),
    )
    return TwinPremium(premium, float(found.mean()), float(same.sum() / backed.size))


def causal_premium(
    treated: ProjectTable,
    counterfactual: ProjectTable,
    paid_pv: float,
    n_steps: int,
    tau_steps: float,
) -> Premium:
    """The whole treated world against its counterfactual.

    Args:
        treated: Projects of the world with the fund.
        counterfactual: Projects of the same world (same seed) without it.
        paid_pv: Present value of everything the fund paid out, euro.
        n_steps: Steps in the run (censoring time).
        tau_steps: RMST restriction, in steps.

    Returns:
        The premium; leverage is NaN when nothing was paid.
    """
    all_treated = np.arange(treated.size)
    all_counterfactual = np.arange(counterfactual.size)

    def extra(column: str) -> float:
        return float(treated.column(column).sum() - counterfactual.column(column).sum())

    return Premium(
        frugality=ratio(
            mean_cost_per_value(
                counterfactual.column("resources_pv"), counterfactual.column("value_pv")
            ),
            mean_cost_per_value(treated.column("resources_pv"), treated.column("value_pv")),
        ),
        durability=ratio(
            rmst(treated, all_treated, n_steps, tau_steps),
            rmst(counterfactual, all_counterfactual, n_steps, tau_steps),
        ),
        leverage=Leverage(
            value=per_eur(extra("value_pv"), paid_pv),
            resources=per_eur(extra("private_pv"), paid_pv),
        ),
    )


@dataclass(frozen=True)
class Decomposition:
    """How the observed and causal views relate to the effect on the backed projects.

    Attributes:
        selection_frugality: observed / effect_on_backed frugality.
        selection_durability: observed / effect_on_backed durability.
        selection_leverage: observed - effect_on_backed leverage, by measure: what
            the backed projects would have produced (or used) without the fund.
        spillover_leverage: causal - effect_on_backed leverage, by measure: what
            the fund changed outside the projects it backed.
    """

    selection_frugality: float
    selection_durability: float
    selection_leverage: dict[str, float]
    spillover_leverage: dict[str, float]


def decompose(premium: dict[str, Premium]) -> Decomposition:
    """`observed = effect_on_backed x selection` (ratios) and `+ selection` (leverage).

    Args:
        premium: The premium in every view of `VIEWS`.

    Returns:
        The selection and spill-over terms.
    """
    observed, effect, causal = (
        premium["observed"],
        premium["effect_on_backed"],
        premium["causal"],
    )

    return Decomposition(
        selection_frugality=ratio(observed.frugality, effect.frugality),
        selection_durability=ratio(observed.durability, effect.durability),
        selection_leverage={
            m: observed.leverage.measure(m) - effect.leverage.measure(m) for m in MEASURES
        },
        spillover_leverage={
            m: causal.leverage.measure(m) - effect.leverage.measure(m) for m in MEASURES
        },
    )


def plausibility(projects: ProjectTable) -> dict[str, np.ndarray]:
    """Do projects create more social value than the resources they use?

    Args:
        projects: Projects of one world.

    Returns:
        Over `PROJECT_TYPES` (solo, alliance): `value_below_resources_share`, the
        share of projects whose value is below the resources they used, and
        `value_per_eur`, the mean over projects of value per euro of resources
        (present values); NaN for a type with no project.
    """
    value, resources = projects.column("value_pv"), projects.column("resources_pv")
    alliance = projects.column("alliance")
    below, per_euro = [], []
    for is_alliance in (False, True):
        rows = (alliance == is_alliance) & (resources > 0)
        below.append(float(np.mean(value[rows] < resources[rows])) if rows.any() else NAN)
        per_euro.append(float(np.mean(value[rows] / resources[rows])) if rows.any() else NAN)
    return {"value_below_resources_share": np.array(below), "value_per_eur": np.array(per_euro)}
