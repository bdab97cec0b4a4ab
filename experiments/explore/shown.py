"""Everything one result of the explorer shows, prepared off the interface thread.

`prepare` turns the seeds' dataset into tables, HTML and PNG images, so that the
interface thread only places them on the page. The HTML tables carry each
number's exact value in a `data-value` attribute: the browser test reads them
and compares them with `alliance-run`'s dataset for the same configuration.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from experiments.explore import figures, summaries
from experiments.explore.choice import Choice


@dataclass
class Shown:
    """One result, ready to draw.

    Attributes:
        choice: The controls it was computed for.
        dataset: The seeds' dataset (what the download holds).
        premium: `summaries.premium_table`.
        headline: `summaries.headline`.
        series: `summaries.value_over_time` (for the saved comparison).
        images: PNG bytes by figure name.
    """

    choice: Choice
    dataset: xr.Dataset
    premium: pd.DataFrame
    headline: dict[str, float]
    series: xr.Dataset
    images: dict[str, bytes] = field(default_factory=dict)


def png(figure: Figure) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def draw(name: str, args: tuple) -> bytes:
    """One figure: a function of `experiments.explore.figures` and its arguments, as PNG."""
    return png(getattr(figures, name)(*args))


def draw_here(drawings: list[tuple[str, tuple]]) -> list[bytes]:
    """Draw figures in this process (`Explorer.draw` draws them in its workers)."""
    return [draw(name, args) for name, args in drawings]


def prepare(
    dataset: xr.Dataset,
    choice: Choice,
    draw: Callable[[list[tuple[str, tuple]]], list[bytes]] = draw_here,
) -> Shown:
    """The tables and images of a result.

    Args:
        dataset: The seeds' dataset (`compute.combine`).
        choice: The controls it was computed for.
        draw: Draws (figure function name, arguments) pairs into PNG bytes; the app
            passes `Explorer.draw`, which draws the four figures side by side.

    Returns:
        What the page shows.
    """
    series = summaries.value_over_time(dataset)
    drawings = {
        "value": ("value_figure", (series,)),
        "size": (
            "size_figure",
            (
                summaries.by_size(dataset, "engineering_capacity"),
                summaries.by_size(dataset, "maturity"),
            ),
        ),
        **{
            f"territories_{quantity}": (
                "territory_figure",
                (summaries.territory_map(dataset, quantity),),
            )
            for quantity in ("engineering_capacity", "extra_value")
        },
    }
    images = dict(zip(drawings, draw(list(drawings.values())), strict=True))
    return Shown(
        choice=choice,
        dataset=dataset,
        premium=summaries.premium_table(dataset),
        headline=summaries.headline(dataset),
        series=series,
        images=images,
    )


def _cell(value: float, key: str, after: str = "") -> str:
    value = float(value)
    text = "n/a" if value != value else f"{value:,.2f}"
    return f'<td data-key="{key}" data-value="{value!r}">{text}{after}</td>'


def premium_html(table: pd.DataFrame, n_seeds: int) -> str:
    """The premium table: one row per view, mean and interval of each ratio."""
    ratios = list(dict.fromkeys(table.ratio))
    head = "".join(f"<th>{r}</th>" for r in ratios)
    rows = []
    for view in dict.fromkeys(table.view):
        cells = []
        for ratio in ratios:
            row = table[(table.ratio == ratio) & (table.view == view)].iloc[0]
            interval = f" <small>[{row['low']:,.2f}, {row['high']:,.2f}]</small>"
            cells.append(_cell(row["mean"], f"{ratio}-{view}", interval if n_seeds > 1 else ""))
        label = html.escape(summaries.VIEW_NAMES.get(view, view))
        rows.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    note = f"mean over {n_seeds} seeds [5-95 % over the seeds]" if n_seeds > 1 else "one seed"
    return (
        f'<table class="premium-table"><caption>{note}; leverage is social value per euro '
        f"paid by the fund</caption><tr><th>view</th>{head}</tr>{''.join(rows)}</table>"
    )


HEADLINE_COLUMNS = {
    "extra_value_eur": ("extra social value (MEUR, PV)", 1e-6),
    "fund_paid_eur": ("fund money paid (MEUR, PV)", 1e-6),
    "leverage_causal": ("causal leverage", 1.0),
    "leverage_observed": ("observed leverage", 1.0),
    "durability_causal": ("causal durability", 1.0),
    "budget_paid_share": ("budget paid", 1.0),
}


def comparison_html(entries: list[tuple[str, dict[str, float]]]) -> str:
    """Saved strategies and the current one side by side, by their headline numbers."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in entries)
    rows = []
    for key, (name, scale) in HEADLINE_COLUMNS.items():
        cells = "".join(
            _cell(numbers[key] * scale, f"{key}-{i}") for i, (_, numbers) in enumerate(entries)
        )
        rows.append(f"<tr><th>{name}</th>{cells}</tr>")
    return f'<table class="comparison-table"><tr><th></th>{head}</tr>{"".join(rows)}</table>'
