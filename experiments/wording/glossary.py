"""The report's glossary: each term a board meets on the page, in plain words, linked from its uses.

`link(key)` writes a term as a link to its entry (`#g-<key>`); `glossary_html()`
writes the entries, in the order of `TERMS`. A term's words follow the model
(docs/model.md, sections 7.6, 8 and 8.5): change one there, change it here.
"""

from __future__ import annotations

import html

# key -> (the term, its definition). The order is the glossary's.
TERMS: dict[str, tuple[str, str]] = {
    "state": (
        "State of the world",
        "One simulated version of the world: a random seed (the world's own chance "
        "events) and, in a posterior sweep, one posterior draw of the uncertain "
        "parameters. Every strategy runs in every state with the same random numbers, "
        "so strategies are compared state by state.",
    ),
    "draw": (
        "Posterior draw",
        "One set of parameter values drawn from the calibration's posterior: the "
        "parameters the field's figures pin down, as far as they pin them down, and "
        "the others from their stated priors (docs/model.md, section 9.2).",
    ),
    "range": (
        "Range over states (5-95 %)",
        "The range that holds 90 % of the states of the world: 5 % of the states are "
        "below it and 5 % above. It shows how far the result varies with what is not "
        "known. Every range on this page is of this kind unless it is named otherwise.",
    ),
    "ci": (
        "95 % confidence interval of the mean",
        "How precisely the average over the states run is known; it shrinks as more "
        "states are run, whereas the range over states does not. Used in the "
        "technical annex only.",
    ),
    "net": (
        "Net social benefit",
        "The extra social value created in the world with the fund, over the same "
        "world without it, minus every extra euro used to create it: the fund's money "
        "paid and the partners' extra resources (members' own and mobilised "
        "resources, set-up costs). Present values. Above zero, society gains more "
        "than all the resources cost, as the Green Book and SROI practice count it.",
    ),
    "bcr": (
        "Benefit-cost ratio",
        "Extra social value per extra euro used, the fund's and the partners'. Above "
        "1, the value covers every euro used. Over several states of the world it is "
        "the mean extra value over the mean extra cost, as cost-benefit analysis "
        "divides expected values; its range is that of the states' own ratios. n/a "
        "where the world with the fund used no more resources than the world without "
        "it: there is no cost to divide by, and the net social benefit says it all.",
    ),
    "gross": (
        "Gross figures",
        "They count the fund's money alone: the extra social value, the gross net "
        "present value (extra value minus the fund's money) and the value per fund "
        "euro (extra value per euro the fund paid, the causal value leverage). They "
        "leave the partners' resources out, so they are not a return to society.",
    ),
    "pv": (
        "Present value",
        "Euros of different years brought to their value today at the discount rate "
        "(4.5 % a year by default): a euro in ten years counts as 0.64 euro today.",
    ),
    "deadweight": (
        "Deadweight",
        "Value that would have been created anyway, without the fund: the value of "
        "the same world without it. It is not counted in the extra value.",
    ),
    "displacement": (
        "Displacement",
        "Value lost where the world with the fund did worse than the world without "
        "it, territory by territory and quarter by quarter. It is already inside the "
        "extra value; the tables give it apart.",
    ),
    "persistence": (
        "Value persistence",
        "The share of a project's last value that goes on, each quarter, after the "
        "project ends; 0 means the value stops with the project. SROI practice calls "
        "one minus it the drop-off.",
    ),
    "payback": (
        "Payback",
        "The first year after which the cumulative discounted extra value covers, for "
        "good, the fund's money and the partners' extra resources spent so far. n/a: "
        "never within the simulated years.",
    ),
    "attribution": (
        "Fund's attributed share",
        "The fund's money over its money plus the partners' extra resources: the "
        "share of the extra value that can be attributed to the fund.",
    ),
    "best": (
        "Chance of being best",
        "The share of the states in which a strategy has the highest net social "
        "benefit of all (a tie is shared).",
    ),
    "regret": (
        "Regret",
        "In one state of the world, how far a strategy falls short of the best "
        "strategy of that state, in net social benefit. The page gives the regret not "
        "exceeded in 9 states out of 10 (its 90th percentile); the recommended "
        "strategy is the one whose regret is smallest.",
    ),
    "cvar": (
        "CVaR (conditional value at risk)",
        "The average regret over the worst 10 % of the states: how bad the bad cases "
        "are, where the 90th percentile says only where they start.",
    ),
    "shortfall": (
        "Shortfall",
        "How far a strategy falls below its own average in a state; the page gives "
        "its 90th percentile over the states.",
    ),
    "satisficing": (
        "Satisficing",
        "A state satisfices when its benefit-cost ratio reaches the threshold (1 by "
        "default: the value covers every euro used).",
    ),
    "acceptability": (
        "Acceptability curve",
        "Each strategy's chance of being best against the value the fund places on "
        "one euro of social value. At 1 euro it is the net social benefit; a funder "
        "who values a euro of social value at less than a euro of money reads to the "
        "left, one who values it more reads to the right.",
    ),
    "switching": (
        "Switching value",
        "The value of an uncertain parameter at which the recommended strategy would "
        "stop being better than every other strategy (the Green Book's term), and "
        "the strategy that would overtake it. None: it stays best over the whole "
        "range tested.",
    ),
    "prim": (
        "PRIM box (scenario discovery)",
        "The ranges of the uncertain parameters where the recommended strategy's "
        "losses to the runner-up gather (the Patient Rule Induction Method). "
        "Coverage: the share of all its losses that fall inside the box; density: "
        "the share of the box's states in which it loses; mass: the share of all "
        "states inside the box.",
    ),
    "evpi": (
        "EVPI (expected value of perfect information)",
        "How much the fund would gain, on average, by learning the true state of the "
        "world before choosing: the most any study could be worth for this decision.",
    ),
    "evppi": (
        "EVPPI (expected value of partial perfect information)",
        "The same for one parameter alone: what measuring it exactly would be worth. "
        "It is estimated by grouping the posterior draws into bins of the parameter, "
        "and needs many draws to be told from zero.",
    ),
    "views": (
        "The four views",
        "Observed: the backed projects against the others, as the field measured "
        "them (selection included). Matched: the backed projects against similar "
        "projects not backed at the same moment, as a careful evaluator would. "
        "Effect on backed: each backed project against its twin in the world "
        "without the fund. Causal: the whole world with the fund against the same "
        "world without it. The appraisal uses the causal view.",
    ),
    "frugality": (
        "Frugality",
        "Resources used per unit of value by the projects compared against, over "
        "those of the backed projects (observed view: 2x in the field's figures).",
    ),
    "rmst": (
        "RMST (restricted mean survival time)",
        "The average lifetime of projects counted up to a horizon (7 years by "
        "default). Durability is the RMST of the backed projects over that of the "
        "projects compared against (observed view: 3x in the field's figures).",
    ),
    "strategy": (
        "Strategy (arm)",
        "A way of spending the budget: the shares of the three instruments and the "
        "territories they target. In a sweep, each combination of settings other "
        "than seeds and draws is one arm. none: the fund pays nothing, the reference.",
    ),
}


def anchor(key: str) -> str:
    """The id of a term's entry."""
    return f"g-{key}"


def link(key: str, text: str | None = None) -> str:
    """A term (or `text`) as a link to its glossary entry, HTML-escaped.

    Raises:
        KeyError: `key` is not a term of the glossary.
    """
    term = TERMS[key][0]
    return (
        f'<a class="term" href="#{anchor(key)}" title="{html.escape(TERMS[key][1])}">'
        f"{html.escape(text or term)}</a>"
    )


def glossary_html() -> str:
    """The glossary as a definition list, each entry with its anchor."""
    entries = "\n".join(
        f'<dt id="{anchor(key)}">{html.escape(term)}</dt><dd>{html.escape(text)}</dd>'
        for key, (term, text) in TERMS.items()
    )
    return f'<h2 id="glossary">Glossary</h2>\n<dl class="glossary">\n{entries}\n</dl>'
