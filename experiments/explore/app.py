"""The explorer's page (Solara): controls on the left, what an evaluator decides with on the right.

Solara is the browser framework of Mesa's own interface (SolaraViz). The page is
reactive: every control writes one `Choice`; a change starts a background task
(`solara.lab.use_task`) that asks the shared `Explorer` for the seeds, and for
the baseline strategy's when one is chosen, and prepares the tables and images
(`shown.prepare`), so the page never freezes and an older request is superseded
by a newer one. An invalid combination shows the project's validation message;
it never shows a traceback.

The right-hand side reads from the top: the answer (net social benefit, per euro
used, gross value, the probability of beating a baseline: `decision`), the
strategies saved side by side with their differences seed by seed, the premium
in every view, the command line, the data and a link to this view, then the
figures. A link's query parameters set the controls when the page opens (`link`).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import ipyvuetify
import solara
import solara.lab
import traitlets
import xarray as xr
from reacton.core import Ref

from experiments.explore import decision, link, plots, shown
from experiments.explore.choice import (
    DISCOUNTING,
    INSTRUMENTS,
    MAX_SEEDS,
    PARAMETER_SETS,
    SCENARIOS,
    STRATEGIES,
    STRATEGY_DESCRIPTIONS,
    TARGETING,
    Choice,
)
from experiments.explore.compute import (
    Cancelled,
    compare,
    configs_fingerprint,
    download_key,
    keep_recent,
)
from experiments.explore.compute import shared as engine
from experiments.explore.decision import NO_FUND, Versus
from experiments.wording.glossary import TERMS
from simulation.bounds import ConfigError
from simulation.config import FundConfig

OWN = "(the strategy's own)"
FUND = FundConfig()  # the defaults the empty budget and ticket fields stand for
CSS = """
.premium-table, .comparison-table { border-collapse: collapse; margin: 4px 0 12px 0; }
.premium-table td, .premium-table th, .comparison-table td, .comparison-table th {
  padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
.comparison-table th.shown-now { background: #eef4fb; }
.comparison-table td { white-space: nowrap; }
.premium-table caption, .comparison-table caption {
  caption-side: bottom; text-align: left; font-size: 0.85em; }
.command-line { background: #f4f4f4; padding: 4px 8px; overflow-wrap: anywhere; }
.headline .answer { font-size: 1.05em; line-height: 1.5; max-width: 60em; }
.headline .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.headline .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px;
  flex: 1 1 10.5em; max-width: 17em; background: #fff; }
.headline .range, .comparison-table .range { white-space: nowrap; }
.headline .card-title { font-weight: 600; font-size: 0.95em; }
.headline .card-value { font-size: 1.3em; margin: 2px 0; }
.headline .card-value small, .headline .range { font-size: 0.66em; color: #444; }
.headline .card-help .range { font-size: 1em; }
.headline .card-help, .help, .note, .glossary { font-size: 0.82em; color: #555; }
.help { margin: -10px 0 14px 2px; line-height: 1.3; }
.glossary dt { font-weight: 600; margin-top: 4px; }
th.explained { text-decoration: underline dotted; cursor: help; }
.glossary dd { margin-left: 1em; }
a.download-link, a.download-comparison, a.share-link {
  color: #1f5fa8; text-decoration: underline; margin: 0 12px 0 4px; white-space: nowrap; }
a.download-link::before, a.download-comparison::before { content: "\\2913  "; }
.figure-image { max-width: 100%; height: auto; }
.run-progress { height: 8px; background: #dde6f0; border-radius: 4px; overflow: hidden;
  width: 100%; max-width: 40em; margin: 4px 0; }
.run-progress .bar { height: 100%; background: #1f5fa8; transition: width 0.2s; }
.v-btn { text-transform: none !important; }
main.solara-content-main .v-row { margin-left: 0; margin-right: 0; }
"""
MAX_SAVED = 3
PARAMETER_LABELS = {
    "default": "calibrated (posterior mode)",
    "none": "raw assumptions",
    "posterior": "a posterior draw",
}
TARGET_LABELS = {
    "all": "all territories",
    "small": "small territories",
    "small_medium": "small and medium territories",
    "maturity_1_2": "maturity levels 1-2",
    "maturity_3_4": "maturity levels 3-4",
    "most_mature": "the most mature territories",
}
TERRITORY_QUANTITIES = {
    "Engineering capacity": "engineering_capacity",
    "Extra social value": "extra_value",
}
# A few words under each control: what it changes, and the words a reader may not know.
HELP = {
    "strategy": "How the fund splits and targets its money.",
    "budget": f"The fund's money over its {FUND.years:g} years. Empty: {FUND.budget_eur:,.0f} EUR.",
    "ticket": "One partnership-innovation grant to an alliance project. Empty: "
    f"{FUND.ticket_eur:,.0f} EUR.",
    "shares": "Engineering: grants for local alliance engineering. Innovation: grants to "
    "alliance projects. Structural: the shared knowledge commons.",
    "targets": "Which territories each kind of grant goes to.",
    "world": "default: 81 territories, 10,000 organisations. national: 1,254 territories, "
    "1.25 million organisations (15 to 25 s a seed on 2 cores).",
    "discounting": "The rate that turns later value into present value.",
    "parameters": "The model's fitted values, its raw assumptions, or one of 100 draws of "
    "what the data allow.",
    "seeds": "Each seed is one draw of the world's chance events; more seeds, narrower "
    "ranges, longer runs. The appraisal asks for 5 or more before a choice.",
    "placebo": "A fund that selects and pays exactly the same projects but changes nothing: "
    "what is left of a figure is selection.",
}
# The report's words for the terms both pages use (experiments.wording.glossary), then the
# explorer's own: its states of the world are its seeds.
GLOSSARY = (
    *(TERMS[key] for key in ("net", "bcr", "gross", "pv", "views", "frugality", "rmst")),
    ("Leverage", "Social value per euro paid by the fund, in each of the four views."),
    ("Seeds and ranges", "Each seed is one draw of the world's chance events: the explorer's "
     "states of the world. Brackets are the 5-95 % range over the seeds. Strategies compared "
     "on the same seeds meet the same chance events, so their difference is the strategy's "
     "alone."),
)  # fmt: skip

# Per browser tab (Solara keeps reactive variables per connection).
choice = solara.reactive(Choice())
baseline = solara.reactive(NO_FUND)
saved: solara.Reactive[list[tuple[str, shown.Shown]]] = solara.reactive([])
territory_quantity = solara.reactive("Engineering capacity")
progress_state = solara.reactive((0.0, ""))
generation = solara.reactive(0)  # a new one re-creates the typed fields (a reset, a link)
link_problems: solara.Reactive[list[str]] = solara.reactive([])
# Whether this tab has read its link: once, even if the page is drawn again (a reconnect).
opened = solara.reactive(False)


NOTICE_COLOURS = {"error": "#b00020", "warning": "#8a6d00", "info": "#1f5fa8"}


def notice(message: str, kind: str, classes: list[str] | None = None) -> None:
    """A message in a coloured box (Solara 1.58's alerts fail under Vuetify 3)."""
    colour = NOTICE_COLOURS[kind]
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(message),
        classes=["notice", *(classes or [])],
        style={
            "border-left": f"4px solid {colour}",
            "color": colour,
            "background": "#fafafa",
            "padding": "8px 12px",
            "margin": "6px 0",
        },
    )


def heading(text: str) -> None:
    """A section heading (plain HTML: Markdown would fetch KaTeX from a CDN)."""
    solara.HTML(tag="h3", unsafe_innerHTML=text, style={"margin-top": "18px"})


def help_text(text: str) -> None:
    """A short explanation under a control."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["help"])


def update(**changes: object) -> None:
    """Change some controls."""
    choice.value = choice.value.with_changes(**changes)


def reset() -> None:
    """Every control back to its default (the typed fields are re-created empty)."""
    choice.set(Choice())
    baseline.set(NO_FUND)
    generation.set(generation.value + 1)


def read_amount(text: str | None) -> float | None:
    """A typed amount: empty is None; commas, spaces and underscores between digits are allowed.

    Raises:
        ValueError: The text is not a number.
    """
    plain = (text or "").strip().replace(",", "").replace(" ", "").replace("_", "")
    if not plain:
        return None
    try:
        return float(plain)
    except ValueError:
        msg = f"{text.strip()!r} is not a number"
        raise ValueError(msg) from None


@solara.component
def AmountField(label: str, field: str, css: str) -> None:
    """A typed amount in EUR; empty keeps the default. A text that is not a number says so."""
    value = getattr(choice.value, field)
    error, set_error = solara.use_state("")

    def typed(text: str | None) -> None:
        try:
            number = read_amount(text)
        except ValueError as problem:
            set_error(str(problem))
            return
        set_error("")
        update(**{field: number})

    solara.InputText(
        label,
        value="" if value is None else f"{value:,.0f}" if float(value).is_integer() else str(value),
        on_value=typed,
        continuous_update=False,
        error=error or False,
        message=error or None,
        classes=[css],
    )


@solara.component
def Controls() -> None:
    """The controls: one `Choice`, each with a few words of help."""
    current = choice.value
    solara.Select(
        "Strategy",
        values=list(STRATEGIES),
        value=current.strategy,
        on_value=lambda v: update(strategy=v),
        classes=["strategy-select"],
    )
    help_text(STRATEGY_DESCRIPTIONS.get(current.strategy) or HELP["strategy"])
    AmountField("Budget (EUR)", "budget_eur", "budget-input").key(f"budget-{generation.value}")
    help_text(HELP["budget"])
    AmountField("Innovation ticket (EUR)", "ticket_eur", "ticket-input").key(
        f"ticket-{generation.value}"
    )
    help_text(HELP["ticket"])
    custom = current.shares is not None
    solara.Switch(
        label="Set the instrument shares",
        value=custom,
        on_value=lambda on: update(shares=(1 / 3, 1 / 3, 1 / 3) if on else None),
    )
    if custom:
        for i, name in enumerate(INSTRUMENTS):

            def set_share(value: float, i: int = i) -> None:
                shares = list(choice.value.shares)
                shares[i] = value
                update(shares=tuple(shares))

            solara.SliderFloat(
                f"{name} share", value=current.shares[i], min=0, max=1, step=0.05,
                on_value=set_share, thumb_label="always",
            )  # fmt: skip
        total = sum(current.shares)
        if abs(total - 1) > 1e-9:
            notice(f"The shares sum to {total:.2f}; they must sum to 1.", "warning")
    help_text(HELP["shares"])
    labels = {OWN: None, **{TARGET_LABELS.get(t, t): t for t in TARGETING}}
    for field, label in (
        ("engineering_target", "Engineering grants go to"),
        ("innovation_target", "Innovation grants go to"),
    ):
        target = getattr(current, field)
        solara.Select(
            label,
            values=list(labels),
            value=OWN if target is None else TARGET_LABELS.get(target, target),
            on_value=lambda v, field=field: update(**{field: labels[v]}),
        )
    help_text(HELP["targets"])
    solara.Select(
        "World", values=list(SCENARIOS), value=current.scenario,
        on_value=lambda v: update(scenario=v), classes=["world-select"],
    )  # fmt: skip
    help_text(HELP["world"])
    solara.Select(
        "Discounting", values=list(DISCOUNTING), value=current.discounting,
        on_value=lambda v: update(discounting=v), classes=["discounting-select"],
    )  # fmt: skip
    help_text(HELP["discounting"])
    solara.Select(
        "Parameters",
        values=[PARAMETER_LABELS[p] for p in PARAMETER_SETS],
        value=PARAMETER_LABELS[current.parameters],
        on_value=lambda v: update(
            parameters=next(p for p, label in PARAMETER_LABELS.items() if label == v)
        ),
    )
    if current.parameters == "posterior":
        solara.SliderInt(
            "Posterior draw", value=current.draw, min=0, max=99,
            on_value=lambda v: update(draw=v), thumb_label="always",
        )  # fmt: skip
    help_text(HELP["parameters"])
    solara.SliderInt(
        "Seeds", value=current.n_seeds, min=1, max=MAX_SEEDS,
        on_value=lambda v: update(n_seeds=v), thumb_label="always",
    )  # fmt: skip
    help_text(HELP["seeds"])
    solara.Switch(
        label="Placebo fund",
        value=current.placebo,
        on_value=lambda v: update(placebo=v),
    )
    help_text(HELP["placebo"])
    solara.Button("Back to the defaults", on_click=reset, text=True, classes=["reset-button"])


def label_of(item: Choice) -> str:
    """A short name of a choice for the saved comparison: the strategy and what differs.

    Every override but the strategy's is named by its last part, so two different
    choices never share a name ("uniform, budget_eur=2000000, placebo=true").
    """
    changed = [o for o in item.overrides() if not o.startswith("fund/strategy=")]
    parts = [item.strategy, *(o.rsplit(".", 1)[-1] for o in changed)]
    if item.n_seeds != Choice().n_seeds:
        parts.append(f"{item.n_seeds} seeds")
    return ", ".join(parts)


def image(png: bytes, alt: str, css: str) -> None:
    """A PNG figure with its alternative text."""
    source = "data:image/png;base64," + base64.b64encode(png).decode()
    solara.HTML(
        tag="img",
        attributes={"src": source, "alt": alt, "title": alt, "width": "820"},
        classes=["figure-image", css],
    )


class PlotlyFigure(ipyvuetify.VuetifyTemplate):
    """A plotly.js figure (`plots`), drawn in the browser with the script the server serves.

    The script is loaded once per page, from `plots.SCRIPT_URL`; a new `figure`
    is drawn again in place (`Plotly.react`). The figure travels as JSON text
    (`plots.as_json`), not as a dictionary: the page's renderer walks every
    dictionary and list it is given, thousands of numbers on each redraw, and a
    string it compares at once. `alt` is the figure's text for screen readers,
    `digest` names what it shows, and the element's `data-drawn` takes the digest
    once plotly.js has drawn it (the tests read both).
    """

    template = traitlets.Unicode(
        """
<template>
  <div ref="plot" :class="['plotly-figure', kind]" role="img" :aria-label="alt"
       :data-digest="digest" style="width: 100%; max-width: 1000px;"></div>
</template>
<script>
module.exports = {
  mounted() { this.show(); },
  beforeUnmount() { if (window.Plotly) window.Plotly.purge(this.$refs.plot); },
  watch: { figure() { this.show(); } },
  methods: {
    load() {
      if (window.Plotly) return Promise.resolve();
      if (!window.explorerPlotly) {
        window.explorerPlotly = new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = this.source;
          script.onload = resolve;
          script.onerror = reject;
          document.head.appendChild(script);
        });
      }
      return window.explorerPlotly;
    },
    show() {
      const figure = JSON.parse(this.figure);
      const digest = this.digest;
      this.load().then(() => window.Plotly.react(
        this.$refs.plot, figure.data, figure.layout,
        {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]}
      )).then(() => { this.$refs.plot.dataset.drawn = digest; });
    },
  },
};
</script>
"""
    ).tag(sync=True)
    figure = traitlets.Unicode("{}").tag(sync=True)  # JSON: data and layout
    alt = traitlets.Unicode("").tag(sync=True)
    digest = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("").tag(sync=True)  # a CSS class: which figure
    source = traitlets.Unicode(plots.SCRIPT_URL).tag(sync=True)


def figure(result: shown.Shown, name: str, alt: str, css: str) -> None:
    """One figure of a result: interactive where plotly.js is installed, else its PNG."""
    if name in result.images:
        image(result.images[name], alt, css)
        return
    PlotlyFigure.element(
        figure=plots.as_json(result.plots[name]),
        alt=alt,
        kind=css,
        digest=f"{download_key(result.choice)}-{name}",
    )


@solara.component
def Headline(result: shown.Shown, versus: Versus) -> None:
    """What the strategy returns, net first, and whether it beats the chosen baseline."""
    heading("What this strategy returns")
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(
            "Compare with",
            values=[NO_FUND, *STRATEGIES],
            value=baseline.value,
            on_value=baseline.set,
            classes=["baseline-select"],
            style={"max-width": "20em"},
        )
        solara.HTML(
            tag="span",
            unsafe_innerHTML=(
                "the baseline: the no-fund world, or another strategy with the same budget, "
                "ticket and world, on the same seeds"
            ),
            classes=["help"],
        )
    solara.HTML(unsafe_innerHTML=shown.headline_html(result, versus))


@solara.component
def Result(result: shown.Shown, versus: Versus) -> None:
    """The result of one choice: the answer, the comparison, the premium, data, figures."""
    n_seeds = result.choice.n_seeds
    Headline(result, versus)
    Comparison(result)
    heading("The premium in every view")
    solara.HTML(unsafe_innerHTML=shown.premium_html(result.premium, n_seeds))
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.HTML(
            tag="code",
            unsafe_innerHTML=html.escape(result.choice.command()),
            classes=["command-line"],
            style={"font-size": "0.85em"},
        )
        key = download_key(result.choice)
        solara.HTML(
            tag="a",
            unsafe_innerHTML="Download the data (NetCDF)",
            attributes={"href": f"/download/{key}.nc", "download": f"alliance-explore-{key}.nc"},
            classes=["download-link"],
        )
        query = link.query(result.choice, baseline.value)
        solara.HTML(
            tag="a",
            unsafe_innerHTML="Link to this view",
            attributes={"href": f"./{query}", "title": "open or share this page as it is now"},
            classes=["share-link"],
        )
    glossary = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>" for term, text in GLOSSARY
    )
    solara.HTML(
        tag="details",
        unsafe_innerHTML=f"<summary>What the words mean</summary><dl>{glossary}</dl>",
        classes=["glossary"],
    )
    seeds = shown.range_note(n_seeds)
    heading("Social value against the no-fund world")
    figure(
        result,
        "value",
        f"Social value per step with and without the fund, and the extra value, over the "
        f"years ({seeds}, shaded: 5-95 % range)",
        "value-figure",
    )
    heading("Engineering capacity and maturity by territory size")
    figure(
        result,
        "size",
        "Engineering capacity and maturity level of small, medium and large territories over "
        "the years, with the fund (solid) and without it (dashed)",
        "size-figure",
    )
    heading(f"Territories of one world (seed {result.choice.seeds[0]})")
    solara.ToggleButtonsSingle(value=territory_quantity, values=list(TERRITORY_QUANTITIES))
    quantity = TERRITORY_QUANTITIES[territory_quantity.value]
    figure(
        result,
        f"territories_{quantity}",
        f"Every territory of seed {result.choice.seeds[0]}'s world as a square, grouped by "
        f"size, coloured by {territory_quantity.value.lower()}",
        "territory-figure",
    )


@solara.component
def Comparison(result: shown.Shown) -> None:
    """Saved strategies side by side with the one shown, seed by seed; others flagged."""
    heading("Strategies side by side")
    world = decision.world_of(result.choice)
    same = [(n, i) for n, i in saved.value if decision.world_of(i.choice) == world]
    other = [(n, i) for n, i in saved.value if decision.world_of(i.choice) != world]

    def save() -> None:
        kept = [s for s in saved.value if s[1].choice != result.choice]
        saved.value = [*kept, (label_of(result.choice), result)][-MAX_SAVED:]

    with solara.Row():
        solara.Button(
            f"Save this strategy (up to {MAX_SAVED})", on_click=save, classes=["save-button"]
        )
        solara.Button(
            "Clear the saved ones",
            on_click=lambda: saved.set([]),
            text=True,
            classes=["clear-button"],
        )
    if other:
        names = "; ".join(
            f"{n} ({decision.describe_world(i.choice, result.choice)})" for n, i in other
        )
        notice(
            f"Saved for another world or other seeds, so not compared with this one: {names}. "
            f"Strategies are compared on the same world and seeds only. Set them back to see "
            f"them, or clear them.",
            "warning",
            classes=["saved-elsewhere"],
        )
    if not same:
        help_text(
            "Save this strategy, change a control and save again: the strategies appear side "
            "by side, each with its difference to the one shown, seed by seed."
        )
        return
    SideBySide(result, same)


@solara.component
def SideBySide(result: shown.Shown, same: list[tuple[str, shown.Shown]]) -> None:
    """The saved strategies of the shown one's world, and it, in one table, figure and file."""
    shown_now = any(item.choice == result.choice for _, item in same)
    kept = same if shown_now else [*same, ("now: " + label_of(result.choice), result)]
    columns = [
        shown.Column(
            label=name,
            headline=item.headline,
            versus_shown=None
            if item.choice == result.choice
            else decision.versus(item.outcomes, result.outcomes, label_of(result.choice)),
            shown_now=item.choice == result.choice,
        )
        for name, item in kept
    ]
    solara.HTML(unsafe_innerHTML=shown.comparison_html(columns, result.choice.n_seeds))
    series = [(label, item.series) for label, item in kept]
    # What the figure and the file depend on: the strategies and their labels.
    choices = tuple((label, item.choice) for label, item in kept)
    alt = (
        "The extra social value over the years of each strategy in the table, with its "
        "5-95 % range over the seeds"
    )
    # Without plotly.js, drawn on the interface thread (about 0.1 s), once.
    picture = solara.use_memo(
        lambda: shown.png(shown.figures.saved_figure(series)) if result.images else None,
        [choices],
    )
    drawing = solara.use_memo(
        lambda: None if result.images else plots.as_json(plots.saved_plot(series)), [choices]
    )
    if picture is not None:
        image(picture, alt, "saved-figure")
    else:
        PlotlyFigure.element(
            figure=drawing, alt=alt, kind="saved-figure", digest=str(hash(choices))
        )
    arms = [(label, item.choice, item.dataset) for label, item in kept]
    key = solara.use_memo(lambda: offer_comparison(arms), [choices])
    if key is not None:
        solara.HTML(
            tag="a",
            unsafe_innerHTML="Download these strategies together (NetCDF, one arm each)",
            attributes={"href": f"/download/{key}.nc", "download": f"alliance-explore-{key}.nc"},
            classes=["download-comparison"],
        )


def offer_comparison(arms: list[tuple[str, Choice, object]]) -> str | None:
    """Offer the saved strategies and the current one as one download; its key, or None."""
    try:
        dataset = compare(arms)
    except ValueError:  # different seeds or worlds: no common file
        return None
    key = "compare-" + download_key(*(choice for _, choice, _ in arms))  # never a single's
    engine().offer_as(key, dataset)
    return key


# Results already drawn, by choice and config tree, shared by every tab of the server.
KEPT_RESULTS = 32
_PREPARED: OrderedDict[tuple[Choice, str], shown.Shown] = OrderedDict()
_BASELINES: OrderedDict[tuple[Choice, str], xr.Dataset] = OrderedDict()
_PREPARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Problem:
    """Why a choice shows no new result: an invalid combination, a cancel, a failure.

    Attributes:
        message: One line for the page.
        kind: "invalid", "cancelled" or "failed".
    """

    message: str
    kind: str


def _guarded(attempt: Callable[[], object]) -> object:
    """Run a computation; its expected failures come back as a `Problem`, never raised."""
    try:
        return attempt()
    except ConfigError as error:
        return Problem(f"Invalid choice: {str(error).removeprefix('invalid config: ')}", "invalid")
    except Cancelled:
        return Problem("Cancelled. Change a control to run again.", "cancelled")
    except Exception as error:  # shown in one line on the page, not as a traceback
        return Problem(f"The run failed: {type(error).__name__}: {error}", "failed")


def work(
    current: Choice, progress: Callable[[float, str], None], session: str = "default"
) -> shown.Shown | Problem:
    """Compute and prepare a choice's result off the interface thread; never raise.

    Expected outcomes (an invalid combination, a cancel) come back as a `Problem`
    for the page to show; they are not errors of the server, so nothing is logged.

    Args:
        current: The controls.
        progress: Called with (fraction done, a few words) while seeds run.
        session: The browser tab; its newer requests supersede this one.

    Returns:
        What the page shows, or why it shows nothing new.
    """
    explorer = engine()
    key = (current, configs_fingerprint())
    with _PREPARED_LOCK:
        kept = _PREPARED.get(key)
        if kept is not None:
            _PREPARED.move_to_end(key)
    if kept is not None:  # seen before, by this tab or another: nothing to run or draw
        explorer.cancel(session)  # supersede what this tab still had running
        explorer.offer(current, kept.dataset)
        return kept

    def attempt() -> shown.Shown:
        dataset = explorer.compute(current, progress, session)
        return shown.prepare(dataset, current, lambda d: explorer.draw(d, session))

    result = _guarded(attempt)
    if isinstance(result, shown.Shown):
        with _PREPARED_LOCK:
            keep_recent(_PREPARED, key, result, KEPT_RESULTS)
    return result


def against(
    result: shown.Shown,
    strategy: str,
    progress: Callable[[float, str], None],
    session: str = "default",
) -> Versus | Problem:
    """A result against its baseline, seed by seed; the baseline's seeds run if needed.

    Args:
        result: The strategy shown.
        strategy: `NO_FUND` or a strategy preset (`decision.baseline_choice`).
        progress: Called with (fraction done, a few words) while the baseline's seeds run.
        session: The browser tab.

    Returns:
        The comparison, or why there is none.
    """
    if strategy == NO_FUND:
        return decision.versus(result.outcomes, None)
    other = decision.baseline_choice(result.choice, strategy)
    if other == result.choice:
        itself = decision.versus(result.outcomes, result.outcomes, strategy)
        return dataclasses.replace(itself, itself=True)
    key = (other, configs_fingerprint())
    with _PREPARED_LOCK:
        kept = _PREPARED.get(key)
        per_seed = kept.outcomes if kept is not None else _BASELINES.get(key)
    if per_seed is None:
        dataset = _guarded(lambda: engine().compute(other, progress, session))
        if isinstance(dataset, Problem):
            return dataset
        per_seed = decision.outcomes(dataset)
        with _PREPARED_LOCK:
            keep_recent(_BASELINES, key, per_seed, KEPT_RESULTS)
    return decision.versus(result.outcomes, per_seed, strategy)


def throttled(every: float = 0.25) -> Callable[[float, str], None]:
    """A progress callback that updates this tab's progress bar at most every `every` s."""
    last = [0.0]

    def report(fraction: float, text: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every or fraction >= 1.0:
            last[0] = now
            progress_state.set((fraction, text))

    return report


@solara.component
def Page() -> None:
    """The explorer."""
    router = solara.use_router()
    session = solara.use_memo(lambda: uuid.uuid4().hex, [])  # this browser tab
    # The last (result, versus) shown, kept while another runs. A reference, not a
    # reactive value: the task's end draws the page once; setting a reactive value
    # from the task would draw the whole result a second time.
    last = solara.use_ref(None)

    def load() -> None:  # once, when the tab opens: the link's state
        if opened.value:  # drawn again in the same tab: keep what the user chose since
            return
        picked, base, problems = link.parse(router.search)
        choice.set(picked)
        baseline.set(base)
        link_problems.set(problems)
        generation.set(generation.value + 1)
        opened.set(True)

    solara.use_effect(load, [])
    current, base = choice.value, baseline.value

    def run() -> shown.Shown | Problem | None:
        if not opened.value:
            return None
        progress_state.set((0.0, "starting"))
        progress = throttled()
        outcome = work(current, progress, session)
        if not isinstance(outcome, shown.Shown):
            return outcome

        def baseline_progress(fraction: float, text: str) -> None:
            progress(fraction, f"the baseline ({base}): {text}")

        versus = against(outcome, base, baseline_progress, session)
        if isinstance(versus, Problem):
            return versus
        # An older request finishing late must not replace what the controls now show.
        if outcome.choice == choice.value and base == baseline.value:
            last.current = (outcome, versus)
        return outcome

    task = solara.lab.use_task(run, dependencies=[current, base, opened.value])

    solara.Title("Alliance premium explorer")
    solara.Style(CSS)
    with solara.Columns([1, 3]):
        with solara.Column(classes=["controls"], gap="2px"):
            Controls()
        with solara.Column():
            Main(task, last, session)


@solara.component
def Progress() -> None:
    """The progress of the running request: a bar that moves, and what is done."""
    fraction, text = progress_state.value
    percent = round(100 * min(max(fraction, 0.0), 1.0))
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f'<div class="bar" style="width: {percent}%"></div>',
        attributes={
            "role": "progressbar",
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": str(percent),
            "aria-label": "progress of the run",
        },
        classes=["run-progress"],
    )
    solara.Text(f"{percent} %: {text}" if text else f"{percent} %", classes=["progress-text"])


@solara.component
def Main(task: solara.lab.Task, last: Ref, session: str) -> None:
    """The right-hand side: status, then the latest result (`last.current`, set by the task)."""
    solara.HTML(tag="h2", unsafe_innerHTML="Alliance premium explorer")
    solara.HTML(
        tag="p",
        unsafe_innerHTML=(
            "A fund's strategy against the same world without the fund: same territories, "
            "same organisations, same random numbers. Choose it on the left; the figures a "
            "decision needs come first."
        ),
    )
    for problem in link_problems.value:
        notice(problem, "warning", classes=["link-problem"])
    outcome = task.value if task.finished else None
    with solara.Div(classes=["status"]):
        if task.pending:
            with solara.Row(style={"align-items": "center"}):
                solara.Text("computing...", classes=["computing"])
                solara.Button(
                    "Cancel",
                    on_click=lambda: engine().cancel(session),
                    text=True,
                    classes=["cancel-button"],
                )
            Progress()
        elif isinstance(outcome, Problem):
            kind = "info" if outcome.kind == "cancelled" else "error"
            css = "config-error" if kind == "error" else "cancelled-notice"
            notice(outcome.message, kind, classes=[css])
    stale = task.pending or isinstance(outcome, Problem)
    if last.current is not None:
        with solara.Div(style={"opacity": 0.45 if stale else 1}):
            Result(*last.current)
