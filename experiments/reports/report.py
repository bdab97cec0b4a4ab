"""`alliance-report DATASET`: the strategy comparison that fund evaluators read.

    alliance-report multirun/strategy_comparison/collected.nc     # writes ..._report/

(A sensitivity sweep, with a `sample` dimension, gets the sensitivity report of
`experiments/reports/sensitivity_report.py` instead.)

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

import html
import sys
from contextlib import ExitStack
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator
from scipy import stats

from experiments.appraisal.appraise import Appraisal, appraise
from experiments.appraisal.budget_map import (
    BUDGET,
    OUTCOME_COLUMNS,
    budget_map,
    budget_outcomes,
    swept_key,
)
from experiments.appraisal.flows import money_flows
from experiments.appraisal.robustness import (
    OBJECTIVES,
    SATISFICING_THRESHOLDS,
    satisficing_threshold,
)
from experiments.appraisal.states import arm_dims, arm_labels, as_sweep, per_arm, state_dims
from experiments.appraisal.switching import most_influential
from experiments.process.commandline import Parser, finite_number
from experiments.reports import report_text
from experiments.reports.html import figure, page, png, write_pdf
from experiments.reports.report_text import states_words, steps_per_year, world_words
from experiments.reports.sensitivity_report import write_sensitivity_report
from experiments.storage.files import (
    NETCDF_ENGINE,
    check_replaceable,
    folder_written_atomically,
)
from experiments.wording.formats import money, number, percent
from experiments.wording.glossary import glossary_html, link
from experiments.wording.names import parameter_name


def per_seed_metrics(dataset: xr.Dataset) -> pd.DataFrame:
    """One row per (arm, seed) with the metrics the report compares.

    Args:
        dataset: A merged sweep, or a single run's dataset (one arm, one seed).
    """
    dataset = as_sweep(dataset)
    # Small per-run scalars: computed now, so a lazily opened sweep is read once.
    extra, invested, private = (flow.compute() for flow in money_flows(dataset))
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
    # A run missing from the merge (unfinished or failed) is no seed: its row is left
    # out, so that "seeds" counts runs (the appraisal says which states it drops).
    frame = frame[frame["net_social_benefit_meur"].notna()].reset_index(drop=True)
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


def bar_centres(
    values: list[pd.Series], order: list[str], metric: str, value_map: pd.DataFrame | None
) -> np.ndarray:
    """Each arm's bar in a summary panel: the mean over states, a ratio's pooled ratio."""
    if value_map is not None and metric in POOLED_PANELS:
        centres = value_map.set_index(["arm", "quantity"])["mean"]
        return np.array([centres.get((arm, POOLED_PANELS[metric]), np.nan) for arm in order])
    return np.array([v.mean() if len(v) else np.nan for v in values])


# The ratio panels' bars: the value map's pooled ratio (`states.pooled_ratio`).
POOLED_PANELS = {
    "benefit_cost_ratio": "benefit_cost_ratio",
    "causal_leverage": "value_per_fund_eur",
}


def figure_summary(
    frame: pd.DataFrame, order: list[str], states: str, value_map: pd.DataFrame | None = None
) -> str:
    """Bars of each arm's mean with its 5-95 % range over states: net first, then gross.

    Args:
        frame: `per_seed_metrics`.
        order: The arms, top to bottom.
        states: What the states are, in words ("200 states of the world (...)").
        value_map: The appraisal's value map: a ratio's bar is its pooled ratio, as
            the tables show it (the mean value over the mean cost); None: the mean of
            the states' ratios.
    """
    # A bar's label needs about 0.3 inch: 30 arms stay legible.
    fig, axes = plt.subplots(1, 3, figsize=(14, max(3.5, 0.45 * len(order) + 1)))
    groups = frame.groupby("arm")
    for ax, (metric, title, label) in zip(axes, SUMMARY_PANELS, strict=True):
        values = [groups.get_group(arm)[metric].dropna() for arm in order]
        mean = bar_centres(values, order, metric, value_map)
        low = np.array([np.percentile(v, 5) if len(v) else np.nan for v in values])
        high = np.array([np.percentile(v, 95) if len(v) else np.nan for v in values])
        ax.barh(order, np.nan_to_num(mean), color="tab:blue", alpha=0.7)
        # The range as its own line, not as error bars: a skewed metric's mean can lie
        # outside its 5-95 % range (a ratio whose denominator nears 0 in a few states).
        shown = np.flatnonzero(np.isfinite(low) & np.isfinite(high))
        ax.hlines(shown, low[shown], high[shown], color="black", lw=1)
        ax.plot(np.r_[low[shown], high[shown]], np.r_[shown, shown], "|", color="black", ms=8)
        for index, value in enumerate(mean):
            if not np.isfinite(value):
                ax.text(0, index, " n/a (pays nothing)", va="center", fontsize=8, color="grey")
        ax.set(xlabel=label, title=title)
        ax.invert_yaxis()
    axes[0].axvline(0.0, color="grey", lw=0.8)  # below 0: society loses
    axes[1].axvline(1.0, color="grey", lw=0.8)  # below 1: value below the resources used
    fig.suptitle(f"Strategies compared: mean (bar) and 5-95 % range (line) over {states}")
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


def figure_budget_map(outcomes: pd.DataFrame, key: str | None, steps: int) -> str:
    """The budget map: the best strategy per budget and parameter value, and the curves behind it.

    Left: one cell per budget (log axis) and parameter level, coloured by the best
    strategy, with its chance of being best. Right: each strategy's expected net
    social benefit against the budget at the middle level, the curves whose
    crossings are the switching budgets.

    Args:
        outcomes: `budget_map.budget_outcomes(...)`.
        key: The parameter crossed with the budget (None: the budget alone).
        steps: The model's steps per year (to name the parameter).
    """
    cells = budget_map(outcomes)
    budgets = sorted(cells["budget_eur"].unique())
    levels = list(dict.fromkeys(cells.sort_values("level", key=_numeric)["level"]))
    arms = sorted(outcomes["arm"].unique())
    colours = {arm: plt.get_cmap("tab10")(i % 10) for i, arm in enumerate(arms)}
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 1.2 * len(levels) + 3))
    for cell in cells.itertuples():
        x, y = budgets.index(cell.budget_eur), levels.index(cell.level)
        left.add_patch(
            plt.Rectangle((x - 0.5, y - 0.5), 1, 1, color=colours[cell.best], alpha=0.55)
        )
        left.text(
            x,
            y,
            f"{cell.best.replace('_', '\n')}\n{percent(cell.probability_best)}",
            ha="center",
            va="center",
            fontsize=7,
        )
    left.set(
        xlim=(-0.5, len(budgets) - 0.5),
        ylim=(-0.5, len(levels) - 0.5),
        xticks=range(len(budgets)),
        xticklabels=[number(b / 1e6) for b in budgets],
        yticks=range(len(levels)),
        yticklabels=[number(float(v)) if key else "" for v in levels],
        xlabel="budget (MEUR over the fund period)",
        ylabel=parameter_name(key, steps) if key else "",
        title="Best strategy (and its chance of being best)",
    )
    middle = levels[len(levels) // 2]
    curves = outcomes[outcomes["level"] == middle]
    for arm, curve in curves.groupby("arm"):
        curve = curve.sort_values("budget_eur")
        right.plot(
            curve["budget_eur"] / 1e6,
            curve["net_benefit_eur"] / 1e6,
            marker="o",
            color=colours[arm],
            label=arm,
        )
    right.set_xscale("log")
    right.xaxis.set_major_locator(FixedLocator([b / 1e6 for b in budgets]))
    right.xaxis.set_major_formatter(FixedFormatter([number(b / 1e6) for b in budgets]))
    right.xaxis.set_minor_locator(NullLocator())
    where = f"\n({parameter_name(key, steps)} = {number(float(middle))})" if key else ""
    right.set(
        xlabel="budget (MEUR over the fund period)",
        ylabel="expected net social benefit (MEUR)",
        title=f"Net social benefit against the budget{where}",
    )
    right.legend(fontsize=8)
    fig.tight_layout()
    return png(fig)


def _numeric(levels: pd.Series) -> pd.Series:
    return pd.to_numeric(levels, errors="coerce").fillna(0.0)


def budget_map_parameter(dataset: xr.Dataset, appraisal: Appraisal) -> str | None:
    """The parameter a budget sweep's map crosses with the budget.

    A numeric swept dimension other than the budget (its configuration key), else
    the drawn parameter the choice hinges on most (`switching.most_influential`),
    else none.
    """
    for dimension in arm_dims(dataset):
        if dimension != BUDGET and np.issubdtype(dataset[dimension].dtype, np.number):
            return swept_key(dataset, dimension)
    return most_influential(appraisal.switching)


def figure_time_series(
    dataset: xr.Dataset, states: str = "the states of the world"
) -> tuple[str, pd.DataFrame]:
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
    fig.suptitle(f"Over time, by territory size: mean (line) and 5-95 % band over {states}")
    fig.tight_layout()
    return png(fig), pd.concat(rows, ignore_index=True)


def figure_acceptability(curve: pd.DataFrame, states: str) -> str:
    """Each arm's chance of being best against the value placed on one EUR of social value.

    Plain-number ticks at the values computed (a log axis would label 10^0 and
    10^1), the y axis in percent, a line at 1 EUR (the net social benefit), and
    only arms that are ever best in more than 1 % of the states in colour.
    """
    arms = [c for c in curve.columns if c != "value_per_eur"]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    colours = plt.get_cmap("viridis" if len(arms) > 10 else "tab10")
    x = curve["value_per_eur"].to_numpy()
    for index, arm in enumerate(arms):
        shares = 100 * curve[arm].to_numpy()
        if shares.max() <= 1:
            ax.plot(x, shares, color="lightgrey", lw=1, label=f"{arm} (never over 1 %)")
            continue
        colour = colours(index / max(len(arms) - 1, 1) if len(arms) > 10 else index)
        ax.plot(x, shares, marker="o", color=colour, label=arm, lw=2)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{v:g}" for v in x]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.annotate(
        "1 EUR of value = 1 EUR of money\n(the net social benefit)",
        (1.0, 50),
        xytext=(6, 0),
        textcoords="offset points",
        fontsize=8,
        color="grey",
    )
    ax.set(
        xlabel="value the fund places on one EUR of social value (EUR)",
        ylabel="chance of being best (% of states)",
        ylim=(-2, 102),
        title=f"Acceptability curve over {states}",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1 + len(arms) // 16)
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
            f"at {number(budget / 1e6)} MEUR, {label} ({money(means.loc[best, NET] * 1e6)} "
            f"net; gross extra value {money(means.loc[best, 'extra_value_meur'] * 1e6)})"
        )
    return (
        "Arms differ in budget, so they are compared at equal budget: the largest net social "
        "benefit (extra social value minus every extra euro used, the fund's and the "
        "partners') "
        + "; ".join(parts)
        + ". Between budgets, see the marginal value per EUR (marginal_value.csv)."
    )


# What the choice criteria are computed on, per objective, in words.
OBJECTIVE_WORDS = {
    "net": f"the {link('net', 'net social benefit')}: extra social value minus every extra "
    "euro used, the fund's and the partners'",
    "gross": f"the {link('gross', 'gross')} net benefit: extra social value minus the fund's "
    "money alone (the partners' extra resources left out: --objective gross)",
}
# The CSV files of a report, and what each holds.
FILES = {
    "summary.csv": "per strategy, mean and 95 % confidence interval of the mean of each figure",
    "per_seed.csv": "every figure in every state of the world",
    "paired_differences.csv": "net social benefit of the best strategy minus each other's",
    "value_map.csv": "per strategy, every quantity with its 5-95 % range, units and definition",
    "robustness.csv": "the choice criteria per strategy",
    "acceptability.csv": "the acceptability curve's values",
    "switching_values.csv": "switching values (configuration keys as the model names them)",
    "scenario_discovery.csv": "the PRIM box",
    "voi.csv": "EVPI and EVPPI per parameter (EUR)",
    "time_series.csv": "the figures over time",
    "budget_response.csv": "the budget-response curves (a budget sweep)",
    "marginal_value.csv": "value per extra fund euro between budgets (a budget sweep)",
    "budget_map.csv": "per budget, parameter value and strategy: expected net social benefit, "
    "chance of being best, gross value per euro budgeted, share of the budget paid",
}


# Every file a report writes (`write_report`, `write_sensitivity_report`, `write_pdf`):
# the only files a report may replace.
REPORT_FILES = frozenset({*FILES, "report.html", "report.pdf", "sensitivity.csv"})


def is_report(folder: Path) -> bool:
    """Whether a folder holds an earlier report: report.html and only files a report writes."""
    entries = list(folder.iterdir())
    return (folder / "report.html").is_file() and all(
        entry.name in REPORT_FILES and entry.is_file() and not entry.is_symlink()
        for entry in entries
    )


def write_appraisal(appraisal: Appraisal, folder: Path) -> None:
    """Write the appraisal's CSV files into `folder` (the page words them: `report_text`)."""
    appraisal.value_map.to_csv(folder / "value_map.csv", index=False)
    appraisal.robustness.to_csv(folder / "robustness.csv", index=False)
    appraisal.acceptability.to_csv(folder / "acceptability.csv", index=False)
    appraisal.switching.to_csv(folder / "switching_values.csv", index=False)
    appraisal.discovery.to_csv(folder / "scenario_discovery.csv", index=False)
    appraisal.voi.to_csv(folder / "voi.csv", index=False)


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


def _discounting(attrs: dict) -> str:
    rate = attrs.get("discount_rate_per_year", np.nan)
    persistence = attrs.get("value_persistence_per_step", np.nan)
    kept = (
        "a project's value stops when it ends"
        if persistence == 0
        else f"{percent(persistence)} of a project's last value goes on each quarter after it ends"
    )
    return (
        f"{link('pv', 'present values')} at {number(100 * rate)} % a year "
        f"({html.escape(str(attrs.get('discount_schedule', 'constant')))} schedule); "
        f"{link('persistence', 'value persistence')}: {kept}"
    )


SECTIONS = {
    "buys": "What each strategy buys",
    "sure": "How sure",
    "conditions": "When the choice would change",
    "information": "Which measurement would settle it",
    "time": "Over time",
    "annex": "Technical annex",
    "glossary": "Glossary",
}


def write_report(
    dataset: xr.Dataset,
    folder: Path,
    threshold: float | None = None,
    objective: str = "net",
    budget_map: pd.DataFrame | None = None,
) -> Path:
    """Write `report.html` and the CSV tables into `folder`.

    Args:
        dataset: A merged sweep, or a single run's dataset.
        folder: Output folder.
        threshold: The benefit-cost ratio that counts as satisficing (gross: the
            value per fund EUR); default: the objective's.
        objective: What the choice under uncertainty is computed on: "net" (the net
            social benefit) or "gross" (`appraise`). The tables show both.
        budget_map: A budget map from a separate budget sweep
            (`budget_map.budget_outcomes`, as budget_map.csv holds it), for a sweep
            of one budget: its table and figure, and the budget in the summary's
            conditions. A sweep of several budgets makes its own.

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
    appraisal = appraise(dataset, threshold, objective)
    write_appraisal(appraisal, folder)
    states = states_words(dataset)
    steps = steps_per_year(dataset)
    order = report_text.order(appraisal)
    budget_swept = "budget_eur" in arm_dims(dataset)
    over_time = []
    budget = figure_budget_response(frame, dataset)
    if budget:
        over_time.append(
            figure(
                budget[0],
                f"Against the budget: mean over {states} (budget_response.csv).",
                "Net social benefit, benefit-cost ratio and gross value per fund euro "
                "against the budget, one line per strategy",
            )
        )
        budget[1].to_csv(folder / "budget_response.csv", index=False)
        marginal_value(frame).to_csv(folder / "marginal_value.csv", index=False)
    series_figure, series = figure_time_series(dataset, states)
    series.to_csv(folder / "time_series.csv", index=False)
    over_time.append(
        figure(
            series_figure,
            "Extra social value per quarter (top) and engineering capacity (bottom) by "
            f"territory size, each strategy's mean and 5-95 % band over {states} "
            "(time_series.csv).",
            "Extra value and engineering capacity over time by territory size, per strategy",
        )
    )
    mapped = budget_swept and dataset.sizes[BUDGET] > 1
    budget_section = ""
    sentence = ""
    key = None
    map_outcomes = budget_map
    if mapped:
        key = budget_map_parameter(dataset, appraisal)
        map_outcomes = budget_outcomes(dataset, key, objective=objective)
    elif map_outcomes is not None:
        key = str(map_outcomes["parameter"].fillna("").iloc[0]) or None
    if map_outcomes is not None:
        map_outcomes.to_csv(folder / "budget_map.csv", index=False)
        # Given a separate budget sweep, the conditions are the recommended arm's.
        recommended = None if budget_swept else appraisal.recommended
        arm, along_budget, along_level = report_text.budget_conditions(map_outcomes, recommended)
        parameter = (key, along_level) if key and along_level else None
        if not budget_swept:
            parameter = report_text.switching_condition(appraisal.switching) or parameter
        sentence = report_text.condition_sentence(arm, along_budget, parameter, steps)
        where = (
            f"over {states}"
            if mapped
            else "over the states of a separate budget sweep (given with --budget-map)"
        )
        budget_section = (
            f"<h3>Budget map</h3><p>{html.escape(sentence)}</p>"
            + report_text.budget_map_table(map_outcomes, key, steps)
            + figure(
                figure_budget_map(map_outcomes, key, steps),
                f"The best strategy at each budget{' and parameter value' if key else ''}, "
                f"{where} (budget_map.csv).",
                "Budget map: the best strategy per budget, and net social benefit against "
                "the budget per strategy",
            )
        )
    if mapped and key:
        # The verdict per budget would compare values of an assumption as if they were arms.
        lead = (
            f'<p class="answer"><b>{html.escape(sentence)}</b> The budget map (in "When the '
            f'choice would change") gives the best strategy at each budget and value of '
            f"{html.escape(parameter_name(key, steps))}.</p>"
        )
    elif budget_swept:
        lead = (
            f'<p class="answer"><b>{html.escape(sentence)}</b> '
            f"{html.escape(budget_verdict(frame))}</p>"
        )
    else:
        lead = report_text.answer(appraisal, frame, dataset, sentence or None)
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in appraisal.warnings)
    budget_note = (
        "<p>The arms differ in budget: the arm creating the most value is not the best "
        "use of money. Compare arms at equal budget (the rows of one budget), by the "
        "marginal value per EUR between budgets (marginal_value.csv), and by the "
        "acceptability curve below.</p>"
        if budget_swept
        else ""
    )
    contents = " ".join(f'<a href="#{key}">{name}</a>' for key, name in SECTIONS.items())
    conditions = (
        f"<p>Where, along each uncertain parameter, the recommended strategy would stop "
        f"being the best, against the best of the others and against each other strategy "
        f"({link('switching', 'switching values')}), and the ranges where its losses to the "
        f"runner-up gather ({link('prim', 'PRIM box')}).</p>"
        + report_text.switching_table(appraisal, steps)
        + report_text.discovery_html(appraisal, steps)
        if not appraisal.switching.empty
        else "<p>The states differ only in their seed: which parameter would change the "
        "choice needs parameter uncertainty (a sweep with calibrated=posterior "
        "'draw=range(0,100)').</p>"
    ) + budget_section
    information = report_text.voi_html(appraisal, steps) or (
        "<p>No parameter uncertainty in this sweep: nothing to value.</p>"
    )
    files = "".join(
        f"<li>{name}: {html.escape(text)}</li>"
        for name, text in FILES.items()
        if (folder / name).exists()
    )
    bars = figure(
        figure_summary(frame, list(table["arm"]), states, appraisal.value_map),
        f"Each strategy's mean and 5-95 % range over {states} (per_seed.csv; a ratio's bar "
        "is the mean value over the mean cost, as in the tables). Grey lines: a "
        "net social benefit of 0 and a benefit-cost ratio of 1, below which society loses.",
        "Bar charts of net social benefit, benefit-cost ratio and gross value per fund euro "
        "per strategy",
    )
    acceptability_figure = figure(
        figure_acceptability(appraisal.acceptability, states),
        "Each strategy's chance of being best if the fund values one euro of social value at "
        "the amount on the horizontal axis (acceptability.csv).",
        "Acceptability curve: chance of being best against the value of a euro of social value",
    )
    attrs = appraisal.outcomes.attrs
    body = f"""<h2 id="summary">Executive summary</h2>
{lead}
{f'<ul class="warning">{warnings}</ul>' if warnings else ""}{budget_note}
<p class="note">How to read this page: every range is the
{link("range", "5-95 % range over the states of the world")} (90 % of the states fall
inside it) unless it is named otherwise; money is in million euros (MEUR),
{_discounting(attrs)}. Terms underlined with dots are explained in the
<a href="#glossary">glossary</a>.</p>
<nav class="contents">Contents: {contents}</nav>
<h2 id="buys">What each strategy buys</h2>
<p>Over {states}. Net figures first: the {link("net", "net social benefit")} counts every
extra euro used as a cost, the fund's money paid and the partners' extra private resources
(members' own and mobilised resources, set-up costs), as the Green Book and SROI practice
count every resource; the {link("bcr", "benefit-cost ratio")} divides the extra value by
all those euros. The {link("gross", "gross")} figures count the fund's money alone.</p>
{report_text.headline_table(appraisal)}
{bars}
<h3>Who pays, and what the fund changes</h3>
{report_text.detail_table(appraisal)}
<h2 id="sure">How sure: the choice under uncertainty</h2>
<p>Computed on {OBJECTIVE_WORDS[objective]}, state by state: in each state every strategy
meets the same world, so strategies are compared where they differ. The recommended
strategy has the smallest {link("regret", "regret")}.</p>
{report_text.robustness_table(appraisal, satisficing_threshold(threshold, objective))}
{acceptability_figure}
<h2 id="conditions">When the choice would change</h2>
{conditions}
<h2 id="information">Which measurement would settle the choice</h2>
{information}
<h2 id="time">Over time</h2>
{"".join(over_time)}
<h2 id="annex">Technical annex: precision of the averages</h2>
<p>Swept: {html.escape(str(dataset.attrs.get("swept", "")))}; {states}; calibrated set:
{html.escape(str(dataset.attrs.get("calibrated_set", "")))}; package version
{html.escape(str(dataset.attrs.get("package_version", "")))}. These tables give how
precisely each average is known, as the {link("ci", "95 % confidence interval of the mean")}
over the states: it narrows as more states are run, unlike the ranges above. Extra value is
the present value of social value in the world with the fund minus in the same world without
it (same seed and draw); the net social benefit subtracts the fund's money paid and the
extra private resources.</p>
{report_text.annex_tables(table, differences)}
<h2 id="files">Files beside this page</h2>
<ul>{files}<li>report.pdf: this page, printed</li></ul>
{glossary_html()}"""
    meta = (
        f"{len(order)} strategies compared over {states}"
        f"{'; ' + html.escape(world_words(dataset)) if world_words(dataset) else ''}"
    )
    page_text = page("Alliance premium: strategy appraisal", body, meta=meta)
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
            looked for and what is allowed (the form of `experiments.config.refusal`).
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


def read_budget_map(path: Path) -> pd.DataFrame:
    """A budget map's CSV (`budget_map.budget_outcomes`), checked for its columns.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not a budget map, said in one line.
    """
    try:
        table = pd.read_csv(path)
    except pd.errors.ParserError as error:
        msg = f"cannot read {path} as a budget map: {error}"
        raise ValueError(msg) from None
    missing = [c for c in OUTCOME_COLUMNS if c not in table]
    if missing or table.empty:
        msg = (
            f"{path} is not a budget map (missing {', '.join(missing) or 'rows'}); allowed: "
            "budget_map.csv of a budget sweep's report or of benchmarks/budget_map.py --csv"
        )
        raise ValueError(msg)
    return table


def open_lazily(source: Path) -> xr.Dataset:
    """Open a dataset lazily (each variable is read when the report first needs it).

    A file that is not NetCDF is refused in one line, exit 1.
    """
    try:
        return xr.open_dataset(source, engine=NETCDF_ENGINE)
    except (OSError, ValueError) as error:
        print(f"alliance-report: cannot read {source} as NetCDF: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def parser() -> Parser:
    """`alliance-report`'s command line: short help, `--version`, one-line refusals."""
    command = Parser(
        prog="alliance-report",
        description="Writes the report a fund's board reads, report.html and report.pdf, and\n"
        "its tables (CSV), from a merged sweep: which strategy to fund, what each buys\n"
        "net and gross, how sure the model is, and when the choice would change.",
        examples=[
            "alliance-report multirun/appraisal              # writes multirun/appraisal/"
            "collected_report/",
            "alliance-report collected.nc --output board_report --no-pdf",
        ],
        docs=("README.md (Appraisal)", "docs/model.md (section 8.5)"),
    )
    command.add_argument("dataset", type=Path, help=INPUTS)
    command.add_argument(
        "--output", type=Path, metavar="FOLDER", help="default: beside DATASET, <name>_report/"
    )
    command.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="net",
        help="what the choice maximises: net (default; every extra euro used is a cost) or "
        "gross (the fund's money alone)",
    )
    command.add_argument(
        "--threshold",
        type=finite_number,
        metavar="RATIO",
        help=f"the benefit-cost ratio a state must reach to satisfice (default "
        f"{SATISFICING_THRESHOLDS['net']:g}; with --objective gross, the value per fund euro, "
        f"default {SATISFICING_THRESHOLDS['gross']:g})",
    )
    command.add_argument(
        "--budget-map",
        type=Path,
        metavar="CSV",
        help="a budget map from a separate budget sweep (budget_map.csv of a report of "
        "several budgets, or python benchmarks/budget_map.py --csv): adds it and the budget "
        "to the recommendation's conditions",
    )
    command.add_argument(
        "--no-pdf", action="store_true", help="write the HTML only (the PDF needs Chromium)"
    )
    return command


def main(argv: list[str] | None = None) -> None:
    """Command line: read a merged sweep (or one run) and write its report.

    Any failure prints one line and leaves no report folder behind: a bad command
    line or a missing input (no such file, a folder with no dataset) exits 2, as
    every refusal of bad input does (`experiments.process.commandline`); a file that cannot be read
    or is not an `alliance-run` dataset exits 1. The PDF is printed by headless
    Chromium beside the HTML; without a browser the command says so in one line
    and writes the rest.
    """
    args = parser().parse_args(argv)
    threshold = satisficing_threshold(args.threshold, args.objective)
    try:
        source = resolve_input(args.dataset)
    except FileNotFoundError as error:
        print(f"alliance-report: {error}", file=sys.stderr)
        sys.exit(2)
    folder = args.output or source.with_name(f"{source.stem}_report")
    try:  # before any work: only a new or empty folder or an earlier report is replaced
        check_replaceable(folder, is_report, "report")
    except ValueError as error:
        print(f"alliance-report: {error}", file=sys.stderr)
        sys.exit(2)
    budget_map = None
    if args.budget_map is not None:
        try:
            budget_map = read_budget_map(args.budget_map)
        except (OSError, ValueError) as error:
            print(f"alliance-report: {error}", file=sys.stderr)
            sys.exit(2)
    unprinted = None
    writing = ExitStack()
    try:
        temporary = writing.enter_context(folder_written_atomically(folder, is_report, "report"))
    except OSError as error:
        print(
            f"alliance-report: cannot write {folder}: {error.strerror or error}; allowed: a "
            "folder you may write in",
            file=sys.stderr,
        )
        sys.exit(2)
    except ValueError as error:  # changed since the check above
        print(f"alliance-report: {error}", file=sys.stderr)
        sys.exit(2)
    try:
        with writing, open_lazily(source) as dataset:
            # A sensitivity sweep has a `sample` dimension and its own report.
            try:
                if "sample" in dataset.dims:
                    path = write_sensitivity_report(dataset, temporary)
                else:
                    path = write_report(dataset, temporary, threshold, args.objective, budget_map)
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
            if not args.no_pdf:
                unprinted = write_pdf(path, path.with_suffix(".pdf"))
    except ValueError as error:  # the folder changed while the report was written
        print(f"alliance-report: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"report: {folder / path.name}")
    if args.no_pdf:
        return
    if unprinted:
        print(f"alliance-report: no PDF: {unprinted}; print report.html from a browser")
    else:
        print(f"pdf: {folder / 'report.pdf'}")
