"""A plain-text summary of one run's dataset."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

VIEW_HEADINGS = {
    "observed": "observed",
    "matched": "matched",
    "effect_on_backed": "on backed",
    "causal": "causal",
}
# Below this share of the budget paid out, the summary warns.
PAID_WARNING_SHARE = 0.9


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def _percent(share: float) -> str:
    return f"{_fmt(100 * share, 0)} %"


def net_lines(dataset: xr.Dataset) -> list[str]:
    """The net social benefit, then the gross figures, of one run (present values, EUR).

    Net social benefit = extra social value - fund money paid - extra private
    resources (members' own and mobilised resources, set-up costs), as
    `experiments.appraisal.states.outcomes` counts it.
    """
    treated = dataset.sel(world="treated")
    counterfactual = dataset.sel(world="counterfactual")
    extra = float(treated.value_created_pv - counterfactual.value_created_pv)
    paid = float(treated.fund_invested_pv)
    private = float(treated.private_resources_pv - counterfactual.private_resources_pv)
    cost = paid + private
    ratio = extra / cost if cost > 0 else math.nan
    per_fund_eur = extra / paid if paid > 0 else math.nan
    return [
        f"net social benefit: {_fmt(extra - cost, 0)} EUR = extra social value "
        f"{_fmt(extra, 0)} - fund paid {_fmt(paid, 0)} - partners' extra private resources "
        f"{_fmt(private, 0)} (own, mobilised, set-up)",
        f"  benefit-cost ratio {_fmt(ratio)} (extra value per extra EUR used, the fund's and "
        f"the partners'); gross, fund money only: {_fmt(extra - paid, 0)} EUR, "
        f"{_fmt(per_fund_eur)} EUR of value per fund EUR",
    ]


def summary(dataset: xr.Dataset) -> str:
    """The premium in four views, its decomposition, and the headline totals.

    Args:
        dataset: A run's dataset.

    Returns:
        A table as text.
    """
    placebo = (
        " (PLACEBO fund: selects and pays, changes nothing)" if dataset.attrs.get("placebo") else ""
    )
    lines = [
        f"Alliance premium - scenario {dataset.attrs['scenario']}, "
        f"strategy {dataset.attrs['strategy']}, seed {dataset.attrs['seed']}{placebo}",
        "",
        f"{'':<20}" + "".join(f"{h:>11}" for h in VIEW_HEADINGS.values()) + "   meaning",
    ]
    rows = [
        ("frugality", dataset.premium_frugality, "resources per value, without / with"),
        ("durability", dataset.premium_durability, "mean lifetime (RMST), with / without"),
    ]
    for measure, meaning in (
        ("value", "social value per EUR paid"),
        ("net", "value minus private resources, per EUR paid"),
        ("resources", "private resources per EUR paid"),
    ):
        rows.append((f"leverage {measure}", dataset.premium_leverage.sel(measure=measure), meaning))
    for label, values, meaning in rows:
        cells = "".join(f"{_fmt(float(values.sel(view=v))):>11}" for v in VIEW_HEADINGS)
        lines.append(f"{label:<20}{cells}   {meaning}")

    def scalar(name: str) -> float:
        return float(dataset[name])

    lines += [
        "",
        "decomposition: observed = on backed x selection (frugality, durability), "
        "= on backed + selection (leverage);",
        "               causal = on backed + spill-over (leverage)",
        f"  selection: frugality x{_fmt(scalar('selection_frugality'))}, "
        f"durability x{_fmt(scalar('selection_durability'))}, value leverage "
        f"{_fmt(float(dataset.selection_leverage.sel(measure='value')))}; "
        "spill-over: value leverage "
        f"{_fmt(float(dataset.spillover_leverage.sel(measure='value')))}",
        f"  backed projects: {int(scalar('backed_projects'))}, matched: "
        f"{_percent(scalar('matched_share'))} "
        f"({_percent(scalar('matched_same_territory_share'))} in their own territory), "
        f"twins found: {_percent(scalar('twins_found_share'))}",
    ]
    treated = dataset.sel(world="treated")
    counterfactual = dataset.sel(world="counterfactual")
    share = scalar("budget_paid_share")
    lines += ["", *net_lines(dataset)]
    lines += [
        f"fund budget {_fmt(scalar('fund_budget'), 0)} EUR, paid out {_fmt(100 * share, 0)} % "
        f"(present value {_fmt(float(treated.fund_invested_pv), 0)} EUR); extra social value "
        f"per EUR budgeted: {_fmt(scalar('value_per_eur_budgeted'))}",
        f"social value created (present value): {_fmt(float(treated.value_created_pv), 0)} EUR "
        f"with the fund, {_fmt(float(counterfactual.value_created_pv), 0)} EUR without",
        f"projects started: {int(treated.projects_started)} with the fund, "
        f"{int(counterfactual.projects_started)} without",
    ]
    below = treated.value_below_resources_share
    per_eur = treated.value_per_eur_of_resources
    lines.append(
        "projects creating less value than they use: "
        + ", ".join(
            f"{t} {_fmt(100 * float(below.sel(project_type=t)), 0)} % "
            f"(mean value per EUR {_fmt(float(per_eur.sel(project_type=t)))})"
            for t in ("solo", "alliance")
        )
    )
    if not math.isnan(share) and share < PAID_WARNING_SHARE:
        lines += [
            "",
            f"WARNING: only {_fmt(100 * share, 0)} % of the budget was paid out; per-EUR-paid "
            "figures flatter this strategy, read value_per_eur_budgeted",
        ]
    return "\n".join(lines)
