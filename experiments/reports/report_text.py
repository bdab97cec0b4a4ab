"""The strategy report's words and tables, as a board reads them (`experiments.reports.report`).

The first paragraph (`answer`) says which strategy to fund, what each strategy
buys net and gross, how sure the model is and under which conditions the choice
holds. Every range it and the tables give is of one kind, the 5-95 % range over
the states of the world, named where it appears; the 95 % confidence interval of
the mean appears only in the technical annex, under that name. Numbers are worded
by `experiments.wording.formats`, parameters named by `experiments.wording.names`, terms linked to
`experiments.wording.glossary`.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.appraise import Appraisal
from experiments.appraisal.budget_map import budget_map, switches
from experiments.appraisal.robustness import MIN_STATES, SATISFICING_THRESHOLDS
from experiments.appraisal.states import first_config, state_dims
from experiments.appraisal.switching import ANY, CLEAR_T
from experiments.reports.html import grid
from experiments.wording.formats import (
    NA,
    keur,
    meur,
    missing,
    money,
    number,
    percent,
    ratio,
    span,
    years,
)
from experiments.wording.glossary import link
from experiments.wording.names import DEFAULT_STEPS_PER_YEAR, parameter_name

# How each uncertainty dimension is counted in words.
STATE_WORDS = {"draw": "posterior draws", "seed": "seeds", "sample": "design rows"}
# The strategies named in the first paragraph; beyond, the table gives them.
NAMED_IN_ANSWER = 8
# The note under a table that shows n/a.
NA_NOTE = (
    "n/a: not defined for this strategy. A ratio per euro is n/a for a strategy that "
    "pays nothing (none) and for states where the world with the fund used no more "
    "resources than the world without it; a payback is n/a when it never pays back "
    "within the simulated years."
)
RANGE = f"mean ({link('range', '5-95 % range over states')})"


def states_words(dataset: xr.Dataset) -> str:
    """What the states are: "200 states of the world (100 posterior draws x 2 seeds)"."""
    dims = state_dims(dataset)
    sizes = [dataset.sizes[d] for d in dims]
    total = int(np.prod(sizes)) if sizes else 1
    if dims == ["seed"] or not dims:
        return f"{total} seed{'s' if total != 1 else ''}"
    parts = " x ".join(
        f"{size} {STATE_WORDS.get(d, d)}" for d, size in zip(dims[::-1], sizes[::-1], strict=True)
    )
    return f"{total} states of the world ({parts})"


def world_words(dataset: xr.Dataset) -> str:
    """The world and the fund the states share: "81 territories, ... over 3 years"."""
    config = first_config(dataset)
    scenario, fund = config.get("scenario", {}), config.get("fund", {})
    parts = []
    if "n_territories" in scenario:
        parts.append(f"{scenario['n_territories']:,} territories")
    if "n_organisations" in scenario:
        parts.append(f"{scenario['n_organisations']:,} organisations")
    if "budget_eur" in fund and "budget_eur" not in dataset.dims:
        period = f" over {number(fund['years'])} years" if "years" in fund else ""
        parts.append(f"a {money(float(fund['budget_eur']))} fund{period}")
    return ", ".join(parts)


def steps_per_year(dataset: xr.Dataset) -> int:
    """The model's steps per year in this sweep (4: a step is a quarter)."""
    scenario = first_config(dataset).get("scenario", {})
    return int(scenario.get("steps_per_year", DEFAULT_STEPS_PER_YEAR))


def _map(appraisal: Appraisal) -> pd.DataFrame:
    return appraisal.value_map.set_index(["arm", "quantity"])


def order(appraisal: Appraisal) -> list[str]:
    """The arms, the recommended first, then by expected net benefit."""
    table = appraisal.robustness
    rest = table[table.arm != appraisal.recommended].sort_values(
        "expected_net_benefit_eur", ascending=False
    )
    return [appraisal.recommended, *rest.arm]


def _pays_nothing(appraisal: Appraisal, arm: str) -> bool:
    return float(appraisal.outcomes.paid_eur.sel(arm=arm).mean()) == 0


def _name(appraisal: Appraisal, arm: str) -> str:
    return f"{arm} (no fund)" if _pays_nothing(appraisal, arm) else arm


def below_zero(appraisal: Appraisal, arm: str) -> float:
    """The share of states where the arm's net social benefit is below zero."""
    values = appraisal.outcomes.net_social_benefit_eur.sel(arm=arm).values
    return float(np.mean(values < 0))


def _cell(appraisal: Appraisal, arm: str, quantity: str, form: Callable[[float], str]) -> str:
    row = _map(appraisal).loc[(arm, quantity)]
    return span(row["mean"], row["p5"], row["p95"], form)


def _mean(appraisal: Appraisal, arm: str, quantity: str) -> float:
    return float(_map(appraisal).loc[(arm, quantity), "mean"])


def _acceptable_from(appraisal: Appraisal) -> tuple[float, str] | None:
    """Where on the acceptability curve the recommended arm leads, and who leads below.

    Returns:
        The smallest value of a euro of social value from which the recommended arm
        is the most likely best at every larger value of the curve, and the arm that
        leads just below it ("" when it leads everywhere); None when it does not lead
        at 1 EUR and above.
    """
    curve = appraisal.acceptability.set_index("value_per_eur")
    leaders = curve.idxmax(axis=1)
    tops = leaders == appraisal.recommended
    if not tops.iloc[-1] or not tops.loc[curve.index <= 1.0].any():
        return None
    start = len(tops)
    while start > 0 and tops.iloc[start - 1]:
        start -= 1
    if start == 0:
        return (float(curve.index[0]), "")
    return (float(curve.index[start]), str(leaders.iloc[start - 1]))


def _conditions(appraisal: Appraisal, steps: int) -> str:
    """When the choice holds: switching values, the acceptability curve, the calibration."""
    recommended = appraisal.recommended
    parts = []
    switching = appraisal.switching
    if switching.empty:
        parts.append(
            "the states differ only in their seed, so no parameter's range was tested "
            "(run posterior draws)"
        )
    else:
        overall = switching[switching["other"] == ANY]
        turning = overall[overall["recommended_stays_best"].isin(["below", "above"])]
        back_and_forth = overall[overall["switching_value"].notna()]
        if turning.empty and not back_and_forth.empty:
            row = back_and_forth.iloc[0]
            parts.append(
                f"along {html.escape(parameter_name(row['parameter'], steps))} its lead changes "
                f"sign more than once, first at {number(row['switching_value'])} (see the "
                f"{link('switching', 'switching values')})"
            )
        elif turning.empty:
            parts.append(
                "no uncertain parameter turns the choice to any other strategy over its "
                f"tested range ({link('switching', 'switching values')} against every strategy)"
            )
        else:
            row = turning.iloc[0]
            side = "below" if row["recommended_stays_best"] == "above" else "above"
            beyond = row["best_low"] if side == "below" else row["best_high"]
            parts.append(
                f"it would stop being the best strategy if "
                f"{html.escape(parameter_name(row['parameter'], steps))} were {side} "
                f"{number(row['switching_value'])}, where {html.escape(str(beyond))} leads "
                f"({link('switching', 'switching value')}"
                + (
                    "; that loss is within the noise of the states"
                    if not row["clearest_loss_t"] <= -CLEAR_T
                    else ""
                )
                + ")"
            )
    start = _acceptable_from(appraisal)
    if start is not None and start[1]:
        parts.append(
            f"{html.escape(recommended)} stays the most likely best whenever the fund values "
            f"a euro of social value at {number(start[0])} EUR or more ("
            + (
                "below that, not funding is"
                if _pays_nothing(appraisal, start[1])
                else f"below that, {html.escape(start[1])} is"
            )
            + f"; {link('acceptability', 'acceptability curve')})"
        )
    return "; ".join(parts)


def parameter_phrase(key: str, steps: int = DEFAULT_STEPS_PER_YEAR) -> tuple[str, str]:
    """A parameter as a sentence names it, and its unit.

    "model.engineering.grant_half_saturation_eur_per_organisation" gives ("the
    engineering grant half-saturation", "EUR per organisation per quarter").
    """
    name = parameter_name(key, steps)
    unit = ""
    if name.endswith(")") and " (" in name:
        name, unit = name[:-1].rsplit(" (", 1)
    section, _, words = name.rpartition(": ")
    words = f"{section} {words}" if section else words
    return f"the {words[:1].lower()}{words[1:]}", unit


# One condition of the recommendation: the value where it switches, the side on which
# the recommended arm stays best ("below" or "above") and the arm best beyond.
Condition = tuple[float, str, str]


def condition_sentence(
    recommended: str,
    budget: Condition | None = None,
    parameter: tuple[str, Condition] | None = None,
    steps: int = DEFAULT_STEPS_PER_YEAR,
    tested: str = "budget or parameter value",
) -> str:
    """The recommendation with its conditions, in one sentence (plain text).

    Args:
        recommended: The recommended arm.
        budget: Where along the budget (EUR) the recommended arm stops being best.
        parameter: The parameter's key and where along it the arm stops being best.
        steps: The model's steps per year (to name the parameter's unit).
        tested: What was varied, for the sentence without conditions.

    Returns:
        For example "Fund concentrated if the budget is below 3.1 MEUR and the
        engineering grant half-saturation is above 158 EUR per organisation per
        quarter; otherwise uniform (above 3.1 MEUR) or maturity_matched (below 158)."
    """
    conditions, otherwise = [], []
    if budget is not None:
        value, side, other = budget
        conditions.append(f"the budget is {side} {money(value)}")
        otherwise.append((other, f"{_opposite(side)} {money(value)}"))
    if parameter is not None:
        key, (value, side, other) = parameter
        phrase, unit = parameter_phrase(key, steps)
        conditions.append(f"{phrase} is {side} {number(value)}{' ' + unit if unit else ''}")
        otherwise.append((other, f"{_opposite(side)} {number(value)}"))
    if not conditions:
        return f"Fund {recommended}: no {tested} tested turns the choice."
    arms = list(dict.fromkeys(arm for arm, _ in otherwise))
    rest = (
        arms[0] if len(arms) == 1 else " or ".join(f"{arm} ({where})" for arm, where in otherwise)
    )
    return f"Fund {recommended} if {' and '.join(conditions)}; otherwise {rest}."


def _opposite(side: str) -> str:
    return "above" if side == "below" else "below"


def switching_condition(switching: pd.DataFrame) -> tuple[str, Condition] | None:
    """The most influential parameter's switching value against every other arm, if any.

    Only a parameter along which the recommended arm's lead changes sign once: one
    that turns it back and forth has no single condition to state.

    Args:
        switching: `switching.switching_against_arms(...)` (an appraisal's `switching`).
    """
    if switching.empty:
        return None
    once = switching["recommended_stays_best"].isin(["below", "above"])
    overall = switching[(switching["other"] == ANY) & once]
    if overall.empty:
        return None
    row = overall.iloc[0]
    side = str(row["recommended_stays_best"])
    beyond = row["best_low"] if side == "above" else row["best_high"]
    return str(row["parameter"]), (float(row["switching_value"]), side, str(beyond))


def budget_conditions(
    outcomes: pd.DataFrame, recommended: str | None = None
) -> tuple[str, Condition | None, Condition | None]:
    """The recommended arm and where it stops being best along the budget and the parameter.

    Read from a budget map (`budget_map.budget_outcomes`): along the budget at the
    middle level of the parameter; along the parameter at the smallest budget.

    Args:
        outcomes: `budget_map.budget_outcomes(...)`.
        recommended: The arm to state conditions for; default: the best at the
            smallest budget and the middle level.

    Returns:
        The arm, the budget's condition and the parameter's (None where it never switches).
    """
    cells = budget_map(outcomes)
    levels = list(dict.fromkeys(cells.sort_values("level", key=_level_key)["level"]))
    middle = levels[len(levels) // 2]
    smallest = float(cells["budget_eur"].min())
    if recommended is None:
        start = cells[(cells["level"] == middle) & (cells["budget_eur"] == smallest)]
        recommended = str(start["best"].iloc[0])

    def first(table: pd.DataFrame, at: object) -> Condition | None:
        for row in table[table["at"] == at].itertuples():
            if recommended in (row.below, row.above):
                side = "below" if row.below == recommended else "above"
                other = row.above if side == "below" else row.below
                return float(row.switch_value), side, str(other)
        return None

    along_budget = first(switches(outcomes, "budget_eur"), middle)
    along_level = first(switches(outcomes, "level"), smallest)
    return recommended, along_budget, along_level


def _level_key(levels: pd.Series) -> pd.Series:
    return pd.to_numeric(levels, errors="coerce").fillna(0.0)


def budget_map_table(outcomes: pd.DataFrame, key: str | None, steps: int) -> str:
    """The budget map as a table: one row per budget, one column per parameter level."""
    cells = budget_map(outcomes)
    levels = list(dict.fromkeys(cells.sort_values("level", key=_level_key)["level"]))
    name = parameter_name(key, steps) if key else ""
    headers = {"budget": "Budget"} | {
        str(level): f"{html.escape(name)} = {number(float(level))}" if key else "Best strategy"
        for level in levels
    }
    rows = []
    for budget, part in cells.groupby("budget_eur", sort=True):
        row = {"budget": money(float(budget))}
        for cell in part.itertuples():
            row[str(cell.level)] = (
                f"{cell.best} ({percent(cell.probability_best)}; "
                f"{meur(cell.net_benefit_eur)} MEUR net)"
            )
        rows.append(row)
    return grid(
        headers,
        rows,
        "Each cell: the strategy with the largest expected net social benefit at that budget"
        + (" and parameter value" if key else "")
        + ", the share of the cell's states in which it is the best, and its mean net social "
        "benefit (budget_map.csv).",
    )


def answer(
    appraisal: Appraisal, frame: pd.DataFrame, dataset: xr.Dataset, sentence: str | None = None
) -> str:
    """The first paragraph: which strategy, what each buys net and gross, how sure, when.

    Args:
        appraisal: `appraise(dataset)`.
        frame: `report.per_seed_metrics(dataset)`, for the paired comparison.
        dataset: The merged sweep (its states, world and fund).
        sentence: The recommendation with its conditions (`condition_sentence`);
            default: from the switching values alone.

    Returns:
        HTML: one paragraph.
    """
    arms = order(appraisal)
    best = appraisal.recommended
    states = appraisal.outcomes.sizes["state"]
    where = states_words(dataset)
    net = link("net", "net social benefit")
    net_value = _mean(appraisal, best, "net_social_benefit_eur")
    low, high = (_map(appraisal).loc[(best, "net_social_benefit_eur"), q] for q in ("p5", "p95"))
    paid = _mean(appraisal, best, "paid_eur")
    partners = _mean(appraisal, best, "extra_private_resources_eur")
    bcr = _mean(appraisal, best, "benefit_cost_ratio")
    gross = _mean(appraisal, best, "extra_value_eur")
    per_fund = _mean(appraisal, best, "value_per_fund_eur")
    ranged = (
        f"; {link('range', '5-95 % range over the states')} {meur(low)} to {meur(high)} MEUR"
        if states > 1
        else ""
    )
    counted = (
        f"after counting every extra euro used, the fund's {money(paid)} and the partners' "
        f"{money(partners)}"
    )
    ratio_text = (
        f" Each of those euros returns {ratio(bcr)} EUR of social value (the "
        f"{link('bcr', 'benefit-cost ratio')})."
        if not missing(bcr)
        else ""
    )
    gross_text = (
        f" {link('gross', 'Gross')}, counting the fund's money alone, it creates "
        f"{money(gross)} of extra social value"
        + (f", {ratio(per_fund, 1)} EUR per fund euro." if not missing(per_fund) else ".")
    )
    if len(arms) == 1:
        strategy = first_config(dataset).get("fund", {}).get("strategy", {}).get("name", best)
        return (
            f"<p class='answer'>One strategy only, {html.escape(str(strategy))}, so nothing to "
            f"compare it with. Over {where}, its {net} is {money(net_value)} (present "
            f"value{ranged}), {counted}.{ratio_text}{gross_text}"
            + (
                " With one seed there is no range: run more seeds, e.g. seed=0,1,2,3,4."
                if states < 2
                else ""
            )
            + "</p>"
        )
    if states < MIN_STATES:
        lead = (
            f"<b>No choice can be made from {states} state{'s' if states > 1 else ''} of the "
            f"world</b>: run at least {MIN_STATES} seeds (and posterior draws) before choosing. "
            f"In these ({where}), {html.escape(best)} has the smallest regret."
        )
    else:
        lead = (
            f"<b>Recommendation: fund {html.escape(best)}.</b> Over {where}, it is the "
            "robust choice."
        )
    others = [arm for arm in arms if arm != best]
    listed = ", ".join(
        f"{html.escape(_name(appraisal, arm))} "
        f"{meur(_mean(appraisal, arm, 'net_social_benefit_eur'))} MEUR "
        f"({meur(_mean(appraisal, arm, 'extra_value_eur'))})"
        for arm in others[:NAMED_IN_ANSWER]
    )
    more = (
        f", and {len(others) - NAMED_IN_ANSWER} more in the table"
        if len(others) > NAMED_IN_ANSWER
        else ""
    )
    most = max(arms, key=lambda arm: _mean(appraisal, arm, "extra_value_eur"))
    gross_text += (
        " It is also the strategy that creates the most social value, gross."
        if most == best
        else f" The strategy that creates the most social value, gross, is "
        f"{html.escape(most)} ({money(_mean(appraisal, most, 'extra_value_eur'))})."
    )
    text = (
        f"<p class='answer'>{lead} Its {net} is {money(net_value)} (present value{ranged}), "
        f"{counted}."
        f"{ratio_text}{gross_text} <b>The other strategies</b> return, net (gross extra "
        f"value in MEUR in brackets): {listed}{more}."
    )
    if states >= MIN_STATES:
        text += " " + _how_sure(appraisal, frame) + " "
        steps = steps_per_year(dataset)
        if sentence is None and not appraisal.switching.empty:
            sentence = condition_sentence(
                best,
                parameter=switching_condition(appraisal.switching),
                steps=steps,
                tested="parameter value",
            )
        if sentence:
            text += f"<b>In one sentence:</b> {html.escape(sentence)} "
        text += f"<b>When it holds:</b> {_conditions(appraisal, steps)}."
        text += (
            " The level of every net figure rests on the calibrated value per euro of "
            "resources and on the organisations' money amounts: read it as conditional on "
            "that calibration."
        )
    return text + "</p>"


def _how_sure(appraisal: Appraisal, frame: pd.DataFrame) -> str:
    best, runner = appraisal.recommended, appraisal.runner_up
    row = appraisal.robustness.set_index("arm").loc[best]
    states = int(row["states"])
    wins = paired_wins(frame, best, str(runner))
    text = (
        f"<b>How sure:</b> {html.escape(best)} is the best strategy in "
        f"{percent(row['probability_best'])} of the {states} states"
    )
    if not missing(wins):
        text += f" and beats the runner-up, {html.escape(str(runner))}, in {percent(wins)} of them"
    regret = float(row["regret_p90_eur"])
    if np.isclose(row["probability_best"], 1.0):
        text += "."
    elif regret >= 0.5:
        text += (
            f"; in 9 states out of 10 it falls short of the state's best strategy by at most "
            f"{money(regret)} (its {link('regret', 'regret')})."
        )
    else:
        text += "; it is the best strategy in at least 9 states out of 10."
    share = below_zero(appraisal, best)
    text += (
        f" Its net social benefit is below zero in {percent(share)} of the states."
        if share > 0
        else " Its net social benefit is above zero in every state."
    )
    return text


def paired_wins(frame: pd.DataFrame, best: str, other: str) -> float:
    """The share of paired states where `best` has the larger net social benefit."""
    states = [c for c in ("seed", "draw", "sample") if c in frame]
    wide = frame.pivot_table(index=states, columns="arm", values="net_social_benefit_meur")
    if best not in wide or other not in wide:
        return float("nan")
    difference = (wide[best] - wide[other]).dropna()
    return float((difference > 0).mean()) if len(difference) else float("nan")


def headline_table(appraisal: Appraisal) -> str:
    """What each strategy buys: net first, then gross; with how sure, per strategy."""
    headers = {
        "arm": link("strategy", "Strategy"),
        "net": f"{link('net', 'Net social benefit')} (MEUR): {RANGE}",
        "bcr": f"{link('bcr', 'Benefit-cost ratio')}: {RANGE}",
        "best": link("best", "Chance of being best"),
        "negative": "Chance the net benefit is below zero",
        "gross": f"{link('gross', 'Gross')} extra social value (MEUR): {RANGE}",
        "per_fund": f"{link('gross', 'Gross')} value per fund euro: {RANGE}",
    }
    robust = appraisal.robustness.set_index("arm")
    rows = [
        {
            "arm": _name(appraisal, arm),
            "net": _cell(appraisal, arm, "net_social_benefit_eur", meur),
            "bcr": _cell(appraisal, arm, "benefit_cost_ratio", ratio),
            "best": percent(robust.loc[arm, "probability_best"]),
            "negative": percent(below_zero(appraisal, arm)),
            "gross": _cell(appraisal, arm, "extra_value_eur", meur),
            "per_fund": _cell(appraisal, arm, "value_per_fund_eur", lambda v: ratio(v, 1)),
        }
        for arm in order(appraisal)
    ]
    return grid(headers, rows, _note(rows))


def _note(rows: list[dict[str, str]]) -> str:
    return NA_NOTE if any(NA in str(v) for row in rows for v in row.values()) else ""


def detail_table(appraisal: Appraisal) -> str:
    """The money behind each strategy's figures: who paid, what was displaced, payback."""
    headers = {
        "arm": link("strategy", "Strategy"),
        "paid": f"Fund money paid (MEUR, {link('pv', 'present value')})",
        "partners": "Partners' extra resources (MEUR)",
        "unspent": "Budget left unpaid (MEUR)",
        "deadweight": f"{link('deadweight', 'Deadweight')}: value created anyway (MEUR)",
        "displaced": f"{link('displacement', 'Displaced value')} (MEUR)",
        "attribution": link("attribution", "Fund's attributed share"),
        "payback": f"{link('payback', 'Payback')}, net (years)",
    }
    rows = [
        {
            "arm": _name(appraisal, arm),
            "paid": _cell(appraisal, arm, "paid_eur", meur),
            "partners": _cell(appraisal, arm, "extra_private_resources_eur", meur),
            "unspent": _cell(appraisal, arm, "unspent_eur", meur),
            "deadweight": _cell(appraisal, arm, "deadweight_eur", meur),
            "displaced": _cell(appraisal, arm, "displaced_value_eur", meur),
            "attribution": _cell(appraisal, arm, "fund_attribution_share", percent),
            "payback": _cell(appraisal, arm, "payback_year", years),
        }
        for arm in order(appraisal)
    ]
    note = "Each cell: mean (5-95 % range over states). Payback: over the states that pay back."
    extra = _note(rows)
    return grid(headers, rows, f"{note} {extra}".strip())


def robustness_table(appraisal: Appraisal, threshold: float | None = None) -> str:
    """The choice criteria per strategy, in MEUR and percentages.

    Args:
        appraisal: `appraise(dataset)`.
        threshold: The satisficing threshold it was computed with (default: the
            objective's).
    """
    threshold = SATISFICING_THRESHOLDS[appraisal.objective] if threshold is None else threshold
    ratio_name = (
        link("bcr", "benefit-cost ratio")
        if appraisal.objective == "net"
        else link("gross", "gross value per fund euro")
    )
    objective = (
        link("net", "net social benefit")
        if appraisal.objective == "net"
        else link("gross", "gross net benefit")
    )
    headers = {
        "arm": link("strategy", "Strategy"),
        "expected": f"Expected {objective} (MEUR)",
        "best": link("best", "Chance of being best"),
        "regret": f"{link('regret', 'Regret')}, 90th percentile (MEUR)",
        "cvar": f"Regret, {link('cvar', 'CVaR')} of the worst 10 % (MEUR)",
        "shortfall": f"{link('shortfall', 'Shortfall')}, 90th percentile (MEUR)",
        "satisficing": f"{link('satisficing', 'Satisficing')}: states with a {ratio_name} of "
        f"{number(threshold)} or more",
        "states": link("state", "States"),
    }
    rows = [
        {
            "arm": _name(appraisal, row.arm),
            "expected": meur(row.expected_net_benefit_eur),
            "best": percent(row.probability_best),
            "regret": meur(row.regret_p90_eur),
            "cvar": meur(row.regret_cvar90_eur),
            "shortfall": meur(row.shortfall_p90_eur),
            "satisficing": percent(row.satisficing_share),
            "states": f"{row.states:,}",
        }
        for row in appraisal.robustness.itertuples()
    ]
    return grid(headers, rows)


STAYS = {
    "everywhere": "over the whole range",
    "nowhere": "nowhere in the range",
    "mixed": "not everywhere: the sign changes back and forth",
    "below": "below the switching value",
    "above": "above the switching value",
}


def switching_table(appraisal: Appraisal, steps: int) -> str:
    """Switching values against the best of the others, then each strategy that turns it.

    Per parameter: the row against the best other strategy in each range of the
    parameter, then the closest competitor and every strategy with a switching
    value of its own (the others keep their sign: switching_values.csv has them).
    """
    recommended = appraisal.recommended
    headers = {
        "parameter": "Uncertain parameter",
        "other": "Against",
        "correlation": "How strongly it moves the advantage (rank correlation, -1 to 1)",
        "low": f"Advantage of {html.escape(recommended)}, lowest values (MEUR)",
        "high": f"Advantage of {html.escape(recommended)}, highest values (MEUR)",
        "switch": link("switching", "Switching value"),
        "stays": f"{html.escape(recommended)} stays ahead",
        "beyond": "Best of all beyond it",
        "range": "Range tested",
    }
    rows = []
    for parameter, block in appraisal.switching.groupby("parameter", sort=False):
        closest = block[block["other"] != ANY].head(1).index
        shown = block[(block["other"] == ANY) | block.index.isin(closest)]
        shown = pd.concat([shown, block[block["switching_value"].notna()]])
        for row in shown[~shown.index.duplicated()].itertuples():
            side = row.recommended_stays_best
            # Against one strategy, that strategy is the one ahead beyond the switch.
            beyond = row.best_low if side == "above" else row.best_high if side == "below" else ""
            beyond = beyond if row.other == ANY else ""
            rows.append(
                {
                    "parameter": parameter_name(str(parameter), steps),
                    "other": "the best of the others" if row.other == ANY else row.other,
                    "correlation": ratio(row.rank_correlation),
                    "low": meur(row.advantage_low_eur),
                    "high": meur(row.advantage_high_eur),
                    "switch": "none within the range"
                    if missing(row.switching_value)
                    else number(row.switching_value)
                    + ("" if row.clearest_loss_t <= -CLEAR_T else " (within noise)"),
                    "stays": STAYS.get(side, side),
                    "beyond": beyond,
                    "range": f"{number(row.range_low)} to {number(row.range_high)}",
                }
            )
    return grid(
        headers,
        rows,
        "Advantage: the recommended strategy's mean net social benefit minus the other's "
        "(against the best of the others: the largest mean among them in each range), "
        "over the states in the lowest and highest eighth of the parameter's values. "
        "none within the range: the advantage keeps its sign over the range tested. "
        "within noise: in no range is the loss more than twice its standard error.",
    )


def discovery_html(appraisal: Appraisal, steps: int) -> str:
    """The PRIM box in words and a table of its ranges."""
    box = appraisal.discovery
    if box.empty:
        return ""
    first = box.iloc[0]
    recommended, runner = html.escape(appraisal.recommended), html.escape(str(appraisal.runner_up))
    text = (
        f"<p>Of the states where {recommended} loses to {runner}, {percent(first['coverage'])} "
        f"fall inside the ranges below ({link('prim', 'PRIM box')}); inside them it loses in "
        f"{percent(first['density'])} of the states, which make up {percent(first['mass'])} "
        "of all states. Outside them it loses less often.</p>"
    )
    rows = [
        {
            "parameter": parameter_name(row.parameter, steps),
            "from": number(row.low),
            "to": number(row.high),
        }
        for row in box.itertuples()
    ]
    return text + grid({"parameter": "Uncertain parameter", "from": "From", "to": "To"}, rows)


def voi_html(appraisal: Appraisal, steps: int) -> str:
    """EVPI and per-parameter EVPPI in kEUR, with the warning above when draws are too few."""
    voi = appraisal.voi
    if voi.empty:
        return ""
    warning = [w for w in appraisal.warnings if "EVPPI" in w]
    draws = int(voi["states"].iloc[0])
    rows = [
        {
            "parameter": f"All parameters at once ({'EVPI'})"
            if index == 0
            else parameter_name(row.parameter, steps),
            "value": keur(row.value_eur),
        }
        for index, row in enumerate(voi.itertuples())
    ]
    headers = {
        "parameter": f"Learning exactly ({link('evpi', 'EVPI')}; per parameter: "
        f"{link('evppi', 'EVPPI')})",
        "value": "Expected value to the fund (kEUR)",
    }
    intro = (
        f"<p>What knowing a parameter exactly before choosing would be worth on average, over "
        f"{draws} {link('draw', 'posterior draws')} (each averaged over its seeds).</p>"
    )
    flag = "".join(f'<p class="warning">{html.escape(w)}</p>' for w in warning)
    return intro + flag + grid(headers, rows)


def annex_tables(table: pd.DataFrame, differences: pd.DataFrame) -> str:
    """The precision of the averages: 95 % confidence intervals of the mean, named so."""
    ci = link("ci", "95 % confidence interval of the mean")
    forms = {
        "net_social_benefit_meur": ("Net social benefit (MEUR)", lambda v: meur(v * 1e6)),
        "benefit_cost_ratio": ("Benefit-cost ratio", ratio),
        "cost_per_eur_of_value": ("Extra euros used per euro of extra value", ratio),
        "extra_private_meur": ("Partners' extra resources (MEUR)", lambda v: meur(v * 1e6)),
        "extra_value_meur": ("Gross extra social value (MEUR)", lambda v: meur(v * 1e6)),
        "causal_leverage": ("Gross value per fund euro", lambda v: ratio(v, 1)),
        "observed_frugality": (
            f"{link('views', 'Observed')} {link('frugality', 'frugality')} (x)",
            ratio,
        ),
        "observed_durability": (
            f"{link('views', 'Observed')} durability ({link('rmst', 'RMST')} ratio, x)",
            ratio,
        ),
    }
    headers = {"arm": link("strategy", "Strategy"), "states": link("state", "States")}
    headers |= {metric: heading for metric, (heading, _) in forms.items()}
    rows = []
    for _, row in table.iterrows():
        cells = {"arm": row["arm"], "states": f"{int(row['seeds']):,}"}
        for metric, (_, form) in forms.items():
            low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
            cells[metric] = span(row[metric], low, high, form)
        rows.append(cells)
    per_arm = grid(headers, rows, f"Each cell: mean ({ci}). {_note(rows)}".strip())
    diff_rows = [
        {
            "other": row.other,
            "difference": span(
                row.difference_meur * 1e6, row.ci_low * 1e6, row.ci_high * 1e6, meur
            ),
            "wins": percent(row.probability_best_beats_other),
            "paired": f"{row.paired_seeds:,}",
        }
        for row in differences.itertuples()
    ]
    best = html.escape(str(differences["best"].iloc[0])) if not differences.empty else ""
    diff_headers = {
        "other": "Other strategy",
        "difference": f"Net social benefit, {best} minus the other (MEUR): mean ({ci})",
        "wins": f"Share of paired states {best} wins",
        "paired": link("state", "Paired states"),
    }
    return per_arm + (grid(diff_headers, diff_rows) if diff_rows else "")
