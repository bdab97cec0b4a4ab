"""`alliance-report DATASET`: the strategy comparison that fund evaluators read.

    alliance-report multirun/strategy_comparison/collected.nc     # writes ..._report/

(A sensitivity sweep, with a `sample` dimension, gets the sensitivity report of
`experiments/sensitivity_report.py` instead.)

Reads a merged sweep (`alliance-collect`). Every combination of swept values
other than `seed` is one *arm* (for example `strategy=uniform`). It writes a
self-contained HTML report (figures embedded) and the same tables as CSV:

- per arm, net figures first: the net social benefit (extra social value minus
  every extra euro used, the fund's money and the partners' extra private
  resources: members' own and mobilised resources, set-up costs), the
  benefit-cost ratio (extra value per extra euro used) and the cost per euro of
  extra value on all those resources; then the gross figures, which count the
  fund's money alone: extra social value (causal, present value) and the value
  per fund euro (causal leverage); observed frugality and durability; mean and
  95 % confidence interval of the mean over seeds;
- paired differences of net social benefit against the best arm, with the share
  of seeds in which the best beats each other arm (pairing by seed is valid: all
  arms of a seed share common random numbers);
- budget-response curves when the sweep varied `budget_eur`;
- time series of extra value and engineering capacity by territory size class.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from experiments.appraisal.appraise import Appraisal, appraise
from experiments.appraisal.robustness import (
    MIN_STATES,
    OBJECTIVES,
    SATISFICING_THRESHOLDS,
    satisficing_threshold,
)
from experiments.appraisal.states import arm_dims, arm_labels, as_sweep, per_arm, state_dims
from experiments.files import NETCDF_ENGINE, folder_written_atomically
from experiments.html import page, png
from experiments.html import table as html_table
from experiments.sensitivity_report import write_sensitivity_report


def per_seed_metrics(dataset: xr.Dataset) -> pd.DataFrame:
    """One row per (arm, seed) with the metrics the report compares.

    Args:
        dataset: A merged sweep, or a single run's dataset (one arm, one seed).
    """
    dataset = as_sweep(dataset)
    treated = dataset.sel(world="treated", drop=True)
    counterfactual = dataset.sel(world="counterfactual", drop=True)
    # Small per-run scalars: computed now, so a lazily opened sweep is read once.
    extra = (treated.value_created_pv - counterfactual.value_created_pv).compute()
    invested = treated.fund_invested_pv.compute()
    private = (treated.private_resources_pv - counterfactual.private_resources_pv).compute()
    cost = invested + private  # every extra EUR used: the fund's and the private ones
    metrics = xr.Dataset(
        {
            "extra_value_meur": extra / 1e6,
            "causal_leverage": dataset.premium_leverage.sel(
                drop=True, view="causal", measure="value"
            ),
            "observed_frugality": dataset.premium_frugality.sel(drop=True, view="observed"),
            "observed_durability": dataset.premium_durability.sel(drop=True, view="observed"),
            "cost_per_eur_of_value": (cost / extra).where((extra > 0) & (cost > 0)),
            "net_social_benefit_meur": (extra - cost) / 1e6,
            "benefit_cost_ratio": (extra / cost).where(cost > 0),
            "extra_private_meur": private / 1e6,
            "invested_meur": invested / 1e6,
        }
    )
    frame = metrics.to_dataframe().reset_index()
    dims = arm_dims(dataset)
    frame["arm"] = frame[dims].astype(str).agg(", ".join, axis=1) if dims else "all"
    return frame


def _mean_ci(values: pd.Series) -> tuple[float, float, float]:
    values = values.dropna()
    if values.empty:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if len(values) < 2:
        return (mean, np.nan, np.nan)
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return (mean, mean - half, mean + half)


# Columns of `summary_table` (and of a published package's arms.csv), in order.
METRICS = {
    "extra_value_meur": "Gross: extra social value (MEUR, present value)",
    "causal_leverage": "Gross value per fund EUR (extra value per EUR paid, causal leverage)",
    "observed_frugality": "Observed frugality (x)",
    "observed_durability": "Observed durability (x)",
    "cost_per_eur_of_value": "Extra EUR used (fund and partners) per EUR of extra value",
    "net_social_benefit_meur": "Net social benefit (MEUR): extra value minus every extra EUR "
    "used, the fund's and the partners'",
    "benefit_cost_ratio": "Benefit-cost ratio (extra value per extra EUR used)",
    "extra_private_meur": "Partners' extra private resources (MEUR)",
}
# The page's order: net figures first, then the gross ones.
PAGE_METRICS = (
    "net_social_benefit_meur",
    "benefit_cost_ratio",
    "cost_per_eur_of_value",
    "extra_private_meur",
    "extra_value_meur",
    "causal_leverage",
    "observed_frugality",
    "observed_durability",
)
# What the report ranks arms by and compares them on.
NET = "net_social_benefit_meur"


def summary_table(frame: pd.DataFrame, by: str = "extra_value_meur") -> pd.DataFrame:
    """Mean and 95 % interval of the mean per arm, the arm with the largest mean `by` first.

    Args:
        frame: `per_seed_metrics`.
        by: The metric that ranks the arms: the report ranks by the net social
            benefit (`NET`); the default, the gross extra value, is the order of a
            published package's arms.csv.
    """
    rows = []
    for arm, group in frame.groupby("arm"):
        # States of the world: seeds, or seeds x posterior draws.
        row: dict[str, object] = {"arm": arm, "seeds": len(group)}
        for metric in METRICS:
            mean, low, high = _mean_ci(group[metric])
            row[metric] = mean
            row[f"{metric}_ci_low"] = low
            row[f"{metric}_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows).sort_values(by, ascending=False, ignore_index=True)


def paired_differences(
    frame: pd.DataFrame, best: str, metric: str = "extra_value_meur"
) -> pd.DataFrame:
    """`metric` (MEUR) of the best arm minus each other arm's, paired by seed.

    Args:
        frame: `per_seed_metrics`.
        best: The arm the others are compared with.
        metric: The report compares net social benefits (`NET`); the default is
            the gross extra value.
    """
    states = [c for c in ("seed", "draw", "sample") if c in frame]
    wide = frame.pivot_table(index=states, columns="arm", values=metric)
    rows = []
    for arm in wide.columns:
        if arm == best:
            continue
        difference = (wide[best] - wide[arm]).dropna()
        mean, low, high = _mean_ci(difference)
        rows.append(
            {
                "best": best,
                "other": arm,
                "difference_meur": mean,
                "ci_low": low,
                "ci_high": high,
                "probability_best_beats_other": float((difference > 0).mean()),
                "paired_seeds": len(difference),
            }
        )
    columns = [
        "best",
        "other",
        "difference_meur",
        "ci_low",
        "ci_high",
        "probability_best_beats_other",
        "paired_seeds",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("difference_meur", ignore_index=True)


# The summary figure's panels: metric, title, axis label.
SUMMARY_PANELS = (
    (NET, "Net social benefit", "extra value minus every extra EUR used (MEUR)"),
    ("benefit_cost_ratio", "Benefit-cost ratio", "extra value per extra EUR used"),
    ("causal_leverage", "Gross value per fund EUR", "extra value per fund EUR (gross)"),
)


def figure_summary(table: pd.DataFrame) -> str:
    """Bar charts with 95 % intervals: the net figures first, then the gross value per fund EUR."""
    # A bar's label needs about 0.3 inch: 30 arms stay legible.
    fig, axes = plt.subplots(1, 3, figsize=(14, max(4.0, 0.3 * len(table))))
    for ax, (metric, title, label) in zip(axes, SUMMARY_PANELS, strict=True):
        mean = table[metric]
        err = [mean - table[f"{metric}_ci_low"], table[f"{metric}_ci_high"] - mean]
        ax.barh(table["arm"], mean, xerr=np.nan_to_num(err), color="tab:blue", alpha=0.7)
        ax.set(xlabel=label, title=title)
        ax.invert_yaxis()
    axes[1].axvline(1.0, color="grey", lw=0.8)  # below 1: value below the resources used
    fig.suptitle("Strategies compared (mean and 95 % interval over seeds)")
    fig.tight_layout()
    return png(fig)


def figure_budget_response(
    frame: pd.DataFrame, dataset: xr.Dataset
) -> tuple[str, pd.DataFrame] | None:
    """Net social benefit, benefit-cost ratio and gross value per fund EUR against the budget.

    One line per other arm; the data (budget_response.csv) hold the gross extra
    value too.

    Returns:
        The figure and its data (None when the budget was not swept).
    """
    if "budget_eur" not in dataset.dims:
        return None
    others = [d for d in arm_dims(dataset) if d != "budget_eur"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    groups = frame.groupby(others) if others else [("all", frame)]
    curves = []
    columns = [NET, "benefit_cost_ratio", "extra_value_meur", "causal_leverage"]
    for label, group in groups:
        curve = group.groupby("budget_eur")[columns].mean()
        name = label if isinstance(label, str) else ", ".join(map(str, np.atleast_1d(label)))
        curves.append(curve.reset_index().assign(arm=name))
        for axis, (metric, _, _) in zip(axes, SUMMARY_PANELS, strict=True):
            axis.plot(curve.index / 1e6, curve[metric], marker="o", label=name)
    for axis, (_, title, label) in zip(axes, SUMMARY_PANELS, strict=True):
        axis.set(
            xlabel="budget (MEUR over the fund period)", ylabel=label, title=f"Budget: {title}"
        )
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return png(fig), pd.concat(curves, ignore_index=True)


def figure_time_series(dataset: xr.Dataset) -> tuple[str, pd.DataFrame]:
    """Extra value per quarter and engineering capacity by territory size class, with bands.

    Each arm's mean over the states of the world, and its 5-95 % band; computed an
    arm at a time (memory), drawn with one colour per arm from a continuous map so
    that 30 arms stay apart.
    """
    labels = arm_labels(dataset)
    colours = plt.get_cmap("viridis" if len(labels) > 10 else "tab10")
    rows = []
    fig, axes = plt.subplots(2, 3, figsize=(15, 7), sharex=True)
    for index, (label, part) in enumerate(per_arm(dataset)):
        colour = colours(index / max(len(labels) - 1, 1) if len(labels) > 10 else index)
        extra = part.value_created.sel(world="treated", drop=True) - part.value_created.sel(
            world="counterfactual", drop=True
        )
        capacity = part.engineering_capacity.sel(world="treated", drop=True)
        for column, size_class in enumerate(("small", "medium", "large")):
            mask = part.size_class == size_class
            for row, series in enumerate(
                (extra.where(mask).sum("territory") / 1e3, capacity.where(mask).mean("territory"))
            ):
                values = series.stack(state=state_dims(dataset)).transpose("state", "time")
                axis = axes[row, column]
                axis.plot(series.year, values.mean("state"), color=colour, label=label, lw=1)
                low, high = np.nanpercentile(values.values, [5, 95], axis=0)
                axis.fill_between(series.year, low, high, color=colour, alpha=0.15, lw=0)
                rows.append(
                    pd.DataFrame(
                        {
                            "arm": label,
                            "size_class": size_class,
                            "quantity": ("extra_value_keur", "engineering_capacity")[row],
                            "year": series.year.values,
                            "mean": values.mean("state").values,
                            "p5": low,
                            "p95": high,
                        }
                    )
                )
    for column, size_class in enumerate(("small", "medium", "large")):
        axes[0, column].set_title(f"{size_class} territories")
        axes[0, column].set_ylabel("extra value per quarter (kEUR)")
        axes[1, column].set_ylabel("engineering capacity E (0-1)")
        axes[1, column].set_xlabel("year")
    axes[0, 2].legend(
        fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1 + len(labels) // 16
    )
    fig.suptitle("Over time, by territory size: mean over the states of the world, 5-95 % band")
    fig.tight_layout()
    return png(fig), pd.concat(rows, ignore_index=True)


def figure_acceptability(curve: pd.DataFrame) -> str:
    """The probability that each arm is best against the value of one EUR of social value."""
    arms = [c for c in curve.columns if c != "value_per_eur"]
    fig, ax = plt.subplots(figsize=(10, 4))
    colours = plt.get_cmap("viridis" if len(arms) > 10 else "tab10")
    for index, arm in enumerate(arms):
        colour = colours(index / max(len(arms) - 1, 1) if len(arms) > 10 else index)
        ax.plot(curve["value_per_eur"], curve[arm], marker="o", color=colour, label=arm)
    ax.set(
        xscale="log",
        xlabel="value placed on one EUR of social value (EUR)",
        ylabel="probability of being best",
        ylim=(-0.02, 1.02),
        title="Acceptability curve (acceptability.csv)",
    )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1 + len(arms) // 16)
    fig.tight_layout()
    return png(fig)


def budget_verdict(frame: pd.DataFrame) -> str:
    """In a budget sweep: the arm with the largest net social benefit at each budget.

    Never across budgets: a larger budget buys more value by construction;
    comparing arms of different budgets by their value alone would always crown the
    largest. Each arm's gross extra value is given with its net social benefit.
    """
    others = [c for c in frame.columns if c not in _PER_SEED_COLUMNS and c != "budget_eur"]
    parts = []
    for budget, group in frame.groupby("budget_eur"):
        means = group.groupby(others)[[NET, "extra_value_meur"]].mean() if others else None
        if means is None or means.empty:
            continue
        best = means[NET].idxmax()
        label = best if isinstance(best, str) else ", ".join(map(str, np.atleast_1d(best)))
        parts.append(
            f"at {budget / 1e6:g} MEUR, {label} ({means.loc[best, NET]:.2f} MEUR net; gross "
            f"extra value {means.loc[best, 'extra_value_meur']:.2f} MEUR)"
        )
    return (
        "Arms differ in budget, so they are compared at equal budget: the largest net social "
        "benefit (extra social value minus every extra euro used, the fund's and the "
        "partners') "
        + "; ".join(parts)
        + ". Between budgets, see the marginal value per EUR (marginal_value.csv)."
    )


def verdict(table: pd.DataFrame, differences: pd.DataFrame) -> str:
    """A plain-language paragraph: who wins, by how much, how sure we are; net first, then gross.

    Args:
        table: `summary_table(frame, by=NET)`: the arm with the largest net social
            benefit first.
        differences: `paired_differences(frame, best, NET)`.
    """
    best = table.iloc[0]
    seeds = int(best["seeds"])
    subject = (
        f"{best['arm']} has the largest,"
        if len(table) > 1
        else f"one arm ({best['arm']}), so nothing to compare it with:"
    )
    if seeds < 2:
        interval = "; one seed gives no interval: run more seeds, e.g. seed=0,1,2,3,4"
    else:
        interval = f"; 95 % interval {best[f'{NET}_ci_low']:.2f} to {best[f'{NET}_ci_high']:.2f}"
    ratio = (
        f", a benefit-cost ratio of {best['benefit_cost_ratio']:.2f} (extra value per extra "
        "euro used)"
        if np.isfinite(best["benefit_cost_ratio"])
        else ""
    )
    plural = "s" if seeds > 1 else ""
    text = (
        "Net social benefit, the extra social value minus every extra euro used (the fund's "
        f"and the partners'): {subject} {best[NET]:.2f} MEUR (present value{interval}){ratio}, "
        f"over {seeds} state{plural} of the world."
    )
    if not differences.empty and seeds >= 2:
        runner = differences.iloc[0]
        sure = runner["probability_best_beats_other"]
        if seeds < MIN_STATES or not np.isfinite(runner["ci_low"]):
            lead = f"with {seeds} states no lead can be called; run at least {MIN_STATES} seeds"
        elif sure >= 0.95:
            lead = "its lead is clear"
        elif sure >= 0.75:
            lead = "its lead is probable but not certain"
        else:
            lead = "the two cannot be told apart with these states; run more seeds"
        text += (
            f" The runner-up is {runner['other']}, {runner['difference_meur']:.2f} MEUR behind "
            f"(95 % interval {runner['ci_low']:.2f} to {runner['ci_high']:.2f}); the best arm "
            f"beats it in {sure:.0%} of paired states: {lead}."
        )
    gross = table.loc[table["extra_value_meur"].idxmax()]
    subject = (
        f"the arm that creates the most social value is {gross['arm']},"
        if len(table) > 1
        else "it creates"
    )
    text += (
        f" Gross, counting the fund's money alone: {subject} {gross['extra_value_meur']:.2f} "
        f"MEUR more than without the fund, {gross['causal_leverage']:.1f} EUR of extra value "
        "per fund EUR."
    )
    return text


# The value map's columns on the page: quantity -> (heading, scale).
VALUE_MAP_COLUMNS = {
    "net_social_benefit_eur": ("Net social benefit (MEUR)", 1e-6),
    "benefit_cost_ratio": ("Benefit-cost ratio, every extra EUR used", 1.0),
    "extra_value_eur": ("Extra social value (MEUR)", 1e-6),
    "paid_eur": ("Fund paid (MEUR)", 1e-6),
    "extra_private_resources_eur": ("Partners' extra private resources (MEUR)", 1e-6),
    "payback_year": ("Payback, net (years)", 1.0),
    "gross_npv_eur": ("Gross NPV, fund money only (MEUR)", 1e-6),
    "value_per_fund_eur": ("Gross value per fund EUR", 1.0),
    "unspent_eur": ("Budget unpaid (MEUR)", 1e-6),
    "displaced_value_eur": ("Displaced value (MEUR)", 1e-6),
    "fund_attribution_share": ("Fund's attributed share", 1.0),
}
ROBUSTNESS_COLUMNS = {
    "arm": "Arm",
    "expected_net_benefit_eur": "Expected net social benefit (MEUR)",
    "probability_best": "P(best)",
    "regret_p90_eur": "Regret, 90th pct (MEUR)",
    "regret_cvar90_eur": "Regret, CVaR 90 % (MEUR)",
    "shortfall_p90_eur": "Shortfall, 90th pct (MEUR)",
    "satisficing_share": "Share of states with benefit-cost ratio >= threshold",
    "states": "States",
}
# With the gross objective (`--objective gross`), the headings that change.
GROSS_ROBUSTNESS_COLUMNS = {
    "expected_net_benefit_eur": "Expected gross NPV, fund money only (MEUR)",
    "satisficing_share": "Share of states with gross value per fund EUR >= threshold",
}


def _interval(mean: float, low: float, high: float, scale: float) -> str:
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean * scale:,.2f} [{low * scale:,.2f}, {high * scale:,.2f}]"


def value_map_page_table(value_map: pd.DataFrame) -> pd.DataFrame:
    """The value map as the page shows it: one row per arm, "mean [p5, p95]" per quantity."""
    rows = []
    for arm, group in value_map.groupby("arm", sort=False):
        row = {"Arm": arm}
        indexed = group.set_index("quantity")
        for quantity, (heading, scale) in VALUE_MAP_COLUMNS.items():
            q = indexed.loc[quantity]
            row[heading] = _interval(q["mean"], q["p5"], q["p95"], scale)
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_page_table(robustness: pd.DataFrame, objective: str = "net") -> pd.DataFrame:
    """The robustness table with headings (the objective's) and MEUR."""
    table = robustness.copy()
    for column in (
        "expected_net_benefit_eur",
        "regret_p90_eur",
        "regret_cvar90_eur",
        "shortfall_p90_eur",
    ):
        table[column] = table[column] / 1e6
    headings = ROBUSTNESS_COLUMNS | (GROSS_ROBUSTNESS_COLUMNS if objective == "gross" else {})
    return table[list(headings)].rename(columns=headings)


# What the choice criteria are computed on, per objective, in words.
OBJECTIVE_WORDS = {
    "net": "Net social benefit = extra social value minus every extra euro used, the "
    "fund's and the partners'",
    "gross": "Gross net benefit = extra social value minus the fund's money paid alone "
    "(the partners' extra resources left out: --objective gross)",
}


def write_appraisal(appraisal: Appraisal, folder: Path) -> str:
    """Write the appraisal's CSV files into `folder`; return its HTML sections."""
    appraisal.value_map.to_csv(folder / "value_map.csv", index=False)
    appraisal.robustness.to_csv(folder / "robustness.csv", index=False)
    appraisal.acceptability.to_csv(folder / "acceptability.csv", index=False)
    appraisal.switching.to_csv(folder / "switching_values.csv", index=False)
    appraisal.discovery.to_csv(folder / "scenario_discovery.csv", index=False)
    appraisal.voi.to_csv(folder / "voi.csv", index=False)
    attrs = appraisal.outcomes.attrs
    objective = appraisal.objective
    discounting = (
        f"present values at {attrs['discount_rate_per_year']:.1%} a year "
        f"({attrs['discount_schedule']} schedule; value persistence per step "
        f"{attrs['value_persistence_per_step']:g})"
    )
    sections = [
        "<h2>What each arm buys</h2><p>Mean and 5-95 % range over the states of the world "
        f"(seeds, and posterior draws when swept); {html.escape(discounting)}. Net social "
        "benefit: extra social value minus every extra euro used, the fund's money paid and "
        "the partners' extra private resources (members' own and mobilised resources, set-up "
        "costs), each resource counted at its cost as the Green Book and SROI practice do; "
        "the benefit-cost ratio divides the extra value by all those extra euros. The gross "
        "figures count the fund's money alone. Every quantity, with its units and "
        "definition: value_map.csv.</p>",
        html_table(value_map_page_table(appraisal.value_map)),
        f"<h2>How sure we are: choice under uncertainty</h2><p>{OBJECTIVE_WORDS[objective]}, "
        "state by state (robustness.csv). Regret: the best arm's figure in the state minus "
        "this arm's. Shortfall: how far it falls below its own mean. Switching values, "
        "scenario discovery and the value of information below are on the same figure.</p>",
        html_table(robustness_page_table(appraisal.robustness, objective)),
    ]
    if not appraisal.switching.empty:
        sections += [
            f"<h2>Switching values: when {html.escape(appraisal.recommended)} stops being "
            f"better than {html.escape(str(appraisal.runner_up))}</h2>",
            html_table(appraisal.switching),
        ]
    if not appraisal.discovery.empty:
        sections += [
            f"<h2>Where {html.escape(appraisal.recommended)} loses (scenario discovery, PRIM)</h2>",
            html_table(appraisal.discovery),
        ]
    if not appraisal.voi.empty:
        sections += [
            "<h2>Value of information: which measurement would settle the choice</h2>"
            "<p>Expected value of perfect information, overall and per parameter (EUR).</p>",
            html_table(appraisal.voi),
        ]
    return "\n".join(sections)


# Columns of `per_seed_metrics` that are neither arms nor budgets.
_PER_SEED_COLUMNS = {"seed", "draw", "sample", "arm", "invested_meur", *METRICS}


def marginal_value(frame: pd.DataFrame) -> pd.DataFrame:
    """Per extra fund EUR paid between consecutive budgets of the same other settings.

    `marginal_net_benefit_per_eur`: the extra net social benefit; `marginal_value_per_eur`:
    the extra social value (gross).
    """
    if "budget_eur" not in frame:
        return pd.DataFrame()
    others = [c for c in frame.columns if c not in _PER_SEED_COLUMNS and c != "budget_eur"]
    rows = []
    groups = frame.groupby(others) if others else [("all", frame)]
    for label, group in groups:
        means = group.groupby("budget_eur")[["extra_value_meur", NET, "invested_meur"]].mean()
        for (b0, r0), (b1, r1) in zip(means.iterrows(), list(means.iterrows())[1:], strict=False):
            paid = r1["invested_meur"] - r0["invested_meur"]
            rows.append(
                {
                    "arm": label
                    if isinstance(label, str)
                    else ", ".join(map(str, np.atleast_1d(label))),
                    "from_budget_eur": b0,
                    "to_budget_eur": b1,
                    "marginal_net_benefit_per_eur": (r1[NET] - r0[NET]) / paid
                    if paid > 0
                    else np.nan,
                    "marginal_value_per_eur": (r1["extra_value_meur"] - r0["extra_value_meur"])
                    / paid
                    if paid > 0
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


def summary_page_table(table: pd.DataFrame) -> pd.DataFrame:
    """`summary_table` as the page shows it: headings, one "mean [low, high]" cell a metric."""
    rows = []
    for _, row in table.iterrows():
        cells = {"Arm": row["arm"], "States": int(row["seeds"])}
        for metric in PAGE_METRICS:
            heading = METRICS[metric]
            low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
            cells[heading] = (
                _interval(row[metric], low, high, 1.0)
                if np.isfinite(low) or not np.isfinite(row[metric])  # NaN: "n/a"
                else f"{row[metric]:,.2f}"
            )
        rows.append(cells)
    return pd.DataFrame(rows)


DIFFERENCE_COLUMNS = {
    "other": "Other arm",
    "difference_meur": "Net social benefit, best minus other (MEUR)",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "probability_best_beats_other": "Share of states the best wins",
    "paired_seeds": "Paired states",
}


def differences_page_table(differences: pd.DataFrame) -> pd.DataFrame:
    """`paired_differences` with headings."""
    return differences[list(DIFFERENCE_COLUMNS)].rename(columns=DIFFERENCE_COLUMNS)


def write_report(
    dataset: xr.Dataset,
    folder: Path,
    threshold: float | None = None,
    objective: str = "net",
) -> Path:
    """Write `report.html` and the CSV tables into `folder`.

    Args:
        dataset: A merged sweep, or a single run's dataset.
        folder: Output folder.
        threshold: The benefit-cost ratio that counts as satisficing (gross: the
            value per fund EUR); default: the objective's.
        objective: What the choice under uncertainty is computed on: "net" (the net
            social benefit) or "gross" (`appraise`). The tables show both.

    Returns:
        The HTML file's path.
    """
    dataset = as_sweep(dataset)
    folder.mkdir(parents=True, exist_ok=True)
    frame = per_seed_metrics(dataset)
    table = summary_table(frame, by=NET)
    differences = paired_differences(frame, table.iloc[0]["arm"], NET)
    table.to_csv(folder / "summary.csv", index=False)
    differences.to_csv(folder / "paired_differences.csv", index=False)
    frame.to_csv(folder / "per_seed.csv", index=False)
    figures = [figure_summary(table)]  # its data: summary.csv
    budget = figure_budget_response(frame, dataset)
    if budget:
        figures.append(budget[0])
        budget[1].to_csv(folder / "budget_response.csv", index=False)
    series_figure, series = figure_time_series(dataset)
    figures.append(series_figure)
    series.to_csv(folder / "time_series.csv", index=False)
    appraisal = appraise(dataset, threshold, objective)
    figures.append(figure_acceptability(appraisal.acceptability))
    appraisal_html = write_appraisal(appraisal, folder)
    budget_note = ""
    if "budget_eur" in arm_dims(dataset):
        budget_note = (
            "<p>The arms differ in budget: the arm creating the most value is not the best "
            "use of money. Compare arms at equal budget (the rows of one budget), by the "
            "marginal value per EUR between budgets (marginal_value.csv), and by the "
            "acceptability curve below.</p>"
        )
        marginal_value(frame).to_csv(folder / "marginal_value.csv", index=False)
    headline = (
        budget_verdict(frame) if "budget_eur" in arm_dims(dataset) else verdict(table, differences)
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in appraisal.warnings)
    body = f"""<h2>Executive summary</h2>
<p><b>{html.escape(appraisal.reason)}</b> {html.escape(headline)}</p>
{f"<ul>{warnings}</ul>" if warnings else ""}{budget_note}
{appraisal_html}
<h2>Seeds and paired differences</h2>
<p>Swept: {html.escape(str(dataset.attrs.get("swept", "")))}; {frame["seed"].nunique()} seeds;
calibrated set: {html.escape(str(dataset.attrs.get("calibrated_set", "")))}; package version
{html.escape(str(dataset.attrs.get("package_version", "")))}. Intervals are 95 % confidence
intervals of the mean over seeds. Extra value is the treated world's present value of social
value minus its counterfactual's (same seed, no fund); the net social benefit subtracts the
fund's money paid and the extra private resources (the treated world's present value of
members' own and mobilised resources and set-up costs minus its counterfactual's).</p>
<h2>Per arm (mean and 95 % confidence interval of the mean)</h2>
{html_table(summary_page_table(table))}
<h2>Paired differences against the arm with the largest net social benefit</h2>
{html_table(differences_page_table(differences))}"""
    page_text = page("Alliance premium: strategy comparison", body, figures)
    path = folder / "report.html"
    path.write_text(page_text)
    return path


# What `alliance-report` reads, in words.
INPUTS = "a merged sweep (collected.nc), a run's dataset.nc, or a folder holding one"


def resolve_input(path: Path) -> Path:
    """The dataset file a user means: a file, or a sweep or run folder that holds one.

    Args:
        path: What was given on the command line.

    Returns:
        The NetCDF file to read.

    Raises:
        FileNotFoundError: Nothing to read there, in one line that says what was
            looked for and what is allowed (the form of `experiments.refusal`).
    """
    if path.is_dir():
        for name in ("collected.nc", "dataset.nc"):
            if (path / name).is_file():
                return path / name
        msg = (
            f"{path} is a folder without collected.nc or dataset.nc; "
            f"merge a sweep first (alliance-collect {path}) or give the dataset file"
        )
        raise FileNotFoundError(msg)
    if not path.exists():
        msg = f"no such file: {path}; allowed: {INPUTS}"
        raise FileNotFoundError(msg)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: read a merged sweep (or one run) and write its report.

    Any failure prints one line and leaves no report folder behind: a missing
    input (no such file, a folder with no dataset) exits 2, as every refusal of
    bad input does (`experiments.refusal`); a file that cannot be read or is not
    an `alliance-run` dataset exits 1.
    """
    parser = argparse.ArgumentParser(prog="alliance-report", description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", type=Path, help="a merged sweep (alliance-collect), a run's dataset, or a folder"
    )
    parser.add_argument("--output", type=Path, help="default: DATASET's folder/<name>_report")
    parser.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="net",
        help="what the choice under uncertainty maximises: net (the net social benefit, "
        "extra value minus every extra EUR used, the fund's and the partners'; default) or "
        "gross (extra value minus the fund's money alone)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        help="the ratio a state must reach to satisfice: the benefit-cost ratio, extra value "
        f"per extra EUR used (default {SATISFICING_THRESHOLDS['net']:g}: the value covers "
        "every EUR); with --objective gross, the value per fund EUR (default "
        f"{SATISFICING_THRESHOLDS['gross']:g}, the Impact Multiple of Money hurdle)",
    )
    args = parser.parse_args(argv)
    threshold = satisficing_threshold(args.threshold, args.objective)
    try:
        source = resolve_input(args.dataset)
    except FileNotFoundError as error:
        print(f"alliance-report: {error}", file=sys.stderr)
        sys.exit(2)
    folder = args.output or source.with_name(f"{source.stem}_report")
    try:
        # Lazily: each variable is read when the report first needs it.
        dataset = xr.open_dataset(source, engine=NETCDF_ENGINE)
    except (OSError, ValueError) as error:
        print(f"alliance-report: cannot read {source} as NetCDF: {error}", file=sys.stderr)
        sys.exit(1)
    with dataset, folder_written_atomically(folder) as temporary:
        # A sensitivity sweep has a `sample` dimension and its own report.
        try:
            if "sample" in dataset.dims:
                path = write_sensitivity_report(dataset, temporary)
            else:
                path = write_report(dataset, temporary, threshold, args.objective)
        except KeyError as error:
            print(
                f"alliance-report: {source} is not an alliance-run dataset "
                f"(no variable or coordinate {error})",
                file=sys.stderr,
            )
            raise SystemExit(1) from None
        except ValueError as error:
            print(f"alliance-report: {error}", file=sys.stderr)
            raise SystemExit(1) from None
    print(f"report: {folder / path.name}")
