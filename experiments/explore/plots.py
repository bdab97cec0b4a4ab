"""The explorer's interactive figures: plotly.js specifications built as plain dictionaries.

Each function takes the summaries of `experiments.explore.summaries` and returns a
figure as plotly.js reads it (`{"data": [...], "layout": {...}}`), with every value
on hover: a mean and its 5-95 % range over the seeds, a territory and its number.
They are plain dictionaries, so building one costs a few milliseconds and needs
no plotting library in Python; the browser draws them with the plotly.js file
that the `plotly` package ships (`javascript`), served by `alliance-explore`
itself, so the page works with no internet access. Where that file is missing,
the page shows the matplotlib figures of `experiments.explore.figures` instead.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.colors import to_hex

from experiments.explore.figures import SAVED_COLOURS, SIZE_COLOURS, money_unit, per_step
from experiments.explore.summaries import SIZE_ORDER

# Where the page asks for plotly.js (`alliance-explore` serves the package's file there).
SCRIPT_URL = "/explorer-static/plotly.min.js"
WORLD_COLOURS = {"treated": "#1f77b4", "counterfactual": "#7f7f7f"}
EXTRA_COLOUR = "#2ca02c"
FONT = {"family": "Roboto, Arial, sans-serif", "size": 12}


def javascript() -> Path | None:
    """The plotly.js file of the installed `plotly` package, or None (it is not imported)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def as_json(figure: dict) -> str:
    """A figure as the JSON text the page sends to plotly.js (NaN is refused: use None)."""
    return json.dumps(figure, allow_nan=False, separators=(",", ":"))


def available() -> bool:
    """Whether the page can draw interactive figures."""
    return javascript() is not None


def numbers(values: object) -> list[float | None]:
    """Values as a JSON list: NaN and infinities become null (a gap in a line)."""
    array = np.asarray(values, dtype=float).ravel()
    return [float(v) if math.isfinite(v) else None for v in array]


def rgba(colour: str, alpha: float) -> str:
    """A CSS colour with transparency, for a band."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def line_with_band(
    x: object,
    mean: object,
    low: object,
    high: object,
    *,
    name: str,
    colour: str,
    unit: str,
    axis: str = "",
    dash: str = "solid",
    legend: bool = True,
    band: bool = True,
) -> list[dict]:
    """A mean line whose hover gives its 5-95 % range, over a shaded band (two traces).

    Args:
        x: The x values (years).
        mean: The mean over the seeds.
        low: The 5 % quantile over the seeds.
        high: The 95 % quantile over the seeds.
        name: The line's name (legend and hover).
        colour: Its colour (hex).
        unit: The unit of y, for the hover.
        axis: "" for the first subplot, "2" for the second, and so on.
        dash: plotly's line dash.
        legend: Whether the line is in the legend.
        band: Whether to shade the range.

    Returns:
        The traces: the band's lower and upper edges (if shaded), then the line.
    """
    axes = {"xaxis": f"x{axis}", "yaxis": f"y{axis}"}
    xs = numbers(x)
    traces = []
    if band:
        edge = {"type": "scatter", "x": xs, "mode": "lines", "hoverinfo": "skip"}
        traces.append(
            {**edge, **axes, "y": numbers(low), "line": {"width": 0}, "showlegend": False}
        )
        traces.append(
            {
                **edge,
                **axes,
                "y": numbers(high),
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": rgba(colour, 0.2),
                "showlegend": False,
            }
        )
    ranges = [list(pair) for pair in zip(numbers(low), numbers(high), strict=True)]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            **axes,
            "x": xs,
            "y": numbers(mean),
            "name": name,
            "legendgroup": name,
            "showlegend": legend,
            "line": {"color": colour, "dash": dash, "width": 2},
            "customdata": ranges,
            "hovertemplate": (
                f"{name}<br>year %{{x:.2f}}: %{{y:,.4~g}} {unit}"
                + ("<br>5-95 %: %{customdata[0]:,.4~g} to %{customdata[1]:,.4~g}" if band else "")
                + "<extra></extra>"
            ),
        }
    )
    return traces


def two_panels(left_title: str, right_title: str, height: int = 340) -> dict:
    """A layout of two subplots side by side, titled, with the legend under them."""
    return {
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 40, "b": 80},
        "font": FONT,
        "hovermode": "closest",
        "plot_bgcolor": "white",
        "xaxis": {"domain": [0.0, 0.44], "title": {"text": "year"}, "showline": True},
        "xaxis2": {
            "domain": [0.56, 1.0],
            "anchor": "y2",
            "title": {"text": "year"},
            "showline": True,
        },
        "yaxis": {"gridcolor": "#eee", "tickformat": ",~g", "showline": True},
        "yaxis2": {"anchor": "x2", "gridcolor": "#eee", "tickformat": ",~g", "showline": True},
        "legend": {"orientation": "h", "y": -0.32, "x": 0.0},
        "annotations": [
            _title(left_title, 0.22),
            _title(right_title, 0.78),
        ],
    }


def _title(text: str, x: float) -> dict:
    return {
        "text": f"<b>{text}</b>",
        "x": x,
        "y": 1.0,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
    }


def value_plot(series: xr.Dataset) -> dict:
    """Social value per step with and without the fund, and the extra value, with bands."""
    year = series.year.values
    step = per_step(year)
    scale, unit = money_unit(float(series["treated_high"].max()))
    data = []
    for name, label in (("treated", "with the fund"), ("counterfactual", "no-fund world")):
        bounds = [series[f"{name}_{stat}"].values / scale for stat in ("mean", "low", "high")]
        data += line_with_band(
            year, *bounds, name=label, colour=WORLD_COLOURS[name], unit=f"{unit} per {step}"
        )
    layout = two_panels("Both worlds", "Extra value (with - without)")
    layout["yaxis"]["title"] = {"text": f"social value ({unit} per {step})"}
    scale, extra_unit = money_unit(float(abs(series["extra_high"]).max()))
    bounds = [series[f"extra_{stat}"].values / scale for stat in ("mean", "low", "high")]
    data += line_with_band(
        year,
        *bounds,
        name="extra value",
        colour=EXTRA_COLOUR,
        unit=f"{extra_unit} per {step}",
        axis="2",
    )
    layout["yaxis2"]["title"] = {"text": f"{extra_unit} per {step}"}
    layout["yaxis2"]["zeroline"] = True
    layout["yaxis2"]["zerolinecolor"] = "#000"
    return {"data": data, "layout": layout}


def size_plot(engineering: xr.Dataset, maturity: xr.Dataset) -> dict:
    """Engineering capacity and maturity by territory size, with and without the fund."""
    data = []
    for axis, summary in (("", engineering), ("2", maturity)):
        year = summary.year.values
        for size in SIZE_ORDER:
            if size not in summary.size_class.values:
                continue
            for world in ("treated", "counterfactual"):
                point = summary.sel(size_class=size, world=world)
                treated = world == "treated"
                data += line_with_band(
                    year,
                    *(point[stat].values for stat in ("mean", "low", "high")),
                    name=f"{size}, {'fund' if treated else 'no fund'}",
                    colour=SIZE_COLOURS[size],
                    unit="",
                    axis=axis,
                    dash="solid" if treated else "dash",
                    legend=axis == "",
                    band=treated,
                )
    layout = two_panels("Engineering capacity", "Maturity (level 1-4)", height=380)
    return {"data": data, "layout": layout}


@functools.cache
def _colour_scale(name: str, top: float, steps: int) -> tuple[tuple[float, str], ...]:
    cmap = colormaps[name]
    return tuple((i / (steps - 1), to_hex(cmap(top * i / (steps - 1)))) for i in range(steps))


def colour_scale(name: str, top: float = 1.0, steps: int = 9) -> list[list]:
    """A matplotlib colour map as a plotly colour scale, cut at `top` (0-1)."""
    return [list(stop) for stop in _colour_scale(name, top, steps)]


def territory_plot(values: xr.DataArray) -> dict:
    """Every territory as a square, grouped by size class; its number and id on hover."""
    classes, ids = values.size_class.values, values.territory.values
    present = [s for s in SIZE_ORDER if s in classes]
    finite = values.values[np.isfinite(values.values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    diverging = low < 0 < high
    unit = values.attrs.get("units", "")
    label = f"{values.attrs.get('long_name', '')} ({unit})"
    axis = {
        "cmin": -max(-low, high) if diverging else min(low, 0.0),
        "cmax": max(-low, high) if diverging else high,
        "colorscale": colour_scale("PuOr") if diverging else colour_scale("YlGnBu", 0.75),
        "colorbar": {"title": {"text": label, "side": "right"}, "tickformat": ",~g"},
    }
    data, layout = (
        [],
        {
            "height": 300,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "font": FONT,
            "plot_bgcolor": "white",
            "coloraxis": axis,
            "annotations": [],
        },
    )
    width = 0.88 / max(len(present), 1)
    for i, size in enumerate(present):
        of_size = classes == size
        n = int(of_size.sum())
        columns = math.ceil(math.sqrt(n))
        rows = math.ceil(n / columns)
        z = np.full(rows * columns, np.nan)
        z[:n] = values.values[of_size]
        names = np.full(rows * columns, "", dtype=object)
        names[:n] = [f"territory {int(t)}" for t in ids[of_size]]
        suffix = "" if i == 0 else str(i + 1)
        data.append(
            {
                "type": "heatmap",
                "z": [numbers(row) for row in z.reshape(rows, columns)],
                "text": names.reshape(rows, columns).tolist(),
                "coloraxis": "coloraxis",
                "xgap": 2 if columns < 20 else 1,  # territories stay apart, even 600 of them
                "ygap": 2 if columns < 20 else 1,
                "hovertemplate": f"%{{text}} ({size})<br>%{{z:,.4~g}} {unit}<extra></extra>",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        start = i * (width + 0.02)
        layout[f"xaxis{suffix}"] = {
            "domain": [start, start + width],
            "visible": False,
            "anchor": f"y{suffix}",
        }
        layout[f"yaxis{suffix}"] = {
            "visible": False,
            "autorange": "reversed",
            "scaleanchor": f"x{suffix}",
            "anchor": f"x{suffix}",
        }
        layout["annotations"].append(_title(f"{size} ({n})", start + width / 2))
    return {"data": data, "layout": layout}


def saved_plot(saved: list[tuple[str, xr.Dataset]]) -> dict:
    """The extra value over time of the strategies side by side, with their bands."""
    largest = max((float(abs(series["extra_high"]).max()) for _, series in saved), default=0.0)
    scale, unit = money_unit(largest)
    step = per_step(saved[0][1].year.values) if saved else "step"
    data = []
    for (label, series), colour in zip(saved, SAVED_COLOURS, strict=False):
        bounds = [series[f"extra_{stat}"].values / scale for stat in ("mean", "low", "high")]
        data += line_with_band(
            series.year.values, *bounds, name=label, colour=colour, unit=f"{unit} per {step}"
        )
    layout = {
        "height": 340,
        "margin": {"l": 70, "r": 20, "t": 40, "b": 80},
        "font": FONT,
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "xaxis": {"title": {"text": "year"}, "showline": True},
        "yaxis": {
            "title": {"text": f"{unit} per {step}"},
            "gridcolor": "#eee",
            "tickformat": ",~g",
            "zeroline": True,
            "zerolinecolor": "#000",
        },
        "legend": {"orientation": "h", "y": -0.32},
        "annotations": [_title("Extra value against the no-fund world", 0.5)],
    }
    return {"data": data, "layout": layout}
