"""`alliance-report DATASET`: the strategy comparison that fund evaluators read.

    alliance-report multirun/strategy_comparison/collected.nc     # writes ..._report/

(A sensitivity sweep, with a `sample` dimension, gets the sensitivity report of
`experiments/sensitivity_report.py` instead.)

Reads a merged sweep (`alliance-collect`). Every combination of swept values
other than `seed` is one *arm* (for example `strategy=uniform`). It writes a
self-contained HTML report (figures embedded) and the same tables as CSV:

- per arm: extra social value (causal, present value), causal leverage, observed
  frugality and durability, fund cost per euro of extra value; mean and 95 %
  confidence interval of the mean over seeds;
- paired differences of extra value against the best arm, with the share of seeds
  in which the best beats each other arm (pairing by seed is valid: all arms of a
  seed share common random numbers);
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

from experiments.files import NETCDF_ENGINE, folder_written_atomically
from experiments.html import page, png
from experiments.html import table as html_table
from experiments.sensitivity_report import write_sensitivity_report

_BASE_DIMS = {
    "seed",
    "world",
    "time",
    "territory",
    "profile",
    "maturity_level",
    "instrument",
    "view",
    "measure",
    "project_type",
}


def arm_dims(dataset: xr.Dataset) -> list[str]:
    """Swept dimensions other than the seed."""
    return [d for d in dataset.dims if d not in _BASE_DIMS]


def as_sweep(dataset: xr.Dataset) -> xr.Dataset:
    """A single run's dataset as a sweep of one seed (merged sweeps pass unchanged)."""
    if "seed" in dataset.dims:
        return dataset
    return dataset.expand_dims(seed=[int(dataset.attrs.get("seed", 0))])


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
    metrics = xr.Dataset(
        {
            "extra_value_meur": extra / 1e6,
            "causal_leverage": dataset.premium_leverage.sel(
                drop=True, view="causal", measure="value"
            ),
            "observed_frugality": dataset.premium_frugality.sel(drop=True, view="observed"),
            "observed_durability": dataset.premium_durability.sel(drop=True, view="observed"),
            "cost_per_eur_of_value": (invested / extra).where(invested > 0),
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


METRICS = {
    "extra_value_meur": "extra social value (MEUR, present value)",
    "causal_leverage": "causal value leverage (extra social value per EUR paid)",
    "observed_frugality": "observed frugality (x)",
    "observed_durability": "observed durability (x)",
    "cost_per_eur_of_value": "fund EUR per EUR of extra value",
}


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval of the mean per arm, best arm (most extra value) first."""
    rows = []
    for arm, group in frame.groupby("arm"):
        row: dict[str, object] = {"arm": arm, "seeds": group["seed"].nunique()}
        for metric in METRICS:
            mean, low, high = _mean_ci(group[metric])
            row[metric] = mean
            row[f"{metric}_ci_low"] = low
            row[f"{metric}_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows).sort_values("extra_value_meur", ascending=False, ignore_index=True)


def paired_differences(frame: pd.DataFrame, best: str) -> pd.DataFrame:
    """Extra value of the best arm minus each other arm, paired by seed."""
    wide = frame.pivot_table(index="seed", columns="arm", values="extra_value_meur")
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


def figure_summary(table: pd.DataFrame) -> str:
    """Bar charts with 95 % intervals for the headline metrics."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, metric in zip(
        axes, ["extra_value_meur", "causal_leverage", "cost_per_eur_of_value"], strict=True
    ):
        mean = table[metric]
        err = [mean - table[f"{metric}_ci_low"], table[f"{metric}_ci_high"] - mean]
        ax.barh(table["arm"], mean, xerr=np.nan_to_num(err), color="tab:blue", alpha=0.7)
        ax.set_xlabel(METRICS[metric])
        ax.invert_yaxis()
    axes[0].set_title("Extra value over the no-fund world")
    axes[1].set_title("Causal leverage")
    axes[2].set_title("Cost per euro of extra value")
    fig.suptitle("Strategies compared (mean and 95 % interval over seeds)")
    fig.tight_layout()
    return png(fig)


def figure_budget_response(frame: pd.DataFrame, dataset: xr.Dataset) -> str | None:
    """Extra value and causal leverage against the budget, one line per other arm."""
    if "budget_eur" not in dataset.dims:
        return None
    others = [d for d in arm_dims(dataset) if d != "budget_eur"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    groups = frame.groupby(others) if others else [("all", frame)]
    for label, group in groups:
        curve = group.groupby("budget_eur")[["extra_value_meur", "causal_leverage"]].mean()
        name = label if isinstance(label, str) else ", ".join(map(str, np.atleast_1d(label)))
        axes[0].plot(curve.index / 1e6, curve["extra_value_meur"], marker="o", label=name)
        axes[1].plot(curve.index / 1e6, curve["causal_leverage"], marker="o", label=name)
    axes[0].set(
        xlabel="budget (MEUR over the fund period)",
        ylabel="extra value (MEUR, PV)",
        title="Budget response: extra value",
    )
    axes[1].set(
        xlabel="budget (MEUR over the fund period)",
        ylabel="extra social value per EUR paid",
        title="Budget response: causal leverage",
    )
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return png(fig)


def figure_time_series(dataset: xr.Dataset) -> str:
    """Extra value per quarter and engineering capacity, by territory size class."""
    dims = arm_dims(dataset)
    stacked = dataset.stack(arm=dims) if dims else dataset.expand_dims(arm=["all"])
    size = stacked.size_class
    extra = stacked.value_created.sel(world="treated", drop=True) - stacked.value_created.sel(
        world="counterfactual", drop=True
    )
    capacity = stacked.engineering_capacity.sel(world="treated", drop=True)
    fig, axes = plt.subplots(2, 3, figsize=(15, 7), sharex=True)
    for column, size_class in enumerate(("small", "medium", "large")):
        mask = size == size_class
        value = (extra.where(mask).sum("territory") / 1e3).mean("seed")
        engineering = capacity.where(mask).mean("territory").mean("seed")
        for arm_value in stacked.arm.values:
            label = ", ".join(map(str, np.atleast_1d(arm_value)))
            axes[0, column].plot(value.year, value.sel(arm=arm_value), label=label)
            axes[1, column].plot(engineering.year, engineering.sel(arm=arm_value), label=label)
        axes[0, column].set_title(f"{size_class} territories")
        axes[0, column].set_ylabel("extra value per quarter (kEUR)")
        axes[1, column].set_ylabel("engineering capacity E (0-1)")
        axes[1, column].set_xlabel("year")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Over time, by territory size (mean over seeds)")
    fig.tight_layout()
    return png(fig)


def verdict(table: pd.DataFrame, differences: pd.DataFrame) -> str:
    """A plain-language paragraph: who wins, by how much, how sure we are."""
    best = table.iloc[0]
    seeds = int(best["seeds"])
    subject = (
        f"The arm that creates the most social value is {best['arm']}:"
        if len(table) > 1
        else f"One arm ({best['arm']}), so nothing to compare it with; it creates"
    )
    if seeds < 2:
        interval = "; one seed gives no interval: run more seeds, e.g. seed=0,1,2,3,4"
    else:
        interval = (
            f"; 95 % interval {best['extra_value_meur_ci_low']:.2f} to "
            f"{best['extra_value_meur_ci_high']:.2f}"
        )
    text = (
        f"{subject} {best['extra_value_meur']:.2f} MEUR more than without the fund "
        f"(present value{interval}), a causal leverage of "
        f"{best['causal_leverage']:.1f}, over {seeds} seed{'s' if seeds > 1 else ''}."
    )
    if not differences.empty and seeds >= 2:
        runner = differences.iloc[0]
        sure = runner["probability_best_beats_other"]
        if sure >= 0.95:
            lead = "its lead is clear"
        elif sure >= 0.75:
            lead = "its lead is probable but not certain"
        else:
            lead = "the two cannot be told apart with these seeds; run more replicates"
        text += (
            f" The runner-up is {runner['other']}, {runner['difference_meur']:.2f} MEUR behind "
            f"(95 % interval {runner['ci_low']:.2f} to {runner['ci_high']:.2f}); the best arm "
            f"beats it in {sure:.0%} of paired seeds: {lead}."
        )
    return text


def write_report(dataset: xr.Dataset, folder: Path) -> Path:
    """Write `report.html` and the CSV tables into `folder`.

    Args:
        dataset: A merged sweep, or a single run's dataset.
        folder: Output folder.

    Returns:
        The HTML file's path.
    """
    dataset = as_sweep(dataset)
    folder.mkdir(parents=True, exist_ok=True)
    frame = per_seed_metrics(dataset)
    table = summary_table(frame)
    differences = paired_differences(frame, table.iloc[0]["arm"])
    table.to_csv(folder / "summary.csv", index=False)
    differences.to_csv(folder / "paired_differences.csv", index=False)
    frame.to_csv(folder / "per_seed.csv", index=False)
    figures = [figure_summary(table)]
    budget = figure_budget_response(frame, dataset)
    if budget:
        figures.append(budget)
    figures.append(figure_time_series(dataset))
    body = f"""<p><b>{html.escape(verdict(table, differences))}</b></p>
<p>Swept: {html.escape(str(dataset.attrs.get("swept", "")))}; {frame["seed"].nunique()} seeds;
calibrated set: {html.escape(str(dataset.attrs.get("calibrated_set", "")))}; package version
{html.escape(str(dataset.attrs.get("package_version", "")))}. Intervals are 95 % confidence
intervals of the mean over seeds. Extra value is the treated world's present value of social
value minus its counterfactual's (same seed, no fund).</p>
<h2>Per arm</h2>{html_table(table)}
<h2>Paired differences against the best arm</h2>{html_table(differences)}"""
    page_text = page("Alliance premium: strategy comparison", body, figures)
    path = folder / "report.html"
    path.write_text(page_text)
    return path


def resolve_input(path: Path) -> Path:
    """The dataset file a user means: a file, or a sweep or run folder that holds one.

    Args:
        path: What was given on the command line.

    Returns:
        The NetCDF file to read.

    Raises:
        FileNotFoundError: Nothing to read there, with what was looked for.
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
        msg = f"no such file: {path}"
        raise FileNotFoundError(msg)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: read a merged sweep (or one run) and write its report.

    Any failure prints one line and exits 1, leaving no report folder behind.
    """
    parser = argparse.ArgumentParser(prog="alliance-report", description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", type=Path, help="a merged sweep (alliance-collect), a run's dataset, or a folder"
    )
    parser.add_argument("--output", type=Path, help="default: DATASET's folder/<name>_report")
    args = parser.parse_args(argv)
    try:
        source = resolve_input(args.dataset)
    except FileNotFoundError as error:
        print(f"alliance-report: {error}", file=sys.stderr)
        sys.exit(1)
    folder = args.output or source.with_name(f"{source.stem}_report")
    try:
        # Lazily: each variable is read when the report first needs it.
        dataset = xr.open_dataset(source, engine=NETCDF_ENGINE)
    except (OSError, ValueError) as error:
        print(f"alliance-report: cannot read {source} as NetCDF: {error}", file=sys.stderr)
        sys.exit(1)
    with dataset, folder_written_atomically(folder) as temporary:
        # A sensitivity sweep has a `sample` dimension and its own report.
        write = write_sensitivity_report if "sample" in dataset.dims else write_report
        try:
            path = write(dataset, temporary)
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
