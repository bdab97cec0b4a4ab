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

from experiments.explore import decision, figures, plots, summaries
from experiments.explore.choice import Choice
from experiments.explore.decision import HEADLINE, Interval, Versus


@dataclass
class Shown:
    """One result, ready to draw.

    Attributes:
        choice: The controls it was computed for.
        dataset: The seeds' dataset (what the download holds).
        premium: `summaries.premium_table`.
        outcomes: `decision.outcomes`: the appraisal's figures of every seed.
        headline: `decision.headline`: the figures put first, over the seeds.
        series: `summaries.value_over_time` (for the saved comparison).
        plots: plotly.js figures by name (`plots`), with values on hover.
        images: PNG bytes by figure name, drawn only where the page cannot show
            the interactive figures (plotly.js missing).
    """

    choice: Choice
    dataset: xr.Dataset
    premium: pd.DataFrame
    outcomes: xr.Dataset
    headline: dict[str, Interval]
    series: xr.Dataset
    plots: dict[str, dict] = field(default_factory=dict)
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
    interactive: bool | None = None,
) -> Shown:
    """The tables and figures of a result.

    Args:
        dataset: The seeds' dataset (`compute.combine`).
        choice: The controls it was computed for.
        draw: Draws (figure function name, arguments) pairs into PNG bytes; the app
            passes `Explorer.draw`, which draws the four figures side by side.
        interactive: Whether the page draws the interactive figures (`plots`), so
            that no PNG is drawn; default: whether plotly.js is installed.

    Returns:
        What the page shows.
    """
    series = summaries.value_over_time(dataset)
    engineering = summaries.by_size(dataset, "engineering_capacity")
    maturity = summaries.by_size(dataset, "maturity")
    maps = {q: summaries.territory_map(dataset, q) for q in ("engineering_capacity", "extra_value")}
    figure_plots = {
        "value": plots.value_plot(series),
        "size": plots.size_plot(engineering, maturity),
        **{f"territories_{q}": plots.territory_plot(values) for q, values in maps.items()},
    }
    images = {}
    if not (plots.available() if interactive is None else interactive):
        drawings = {
            "value": ("value_figure", (series,)),
            "size": ("size_figure", (engineering, maturity)),
            **{f"territories_{q}": ("territory_figure", (v,)) for q, v in maps.items()},
        }
        images = dict(zip(drawings, draw(list(drawings.values())), strict=True))
    per_seed = decision.outcomes(dataset)
    return Shown(
        choice=choice,
        dataset=dataset,
        premium=summaries.premium_table(dataset),
        outcomes=per_seed,
        headline=decision.headline(per_seed),
        series=series,
        plots=figure_plots,
        images=images,
    )


def _cell(value: float, key: str, after: str = "") -> str:
    value = float(value)
    text = "n/a" if value != value else f"{value:,.2f}"
    return f'<td data-key="{key}" data-value="{value!r}">{text}{after}</td>'


def premium_html(table: pd.DataFrame, n_seeds: int) -> str:
    """The premium table: one row per view, mean and interval of each ratio."""
    ratios = list(dict.fromkeys(table.ratio))
    head = "".join(
        f'<th title="{html.escape(RATIO_HELP.get(r, ""))}" class="explained">{r}</th>'
        for r in ratios
    )
    rows = []
    for view in dict.fromkeys(table.view):
        cells = []
        for ratio in ratios:
            row = table[(table.ratio == ratio) & (table.view == view)].iloc[0]
            interval = f" <small>[{row['low']:,.2f}, {row['high']:,.2f}]</small>"
            cells.append(_cell(row["mean"], f"{ratio}-{view}", interval if n_seeds > 1 else ""))
        label = html.escape(summaries.VIEW_NAMES.get(view, view))
        rows.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="premium-table"><caption>{range_note(n_seeds)}; leverage is social value '
        f"per euro paid by the fund; hover over a heading for its meaning</caption>"
        f"<tr><th>view</th>{head}</tr>{''.join(rows)}</table>"
    )


# What each ratio of the premium means, in a line (the table's headings show it on hover).
RATIO_HELP = {
    "frugality": "Resources used per euro of value, without over with: 2 means half the "
    "resources for the same value.",
    "durability": "How long projects last, with over without: the ratio of their RMST "
    "(restricted mean survival time: the average lifetime, counted up to a horizon of 7 "
    "years by default).",
    "leverage": "Social value per euro paid by the fund.",
}


def _number(value: float, digits: int = 2, sign: bool = False) -> str:
    if value != value:
        return "n/a"
    return f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"


def _figure(value: Interval, key: str, n_seeds: int, unit: str = "", sign: bool = False) -> str:
    """A mean with its exact value in `data-value`, and its 5-95 % range over the seeds."""
    after = f" {unit}" if unit and value.mean == value.mean else ""
    text = f'<span class="value" data-key="{key}" data-value="{value.mean!r}">'
    text += f"{_number(value.mean, sign=sign)}{after}</span>"
    if n_seeds > 1 and value.mean == value.mean:
        low, high = _number(value.low, sign=sign), _number(value.high, sign=sign)
        text += f' <small class="range">[{low}, {high}]</small>'
    return text


def _seeds(n_seeds: int) -> str:
    return f"{n_seeds} seed{'s' if n_seeds != 1 else ''}"


def range_note(n_seeds: int) -> str:
    """What the brackets mean, said where they appear."""
    if n_seeds == 1:
        return "one seed: no range"
    return (
        f"mean over {n_seeds} seeds [5-95 % range over the seeds]; a figure per euro is the "
        "mean value over the mean cost"
    )


def answer_html(result: Shown, versus: Versus) -> str:
    """The page's first paragraph: what the strategy returns, net then gross, and how sure."""
    h = result.headline
    net, ratio = h["net_social_benefit_eur"], h["benefit_cost_ratio"]
    paid, private = h["paid_eur"], h["extra_private_resources_eur"]
    name = html.escape(result.choice.strategy)
    used = f"the fund's {paid.mean:,.2f} MEUR and the partners' extra {private.mean:,.2f} MEUR"
    if paid.high == 0:  # the strategy `none`, or a budget of 0
        first = (
            f"With <b>{name}</b>, the fund pays nothing: its net social benefit is "
            f"{net.mean:,.2f} MEUR"
        )
    elif net.mean >= 0:
        first = (
            f"With <b>{name}</b>, the world with the fund creates <b>{net.mean:,.2f} MEUR</b> "
            f"more social value than every extra euro it uses ({used})"
        )
    else:
        first = (
            f"With <b>{name}</b>, the extra social value falls <b>{-net.mean:,.2f} MEUR</b> "
            f"short of the extra euros used ({used})"
        )
    if ratio.mean == ratio.mean:
        first += f": each euro used returns <b>{ratio.mean:,.2f} EUR</b>"
    gross = h["extra_value_eur"]
    per_fund = h["value_per_fund_eur"]
    second = (
        f"Counting the fund's money alone (gross), it adds {gross.mean:,.2f} MEUR of social "
        f"value, {_number(per_fund.mean)} EUR per fund euro."
    )
    n = versus.seeds
    if versus.itself:
        third = "The baseline is this strategy itself: choose another to compare with."
    elif versus.baseline == decision.NO_FUND:
        third = f"Its net social benefit is positive in {versus.wins} of {_seeds(n)}."
    else:
        third = (
            f"It beats <b>{html.escape(versus.baseline)}</b> in {versus.wins} of {_seeds(n)} "
            f"(same seeds), by {versus.difference.mean / 1e6:+,.2f} MEUR on average."
        )
    if not versus.enough:
        third += (
            f" With {_seeds(n)}, this is not yet a basis for a choice: run at least "
            f"{decision.robustness.MIN_STATES}."
        )
    return f'<p class="answer">{first}. {second} {third}</p>'


# The headline cards: variable, title, unit, what it means.
CARDS = (
    (
        "net_social_benefit_eur",
        "Net social benefit",
        "MEUR",
        "extra social value minus every extra euro used: the fund's money and the partners' "
        "extra resources (present values)",
    ),
    (
        "benefit_cost_ratio",
        "Per euro used",
        "EUR",
        "extra social value per extra euro used, the fund's and the partners' (benefit-cost "
        "ratio; above 1, the fund's world creates more than it uses)",
    ),
    (
        "extra_value_eur",
        "Extra social value (gross)",
        "MEUR",
        "social value with the fund minus without it, before any cost",
    ),
    (
        "value_per_fund_eur",
        "Per fund euro (gross)",
        "EUR",
        "extra social value per euro the fund paid, ignoring the partners' resources",
    ),
)


def headline_html(result: Shown, versus: Versus) -> str:
    """The headline block: the answer, then one card per figure and the probability."""
    n_seeds = result.choice.n_seeds
    cards = []
    for key, title, unit, meaning in CARDS:
        value = _figure(result.headline[key], key, n_seeds, unit)
        cards.append(
            f'<div class="card"><div class="card-title">{title}</div>'
            f'<div class="card-value">{value}</div><div class="card-help">{meaning}</div></div>'
        )
    baseline = html.escape(versus.baseline)
    if versus.baseline == decision.NO_FUND:
        baseline = "the " + baseline
    probability = (
        f'<span class="value" data-key="probability" data-value="{versus.probability!r}">'
        f"{versus.probability:.0%}</span>"
    )
    difference = _figure(versus.difference.scaled(1e-6), "difference", n_seeds, "MEUR", True)
    help_line = (
        "choose another baseline to compare with"
        if versus.itself
        else f"net social benefit minus the baseline's, seed by seed (same seeds): {difference}"
    )
    cards.append(
        f'<div class="card card-versus"><div class="card-title">Beats {baseline}</div>'
        f'<div class="card-value">{probability} <small>of the seeds '
        f"({versus.wins} of {versus.seeds})</small></div>"
        f'<div class="card-help">{help_line}</div></div>'
    )
    return (
        f'<div class="headline">{answer_html(result, versus)}'
        f'<div class="cards">{"".join(cards)}</div>'
        f'<div class="note">{range_note(n_seeds)}; present values</div></div>'
    )


@dataclass(frozen=True)
class Column:
    """One strategy of the side-by-side comparison.

    Attributes:
        label: Its name in the table.
        headline: `decision.headline` of it.
        versus_shown: It against the strategy shown now, seed by seed
            (`decision.versus(its outcomes, the shown one's)`; None for the
            strategy shown now itself).
        shown_now: Whether it is the strategy shown now.
    """

    label: str
    headline: dict[str, Interval]
    versus_shown: Versus | None
    shown_now: bool


def comparison_html(columns: list[Column], n_seeds: int) -> str:
    """Strategies side by side: the headline figures, then each against the one shown now."""
    head = "".join(
        f'<th class="{"shown-now" if c.shown_now else ""}">{html.escape(c.label)}'
        f"{'<br><small>(shown now)</small>' if c.shown_now else ''}</th>"
        for c in columns
    )
    rows = []
    for key, (name, _, unit) in HEADLINE.items():
        cells = "".join(
            f"<td>{_figure(c.headline[key], f'{key}-{i}', n_seeds)}</td>"
            for i, c in enumerate(columns)
        )
        rows.append(f"<tr><th>{name} ({unit})</th>{cells}</tr>")
    differences, chances = [], []
    for i, c in enumerate(columns):
        if c.versus_shown is None:
            differences.append('<td class="reference">the reference</td>')
            chances.append('<td class="reference">-</td>')
            continue
        versus = c.versus_shown
        difference = _figure(versus.difference.scaled(1e-6), f"difference-{i}", n_seeds, sign=True)
        differences.append(f"<td>{difference}</td>")
        chances.append(
            f'<td data-key="better-{i}" data-value="{versus.probability!r}">'
            f"{versus.probability:.0%} <small>({versus.wins} of {versus.seeds} seeds)</small></td>"
        )
    rows.append(
        "<tr><th>Net social benefit minus the shown strategy's (MEUR, same seeds)</th>"
        f"{''.join(differences)}</tr>"
    )
    rows.append(f"<tr><th>Better than the shown strategy in</th>{''.join(chances)}</tr>")
    return (
        f'<table class="comparison-table"><caption>{range_note(n_seeds)}; present values'
        f"</caption><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )
