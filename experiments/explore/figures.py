"""The explorer's figures, drawn with matplotlib's object API (no pyplot: thread-safe).

Each function takes the summaries of `experiments.explore.summaries` and returns
a `matplotlib.figure.Figure`; the app shows it as a PNG image. Margins are fixed
(`subplots_adjust`) rather than computed by a layout engine: the constrained
layout doubles the time to draw a figure, and the page redraws four at every change.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from experiments.explore.summaries import SIZE_ORDER

WORLD_STYLE = {"treated": "-", "counterfactual": "--"}
SIZE_COLOURS = {"small": "#1b9e77", "medium": "#d95f02", "large": "#7570b3"}
SAVED_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def per_step(year: np.ndarray) -> str:
    """What one time step is, for axis labels: "quarter" in the default world."""
    step = float(year[1] - year[0]) if len(year) > 1 else 1.0
    names = {0.25: "quarter", 1.0: "year", 1 / 12: "month"}
    return next((n for length, n in names.items() if abs(step - length) < 1e-9), f"{step:g} yr")


def line_with_band(
    ax: Axes, year: np.ndarray, mean: object, low: object, high: object, **style: object
) -> None:
    """A mean line and its 5-95 % band, in one colour (`style` goes to the line)."""
    alpha = style.pop("band_alpha", 0.2)
    (line,) = ax.plot(year, mean, **style)
    ax.fill_between(year, low, high, color=line.get_color(), alpha=alpha)


def value_figure(series: xr.Dataset) -> Figure:
    """Social value per step with and without the fund, and the extra value, with bands."""
    figure = Figure(figsize=(9, 3.4))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    left, right = figure.subplots(1, 2)
    year = series.year.values
    for name, colour in (("treated", "#1f77b4"), ("counterfactual", "#7f7f7f")):
        label = "with the fund" if name == "treated" else "no-fund world"
        bounds = [series[f"{name}_{stat}"] / 1e3 for stat in ("mean", "low", "high")]
        line_with_band(left, year, *bounds, color=colour, label=label)
    step = per_step(year)
    left.set(xlabel="year", ylabel=f"social value (kEUR per {step})", title="Both worlds")
    left.legend(frameon=False)
    right.axhline(0, color="black", linewidth=0.6)
    bounds = [series[f"extra_{stat}"] / 1e3 for stat in ("mean", "low", "high")]
    line_with_band(right, year, *bounds, color="#2ca02c", band_alpha=0.25)
    right.set(xlabel="year", ylabel=f"kEUR per {step}", title="Extra value (with - without)")
    return figure


def size_figure(engineering: xr.Dataset, maturity: xr.Dataset) -> Figure:
    """Engineering capacity and maturity by territory size, with and without the fund."""
    figure = Figure(figsize=(9, 3.2))
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.15)
    axes = figure.subplots(1, 2)
    for ax, summary, title in (
        (axes[0], engineering, "Engineering capacity"),
        (axes[1], maturity, "Maturity (level 1-4)"),
    ):
        year = summary.year.values
        for size in SIZE_ORDER:
            if size not in summary.size_class.values:
                continue
            for world, linestyle in WORLD_STYLE.items():
                point = summary.sel(size_class=size, world=world)
                label = f"{size}, {'fund' if world == 'treated' else 'no fund'}"
                line = {"linestyle": linestyle, "color": SIZE_COLOURS[size], "label": label}
                if world == "treated":
                    bounds = [point[stat] for stat in ("mean", "low", "high")]
                    line_with_band(ax, year, *bounds, band_alpha=0.15, **line)
                else:
                    ax.plot(year, point["mean"], **line)
        ax.set(xlabel="year", title=title)
    axes[1].legend(frameon=False, fontsize=7, ncols=2)
    return figure


def territory_figure(values: xr.DataArray) -> Figure:
    """Every territory as a square, grouped by size class, coloured by a number."""
    present = [s for s in SIZE_ORDER if s in values.size_class.values]
    figure = Figure(figsize=(9, 2.6))
    figure.subplots_adjust(left=0.02, right=0.85, bottom=0.05, top=0.88, wspace=0.1)
    axes = np.atleast_1d(figure.subplots(1, len(present)))
    finite = values.values[np.isfinite(values.values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    diverging = low < 0 < high
    norm = TwoSlopeNorm(0.0, low, high) if diverging else None
    cmap = "RdBu" if diverging else "viridis"
    image = None
    for ax, size in zip(axes, present, strict=True):
        group = values.where(values.size_class == size, drop=True)
        n = group.size
        columns = math.ceil(math.sqrt(n))
        grid = np.full(columns * math.ceil(n / columns), np.nan)
        grid[:n] = group.values
        image = ax.imshow(
            grid.reshape(-1, columns),
            cmap=cmap,
            norm=norm,
            vmin=None if diverging else low,
            vmax=None if diverging else high,
        )
        ax.set(title=f"{size} ({n})", xticks=[], yticks=[])
    if image is not None:
        unit = values.attrs.get("units", "")
        bar = figure.add_axes((0.87, 0.1, 0.02, 0.75))
        figure.colorbar(image, cax=bar, label=f"{values.attrs.get('long_name', '')} ({unit})")
    return figure


def saved_figure(saved: list[tuple[str, xr.Dataset]]) -> Figure:
    """The extra value over time of up to three saved strategies and the current one."""
    figure = Figure(figsize=(9, 3.2))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9)
    ax = figure.subplots()
    ax.axhline(0, color="black", linewidth=0.6)
    for (label, series), colour in zip(saved, SAVED_COLOURS, strict=False):
        year = series.year.values
        bounds = [series[f"extra_{stat}"] / 1e3 for stat in ("mean", "low", "high")]
        line_with_band(ax, year, *bounds, color=colour, label=label, band_alpha=0.15)
    unit = f"kEUR per {per_step(saved[0][1].year.values)}" if saved else "kEUR"
    ax.set(xlabel="year", ylabel=unit, title="Extra value against the no-fund world")
    ax.legend(frameon=False, fontsize=8)
    return figure
