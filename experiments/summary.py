"""A plain-text summary of one run's dataset."""

from __future__ import annotations

import math

import xarray as xr


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def summary(dataset: xr.Dataset) -> str:
    """The premium in both views, and the headline totals of both worlds.

    Args:
        dataset: A run's dataset.

    Returns:
        A table as text.
    """
    lines = [
        f"Alliance premium - scenario {dataset.attrs['scenario']}, "
        f"strategy {dataset.attrs['strategy']}, seed {dataset.attrs['seed']}",
        "",
        f"{'ratio':<12}{'observed':>12}{'causal':>12}   meaning",
    ]
    meanings = {
        "frugality": "resources per value, without / with (> 1: more frugal)",
        "durability": "mean project lifetime (RMST), with / without",
        "leverage": "value + mobilised resources per EUR invested",
    }
    for ratio, meaning in meanings.items():
        values = dataset[f"premium_{ratio}"]
        lines.append(
            f"{ratio:<12}{_fmt(float(values.sel(view='observed'))):>12}"
            f"{_fmt(float(values.sel(view='causal'))):>12}   {meaning}"
        )
    treated = dataset.sel(world="treated")
    counterfactual = dataset.sel(world="counterfactual")
    lines += [
        "",
        f"backed projects: {int(dataset.backed_projects)}, "
        f"comparable unbacked projects: {int(dataset.comparable_projects)}",
        f"fund paid out (present value): {_fmt(float(treated.fund_invested_pv), 0)} EUR",
        f"social value created (present value): {_fmt(float(treated.value_created_pv), 0)} EUR "
        f"with the fund, {_fmt(float(counterfactual.value_created_pv), 0)} EUR without",
        f"projects started: {int(treated.projects_started)} with the fund, "
        f"{int(counterfactual.projects_started)} without",
    ]
    return "\n".join(lines)
