"""The explorer's page (Solara): controls on the left, the result against the no-fund world.

Solara is the browser framework of Mesa's own interface (SolaraViz). The page is
reactive: every control writes one `Choice`; a change starts a background task
(`solara.lab.use_task`) that asks the shared `Explorer` for the seeds and
prepares the tables and images (`shown.prepare`), so the page never freezes and
an older request is superseded by a newer one. An invalid combination shows the
project's validation message; it never shows a traceback.
"""

from __future__ import annotations

import html
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import solara
import solara.lab

from experiments.explore import shown
from experiments.explore.choice import (
    DISCOUNTING,
    INSTRUMENTS,
    MAX_SEEDS,
    PARAMETER_SETS,
    SCENARIOS,
    STRATEGIES,
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
from simulation.bounds import ConfigError
from simulation.config import FundConfig

OWN = "(the strategy's own)"
FUND = FundConfig()  # the defaults the empty budget and ticket fields stand for
CSS = """
.premium-table, .comparison-table { border-collapse: collapse; margin: 4px 0 12px 0; }
.premium-table td, .premium-table th, .comparison-table td, .comparison-table th {
  padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
.premium-table caption { caption-side: bottom; text-align: left; font-size: 0.85em; }
.command-line { background: #f4f4f4; padding: 4px 8px; }
"""
MAX_SAVED = 3
PARAMETER_LABELS = {
    "default": "calibrated (posterior mode)",
    "none": "raw assumptions",
    "posterior": "a posterior draw",
}

# Per browser tab (Solara keeps reactive variables per connection).
choice = solara.reactive(Choice())
saved: solara.Reactive[list[tuple[str, shown.Shown]]] = solara.reactive([])
territory_quantity = solara.reactive("engineering_capacity")


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


def update(**changes: object) -> None:
    """Change some controls."""
    choice.value = choice.value.with_changes(**changes)


@solara.component
def Controls() -> None:
    """The controls: one `Choice`."""
    current = choice.value
    solara.Select(
        "Strategy",
        values=list(STRATEGIES),
        value=current.strategy,
        on_value=lambda v: update(strategy=v),
        classes=["strategy-select"],
    )
    for field, label, css in (
        ("budget_eur", "Budget", "budget-input"),
        ("ticket_eur", "Innovation ticket", "ticket-input"),
    ):
        solara.InputFloat(
            f"{label} (EUR; empty = default {getattr(FUND, field):,.0f})",
            value=getattr(current, field),
            optional=True,
            on_value=lambda v, field=field: update(**{field: v}),
            continuous_update=False,
            classes=[css],
        )
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
    for field, label in (
        ("engineering_target", "Engineering grants go to"),
        ("innovation_target", "Innovation grants go to"),
    ):
        solara.Select(
            label,
            values=[OWN, *TARGETING],
            value=getattr(current, field) or OWN,
            on_value=lambda v, field=field: update(**{field: None if v == OWN else v}),
        )
    solara.Select(
        "World (scenario)", values=list(SCENARIOS), value=current.scenario,
        on_value=lambda v: update(scenario=v),
    )  # fmt: skip
    solara.Select(
        "Discounting", values=list(DISCOUNTING), value=current.discounting,
        on_value=lambda v: update(discounting=v),
    )  # fmt: skip
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
    solara.SliderInt(
        "Seeds", value=current.n_seeds, min=1, max=MAX_SEEDS,
        on_value=lambda v: update(n_seeds=v), thumb_label="always",
    )  # fmt: skip
    solara.Switch(
        label="Placebo fund (selects and pays, changes nothing)",
        value=current.placebo,
        on_value=lambda v: update(placebo=v),
    )
    solara.Button("Back to the defaults", on_click=lambda: choice.set(Choice()), text=True)


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


@solara.component
def Result(result: shown.Shown) -> None:
    """The result of one choice: the premium, the command, the figures, the comparison."""
    n_seeds = result.choice.n_seeds
    heading("The premium in every view")
    solara.HTML(unsafe_innerHTML=shown.premium_html(result.premium, n_seeds))
    with solara.Row(style={"align-items": "center"}):
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
    heading("Social value against the no-fund world")
    solara.Image(result.images["value"], width="820px")
    heading("Engineering capacity and maturity by territory size")
    solara.Image(result.images["size"], width="820px")
    heading(f"Territories of one world (seed {result.choice.seeds[0]})")
    solara.ToggleButtonsSingle(
        value=territory_quantity,
        values=["engineering_capacity", "extra_value"],
    )
    solara.Image(result.images[f"territories_{territory_quantity.value}"], width="820px")
    Comparison(result)


@solara.component
def Comparison(result: shown.Shown) -> None:
    """Up to three saved strategies beside the current one."""
    heading("Saved strategies, side by side")

    def save() -> None:
        kept = [s for s in saved.value if s[1].choice != result.choice]
        saved.value = [*kept, (label_of(result.choice), result)][-MAX_SAVED:]

    with solara.Row():
        solara.Button(
            f"Save this strategy (up to {MAX_SAVED})", on_click=save, classes=["save-button"]
        )
        solara.Button("Clear the saved ones", on_click=lambda: saved.set([]), text=True)
    now = ("now: " + label_of(result.choice), result)
    kept = [*saved.value, now]
    solara.HTML(unsafe_innerHTML=shown.comparison_html([(n, i.headline) for n, i in kept]))
    series = [(label, item.series) for label, item in kept]
    # Drawn on the interface thread (about 0.1 s), so only when the strategies change.
    choices = (*(item.choice for _, item in saved.value), result.choice)
    image = solara.use_memo(
        lambda: shown.png(shown.figures.saved_figure(series)) if saved.value else None,
        [choices],
    )
    if image is not None:
        solara.Image(image, width="820px")
    arms = [(label, item.choice, item.dataset) for label, item in kept]
    key = solara.use_memo(lambda: offer_comparison(arms) if saved.value else None, [choices])
    if saved.value and key is not None:
        solara.HTML(
            tag="a",
            unsafe_innerHTML="Download these strategies together (NetCDF, one arm each)",
            attributes={"href": f"/download/{key}.nc", "download": f"alliance-explore-{key}.nc"},
            classes=["download-comparison"],
        )
    elif saved.value:
        notice("Save strategies with the same seeds and world to download them together.", "info")


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
    try:
        dataset = explorer.compute(current, progress, session)
        result = shown.prepare(dataset, current, lambda d: explorer.draw(d, session))
    except ConfigError as error:
        return Problem(f"Invalid choice: {str(error).removeprefix('invalid config: ')}", "invalid")
    except Cancelled:
        return Problem("Cancelled. Change a control to run again.", "cancelled")
    except Exception as error:  # shown in one line on the page, not as a traceback
        return Problem(f"The run failed: {type(error).__name__}: {error}", "failed")
    with _PREPARED_LOCK:
        keep_recent(_PREPARED, key, result, KEPT_RESULTS)
    return result


@solara.component
def Page() -> None:
    """The explorer."""
    current = choice.value
    session = solara.use_memo(lambda: uuid.uuid4().hex, [])  # this browser tab
    last = solara.use_reactive(None)  # the last result shown, kept while a new one runs

    def run() -> shown.Shown | Problem:
        def progress(fraction: float, text: str) -> None:
            task.progress = 100 * fraction

        outcome = work(current, progress, session)
        # An older request finishing late must not replace what the controls now show.
        if isinstance(outcome, shown.Shown) and outcome.choice == choice.value:
            last.value = outcome
        return outcome

    task = solara.lab.use_task(run, dependencies=[current])

    solara.Title("Alliance premium explorer")
    solara.Style(CSS)
    with solara.Columns([1, 3]):
        with solara.Column(classes=["controls"]):
            Controls()
        with solara.Column():
            Main(task, last.value, session)


@solara.component
def Main(task: solara.lab.Task, last: shown.Shown | None, session: str) -> None:
    """The right-hand side: status, then the latest result."""
    solara.HTML(tag="h2", unsafe_innerHTML="Alliance premium explorer")
    solara.HTML(
        tag="p",
        unsafe_innerHTML=(
            "A fund's strategy against the same world without the fund: same territories, "
            "same organisations, same random numbers. The <em>causal</em> view is the "
            "fund's effect; the <em>observed</em> view is what a field evaluation of backed "
            "projects would report, selection included."
        ),
    )
    outcome = task.value if task.finished else None
    with solara.Div(classes=["status"]):
        if task.pending:
            with solara.Row(style={"align-items": "center"}):
                solara.Text("computing...", classes=["computing"])
                solara.Button("Cancel", on_click=lambda: engine().cancel(session), text=True)
            solara.ProgressLinear(task.progress if task.progress is not None else True)
        elif isinstance(outcome, Problem):
            kind = "info" if outcome.kind == "cancelled" else "error"
            notice(outcome.message, kind, classes=["config-error"] if kind == "error" else [])
    stale = task.pending or isinstance(outcome, Problem)
    if last is not None:
        with solara.Div(style={"opacity": 0.45 if stale else 1}):
            Result(last)
