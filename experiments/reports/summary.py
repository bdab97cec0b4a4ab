"""A plain-text summary of one run's dataset, for a reader: the answer first, then the detail.

`alliance-run` prints it; a sweep's job writes it into its `run.log`. In order:

1. one sentence: what the fund and the partners paid, what it bought (extra social
   value against the same world without the fund), the net social benefit;
2. the money, rounded to what the model can know (one decimal of MEUR: a change
   of seed moves the totals by more), and the projects started, with their context;
3. the premium in four views, each view said in words; a view the run cannot
   measure (no backed project, no matched control) is left out with the reason;
4. how many projects create less value than they use, with the reason for solo
   projects (all of them, by the model's fit).

It reads the dataset through `RunView`, plain numpy: the summary makes about fifty
selections, which xarray took 10 ms to make (every `sel` of the `world` selects
all 49 variables), a tenth of a sweep job's compute; through the view they take
well under a millisecond, and the text is the same.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np

from experiments.appraisal.flows import money_flows

if TYPE_CHECKING:
    import xarray as xr

VIEW_HEADINGS = {
    "observed": "observed",
    "matched": "matched",
    "effect_on_backed": "on backed",
    "causal": "causal",
}
VIEW_MEANINGS = {
    "observed": "backed projects against the others, as the field measured it",
    "matched": "backed projects against similar unbacked ones, as a careful evaluator would",
    "effect_on_backed": "each backed project against its twin in the world without the fund",
    "causal": "the whole world with the fund against the same world without it",
}
INSTRUMENT_NAMES = {
    "engineering": "engineering grants",
    "innovation": "innovation grants",
    "structural": "knowledge commons",
}
# Below this share of the budget paid out, the summary warns.
PAID_WARNING_SHARE = 0.9
# From this share of solo projects below their resources, the summary says why ("all").
SOLO_ALL = 0.995
WIDTH = 92  # the paragraphs' width: a terminal's 100 columns with room to spare
LABEL = 28  # the width of the money block's labels


class Values:
    """A variable of `RunView`: numpy values with their dimensions, selected by label.

    A selection or sum that leaves no dimension gives a numpy scalar, as `float()`
    of the DataArray would read it.
    """

    def __init__(self, values: np.ndarray, dims: tuple[str, ...], view: RunView) -> None:
        self.values = values
        self.dims = dims
        self._view = view

    def _wrap(self, values: np.ndarray, dims: tuple[str, ...]) -> object:
        return Values(values, dims, self._view) if dims else values[()]

    def sel(self, **labels: object) -> object:
        """The values at these labels (exact matches, as xarray's `sel`)."""
        index = tuple(
            self._view.position(dim, labels[dim]) if dim in labels else slice(None)
            for dim in self.dims
        )
        return self._wrap(self.values[index], tuple(d for d in self.dims if d not in labels))

    def sum(self, dim: str | None = None) -> object:
        """The sum over `dim` (all, if None), NaN skipped for floats as xarray's `sum`."""
        total = np.nansum if self.values.dtype.kind in "fc" else np.sum
        if dim is None:
            return total(self.values)[()]
        axis = self.dims.index(dim)
        return self._wrap(total(self.values, axis=axis), self.dims[:axis] + self.dims[axis + 1 :])

    def __getattr__(self, name: str) -> Values:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._view, name)  # a coordinate, e.g. `spending.instrument.values`


class RunView:
    """One run's dataset read through numpy: variables as attributes, `sel` by label.

    What the summary and `money_flows` use of an `xarray.Dataset`, for a dataset of
    one run: `view.name`, `view.sel(world="treated")`, `view.attrs`.

    Args:
        dataset: The run's dataset.
        labels: Labels selected on every variable read (`sel`).
    """

    def __init__(self, dataset: xr.Dataset, labels: dict[str, object] | None = None) -> None:
        self.attrs = dataset.attrs
        self._dataset = dataset
        self._labels = labels or {}
        self._positions: dict[str, dict] = {}

    def sel(self, drop: bool = False, **labels: object) -> RunView:
        """The view with these labels selected on every variable (`drop` is implied)."""
        view = RunView(self._dataset, {**self._labels, **labels})
        view._positions = self._positions
        return view

    def position(self, dim: str, label: object) -> int:
        """The position of a label along a dimension.

        Raises:
            KeyError: The dimension has no such label.
        """
        positions = self._positions.get(dim)
        if positions is None:
            values = self._dataset.variables[dim].values.tolist()
            positions = self._positions[dim] = {v: i for i, v in enumerate(values)}
        return positions[label]

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            variable = self._dataset.variables[name]
        except KeyError:
            msg = f"the dataset has no variable {name!r}"
            raise AttributeError(msg) from None
        values = Values(variable.values, variable.dims, self)
        labels = {k: v for k, v in self._labels.items() if k in variable.dims}
        return values.sel(**labels) if labels else values._wrap(values.values, values.dims)


def _view(dataset: xr.Dataset | RunView) -> RunView:
    return dataset if isinstance(dataset, RunView) else RunView(dataset)


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def _percent(share: float) -> str:
    return "n/a" if math.isnan(share) else f"{100 * share:,.0f} %"


def money(eur: float) -> str:
    """An amount rounded to what the model can know: "148.4 MEUR", "52 kEUR", "800 EUR".

    One decimal of MEUR from 0.1 MEUR up (a change of seed moves a run's totals by
    more than 0.05 MEUR); below, whole kEUR, then whole EUR (small test worlds).
    """
    if math.isnan(eur):
        return "n/a"
    size = abs(eur)
    if size >= 1e5:
        return f"{eur / 1e6:,.1f} MEUR"
    if size >= 1e3:
        return f"{eur / 1e3:,.0f} kEUR"
    return f"{eur:,.0f} EUR"


def _config(dataset: xr.Dataset | RunView) -> dict:
    try:
        return json.loads(dataset.attrs.get("config_json", "{}"))
    except (TypeError, ValueError):
        return {}


def _horizon(dataset: xr.Dataset | RunView) -> str:
    """The horizon and discounting in words ("over 10 years, discounted at 4.5 % a year")."""
    config = _config(dataset)
    years = config.get("scenario", {}).get("years")
    rate = dataset.attrs.get("discount_rate_per_year")
    parts = []
    if years is not None:
        parts.append(f"over {years:g} years")
    if rate is not None:
        schedule = dataset.attrs.get("discount_schedule", "constant")
        declining = "" if schedule == "constant" else f", {schedule} schedule"
        parts.append(f"discounted at {100 * float(rate):g} % a year{declining}")
    return ", ".join(parts)


def totals(dataset: xr.Dataset | RunView) -> dict[str, float]:
    """The run's money (present values, EUR) and ratios.

    Net social benefit = extra social value - fund money paid - extra private
    resources (members' own and mobilised resources, set-up costs), as
    `experiments.appraisal.states.outcomes` counts it.
    """
    dataset = _view(dataset)
    extra, paid, private = (float(flow) for flow in money_flows(dataset))
    treated = dataset.sel(world="treated")
    counterfactual = dataset.sel(world="counterfactual")
    cost = paid + private
    return {
        "extra": extra,
        "paid": paid,
        "private": private,
        "net": extra - cost,
        "ratio": extra / cost if cost > 0 else math.nan,
        "per_fund_eur": extra / paid if paid > 0 else math.nan,
        "with": float(treated.value_created_pv),
        "without": float(counterfactual.value_created_pv),
    }


def answer(dataset: xr.Dataset | RunView) -> str:
    """The one-sentence answer: what was paid, what it bought, the net social benefit."""
    dataset = _view(dataset)
    t = totals(dataset)
    horizon = _horizon(dataset)
    context = f"present values{' ' + horizon if horizon else ''}"
    if t["paid"] <= 0 and t["extra"] == 0:
        budget = money(float(dataset.fund_budget))
        return (
            "In short: the fund paid nothing, so the world with it is the world without it "
            f"(strategy {dataset.attrs.get('strategy')}, budget {budget})."
        )
    if dataset.attrs.get("placebo"):
        return (
            f"In short: the placebo fund paid {money(t['paid'])} and, by design, changed "
            f"nothing (extra social value {money(t['extra'])}): a net loss of "
            f"{money(-t['net'])}; what its observed and matched figures below show is "
            f"selection alone ({context})."
        )
    if t["private"] >= 0:
        partners = f"the partners put {money(t['private'])} more of their own resources in"
    else:
        partners = f"the partners used {money(-t['private'])} less of their own resources"
    if t["extra"] >= 0:
        bought = (
            f"together they bought {money(t['extra'])} of social value that the same world "
            "without the fund does not create"
        )
    else:
        bought = (
            f"yet the world with the fund creates {money(-t['extra'])} less social value than "
            "the same world without it"
        )
    net = t["net"]
    verdict = (
        f"a net social benefit of {money(net)}" if net >= 0 else f"a net loss of {money(-net)}"
    )
    ratio = f", {_fmt(t['ratio'])} EUR of value per euro used" if not math.isnan(t["ratio"]) else ""
    return (
        f"In short: the fund paid {money(t['paid'])} and {partners}; {bought}: {verdict}"
        f"{ratio} ({context})."
    )


def _paid_by_instrument(dataset: RunView) -> str:
    """What was paid by instrument: ": engineering grants 33 %, innovation grants 33 % ..."."""
    spending = dataset.fund_spending.sel(world="treated").sum("time")
    total = float(spending.sum())
    if total <= 0:
        return ""
    parts = []
    for instrument in spending.instrument.values:
        share = float(spending.sel(instrument=instrument)) / total
        if share <= 0:
            continue
        name = INSTRUMENT_NAMES.get(str(instrument), str(instrument))
        backed = int(dataset.backed_projects)
        projects = f" ({backed:,} projects)" if instrument == "innovation" and backed else ""
        parts.append(f"{name} {_percent(share)}{projects}")
    return ": " + ", ".join(parts)


def money_lines(dataset: xr.Dataset | RunView) -> list[str]:
    """The money and the projects, one line each, in present values."""
    dataset = _view(dataset)
    t = totals(dataset)
    treated = dataset.sel(world="treated")
    counterfactual = dataset.sel(world="counterfactual")
    scenario = _config(dataset).get("scenario", {})
    share = float(dataset.budget_paid_share)
    rows = [
        (
            "fund budget",
            f"{money(float(dataset.fund_budget))}, {_percent(share)} paid out"
            f"{_paid_by_instrument(dataset)}",
        ),
        ("fund money paid", f"{money(t['paid'])} in present value"),
        (
            "social value created",
            f"{money(t['with'])} with the fund, {money(t['without'])} without: "
            f"{money(t['extra'])} extra",
        ),
        ("partners' extra resources", f"{money(t['private'])} (own, mobilised, set-up costs)"),
        (
            "net social benefit",
            f"{money(t['net'])}: the extra value minus the fund's money and the partners' "
            "extra resources",
        ),
    ]
    if not math.isnan(t["ratio"]):
        rows.append(
            (
                "benefit-cost ratio",
                f"{_fmt(t['ratio'])} EUR of extra value per extra euro used, the fund's and "
                "the partners'",
            )
        )
    if t["paid"] > 0:
        rows.append(
            (
                "gross, fund money only",
                f"{_fmt(t['per_fund_eur'])} EUR of extra value per fund euro paid, "
                f"{_fmt(float(dataset.value_per_eur_budgeted))} per euro budgeted",
            )
        )
    started = f"{int(treated.projects_started):,} with the fund, "
    started += f"{int(counterfactual.projects_started):,} without"
    organisations, years = scenario.get("n_organisations"), scenario.get("years")
    if organisations is not None and years is not None:
        started += f" (by {organisations:,} organisations over {years:g} years, solo and alliance)"
    rows.append(("projects started", started))
    return [line for label, text in rows for line in _row(label, text)]


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Lines of at most `width` characters, broken at spaces; a word is never split.

    `textwrap.wrap` without its breaks at hyphens and inside words longer than a
    line, at a fraction of its cost: it took 40 % of the time of the summary a sweep
    job writes in its `run.log` (docs/performance.md, "Writing a job's files").
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        if not line:
            line = (subsequent_indent if lines else initial_indent) + word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = subsequent_indent + word
    return [*lines, line] if line else lines


def _row(label: str, text: str) -> list[str]:
    """A labelled line of the money block, wrapped under its text."""
    return wrap(
        text, WIDTH, initial_indent=f"  {label:<{LABEL}}", subsequent_indent=" " * (LABEL + 2)
    )


def _missing_views(dataset: RunView, views: list[str]) -> str:
    """Why views are left out of the table, in a sentence; "" when none is."""
    if not views:
        return ""
    names = ", ".join(VIEW_HEADINGS[v] for v in views[:-1])
    names = f"{names} and {VIEW_HEADINGS[views[-1]]}" if names else VIEW_HEADINGS[views[-1]]
    backed = int(dataset.backed_projects)
    if backed == 0:
        reason = (
            "the fund backed no project with an innovation grant (its strategy pays none), "
            "so there is no backed group to compare"
        )
    elif "matched" in views:
        reason = f"none of the {backed:,} backed projects has a similar unbacked project to match"
    else:
        reason = "this run has too few projects to measure them"
    return f"Not shown: the {names} view{'s' if len(views) > 1 else ''}: {reason}."


def premium_lines(dataset: xr.Dataset | RunView) -> list[str]:
    """The premium's table in the views this run measures, the views in words, the decomposition."""
    dataset = _view(dataset)
    rows = [
        ("frugality", dataset.premium_frugality, "resources per value, without / with"),
        ("durability", dataset.premium_durability, "mean lifetime (RMST), with / without"),
    ]
    for measure, meaning in (
        ("value", "social value per EUR paid"),
        ("net", "value - private resources, per EUR paid"),
        ("resources", "private resources per EUR paid"),
    ):
        rows.append((f"leverage {measure}", dataset.premium_leverage.sel(measure=measure), meaning))
    measured = [
        v for v in VIEW_HEADINGS if any(not math.isnan(float(r.sel(view=v))) for _, r, _ in rows)
    ]
    lines = [
        "The alliance premium (ratios: 1 = no difference; leverage: EUR per EUR the fund paid)",
        f"{'':<20}" + "".join(f"{VIEW_HEADINGS[v]:>10}" for v in measured) + "   meaning",
    ]
    cells_missing = False
    for label, values, meaning in rows:
        numbers = [float(values.sel(view=v)) for v in measured]
        cells_missing |= any(math.isnan(n) for n in numbers)
        cells = "".join(f"{_fmt(n):>10}" for n in numbers)
        lines.append(f"{label:<20}{cells}   {meaning}")
    backed = int(dataset.backed_projects)
    words = {
        "observed": f"{VIEW_MEANINGS['observed']} ({backed:,} backed projects)",
        "matched": f"{VIEW_MEANINGS['matched']} ({_percent(float(dataset.matched_share))} "
        f"matched, {_percent(float(dataset.matched_same_territory_share))} in their own "
        "territory)",
        "effect_on_backed": f"{VIEW_MEANINGS['effect_on_backed']} (twins found: "
        f"{_percent(float(dataset.twins_found_share))})",
        "causal": VIEW_MEANINGS["causal"],
    }
    prose = "; ".join(f"{VIEW_HEADINGS[v]}: {words[v]}" for v in measured) + "."
    prose += " " + _missing_views(dataset, [v for v in VIEW_HEADINGS if v not in measured])
    if cells_missing and float(dataset.fund_invested_pv.sel(world="treated")) <= 0:
        prose += " n/a: the fund paid nothing to divide by."
    elif cells_missing:
        prose += " n/a: too few projects in this run to measure the figure."
    lines += wrap(prose.strip(), WIDTH, initial_indent="  ", subsequent_indent="  ")
    if {"observed", "effect_on_backed", "causal"} <= set(measured):
        decomposition = (
            "observed = on backed x selection (frugality, durability), = on backed + selection "
            "(leverage); causal = on backed + spill-over (leverage). Selection: frugality "
            f"x{_fmt(float(dataset.selection_frugality))}, durability "
            f"x{_fmt(float(dataset.selection_durability))}, value leverage "
            f"{_fmt(float(dataset.selection_leverage.sel(measure='value')))}; spill-over: value "
            f"leverage {_fmt(float(dataset.spillover_leverage.sel(measure='value')))}."
        )
        lines += wrap(decomposition, WIDTH, initial_indent="  ", subsequent_indent="  ")
    return lines


def plausibility_lines(dataset: xr.Dataset | RunView) -> list[str]:
    """How many projects create less value than they use, in the world with the fund."""
    dataset = _view(dataset)
    treated = dataset.sel(world="treated")
    below = treated.value_below_resources_share
    per_eur = treated.value_per_eur_of_resources

    def kind(project_type: str) -> tuple[str, str]:
        share = float(below.sel(project_type=project_type))
        return _percent(share), _fmt(float(per_eur.sel(project_type=project_type)))

    alliance, solo = kind("alliance"), kind("solo")
    text = (
        f"Projects creating less social value than the resources they use, with the fund: "
        f"{alliance[0]} of alliance projects (on average {alliance[1]} EUR of value per EUR "
        f"used) and {solo[0]} of solo projects ({solo[1]} EUR per EUR)."
    )
    if float(below.sel(project_type="solo")) >= SOLO_ALL:
        text += (
            " That every solo project does is the model's, not a fault of the run: a project "
            "of one organisation alone is worth productivity x (0.5 + its financial share) per "
            "euro, below 1 at the calibrated productivity (docs/model.md, 8.3)."
        )
    return wrap(text, WIDTH)


def summary(dataset: xr.Dataset | RunView) -> str:
    """The answer in a sentence, the money, the premium in four views, the projects.

    Args:
        dataset: A run's dataset.

    Returns:
        The summary as text.
    """
    dataset = _view(dataset)
    placebo = (
        " (PLACEBO fund: selects and pays, changes nothing)" if dataset.attrs.get("placebo") else ""
    )
    lines = [
        f"Alliance premium - scenario {dataset.attrs['scenario']}, "
        f"strategy {dataset.attrs['strategy']}, seed {dataset.attrs['seed']}{placebo}",
        "",
        *wrap(answer(dataset), WIDTH),
        "",
        "What the fund bought, in present values (the world without it has the same random "
        "numbers):",
        *money_lines(dataset),
        "",
        *premium_lines(dataset),
        "",
        *plausibility_lines(dataset),
    ]
    share = float(dataset.budget_paid_share)
    if 0 < share < PAID_WARNING_SHARE:  # nothing paid: the first sentence says so
        warning = (
            f"WARNING: only {_percent(share)} of the budget was paid out; per-EUR-paid figures "
            "flatter this strategy: read the extra value per euro budgeted"
        )
        lines += ["", *wrap(warning, WIDTH)]
    return "\n".join(lines)
