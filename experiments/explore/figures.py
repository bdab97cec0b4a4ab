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
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.explore.summaries import SIZE_ORDER

WORLD_STYLE = {"treated": "-", "counterfactual": "--"}
SIZE_COLOURS = {"small": "#1b9e77", "medium": "#d95f02", "large": "#7570b3"}
SAVED_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")
# Yellow-green-blue without its darkest quarter: the highest territories are not black.
SOFT = ListedColormap(colormaps["YlGnBu"](np.linspace(0.0, 0.75, 256)), name="soft")


def per_step(year: np.ndarray) -> str:
    """What one time step is, for axis labels: "quarter" in the default world."""
    step = float(year[1] - year[0]) if len(year) > 1 else 1.0
    names = {0.25: "quarter", 1.0: "year", 1 / 12: "month"}
    return next((n for length, n in names.items() if abs(step - length) < 1e-9), f"{step:g} yr")


def money_unit(largest: float) -> tuple[float, str]:
    """The divisor and unit that keep a money axis's ticks short: kEUR, or MEUR when large."""
    return (1e6, "MEUR") if abs(largest) >= 1e7 else (1e3, "kEUR")


# Tick labels with thousands separators and no needless decimals ("1,500", "0.5").
TICKS = FuncFormatter(lambda value, _: f"{value:,.10g}" if abs(value) < 1e4 else f"{value:,.0f}")


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
    figure.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    left, right = figure.subplots(1, 2)
    year = series.year.values
    step = per_step(year)
    scale, unit = money_unit(float(series["treated_high"].max()))
    for name, colour in (("treated", "#1f77b4"), ("counterfactual", "#7f7f7f")):
        label = "with the fund" if name == "treated" else "no-fund world"
        bounds = [series[f"{name}_{stat}"] / scale for stat in ("mean", "low", "high")]
        line_with_band(left, year, *bounds, color=colour, label=label)
    left.set(xlabel="year", ylabel=f"social value ({unit} per {step})", title="Both worlds")
    left.legend(frameon=False)
    right.axhline(0, color="black", linewidth=0.6)
    scale, unit = money_unit(float(abs(series["extra_high"]).max()))
    bounds = [series[f"extra_{stat}"] / scale for stat in ("mean", "low", "high")]
    line_with_band(right, year, *bounds, color="#2ca02c", band_alpha=0.25)
    right.set(xlabel="year", ylabel=f"{unit} per {step}", title="Extra value (with - without)")
    for ax in (left, right):
        ax.yaxis.set_major_formatter(TICKS)
    return figure


def size_figure(engineering: xr.Dataset, maturity: xr.Dataset) -> Figure:
    """Engineering capacity and maturity by territory size, with and without the fund."""
    figure = Figure(figsize=(9, 3.6))
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.28, top=0.91, wspace=0.18)
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
    # One legend for both panels, under them: it hides no line.
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=6, frameon=False, fontsize=8)
    return figure


def territory_figure(values: xr.DataArray) -> Figure:
    """Every territory as a square, grouped by size class, coloured by a number.

    Squares are parted by white lines and the colours are light at the low end, so
    that neighbouring territories stay apart even where a size class shares one value.
    """
    present = [s for s in SIZE_ORDER if s in values.size_class.values]
    figure = Figure(figsize=(9, 2.6))
    figure.subplots_adjust(left=0.02, right=0.85, bottom=0.05, top=0.88, wspace=0.1)
    axes = np.atleast_1d(figure.subplots(1, len(present)))
    finite = values.values[np.isfinite(values.values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    diverging = low < 0 < high
    if diverging:
        norm, cmap = TwoSlopeNorm(0.0, low, high), "PuOr"
    else:
        norm, cmap = None, SOFT
    image = None
    for ax, size in zip(axes, present, strict=True):
        group = values.where(values.size_class == size, drop=True)
        n = group.size
        columns = math.ceil(math.sqrt(n))
        grid = np.full(columns * math.ceil(n / columns), np.nan)
        grid[:n] = group.values
        image = ax.pcolormesh(
            grid.reshape(-1, columns),
            cmap=cmap,
            norm=norm,
            vmin=None if diverging else min(low, 0.0),
            vmax=None if diverging else high,
            edgecolors="white",
            linewidth=0.6 if columns < 20 else 0.0,
        )
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.set(title=f"{size} ({n})", xticks=[], yticks=[])
        for side in ax.spines.values():
            side.set_visible(False)
    if image is not None:
        unit = values.attrs.get("units", "")
        bar = figure.add_axes((0.87, 0.1, 0.02, 0.75))
        colorbar = figure.colorbar(image, cax=bar)
        colorbar.set_label(f"{values.attrs.get('long_name', '')} ({unit})", fontsize=8)
        colorbar.ax.yaxis.set_major_formatter(TICKS)
    return figure


def saved_figure(saved: list[tuple[str, xr.Dataset]]) -> Figure:
    """The extra value over time of up to three saved strategies and the current one."""
    figure = Figure(figsize=(9, 3.2))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9)
    ax = figure.subplots()
    ax.axhline(0, color="black", linewidth=0.6)
    largest = max((float(abs(series["extra_high"]).max()) for _, series in saved), default=0.0)
    scale, unit = money_unit(largest)
    for (label, series), colour in zip(saved, SAVED_COLOURS, strict=False):
        year = series.year.values
        bounds = [series[f"extra_{stat}"] / scale for stat in ("mean", "low", "high")]
        line_with_band(ax, year, *bounds, color=colour, label=label, band_alpha=0.15)
    step = per_step(saved[0][1].year.values) if saved else "step"
    ax.set(
        xlabel="year", ylabel=f"{unit} per {step}", title="Extra value against the no-fund world"
    )
    ax.yaxis.set_major_formatter(TICKS)
    ax.legend(frameon=False, fontsize=8)
    return figure
