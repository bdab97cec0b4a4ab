"""The summary `alliance-run` prints: the answer first, rounded money, every figure in context."""

import re
import textwrap

import numpy as np
import pytest

from experiments.reports.summary import answer, money, summary, totals, wrap
from simulation import run

from .conftest import small_config


@pytest.fixture(scope="module")
def dataset():
    return run(small_config(seed=1, budget_eur=5e5))


def test_summary_shows_every_view_measure_and_the_decomposition(dataset):
    text = summary(dataset)
    for word in ("observed", "matched", "on backed", "causal", "leverage net", "Selection"):
        assert word in text
    assert "WARNING" not in text and "n/a" not in text


def test_summary_warns_when_the_budget_is_not_paid_out():
    config = small_config(seed=1, budget_eur=2e7)
    config.fund.strategy.shares = {"engineering": 0.0, "innovation": 1.0, "structural": 0.0}
    dataset = run(config)
    assert float(dataset.budget_paid_share) < 0.9
    assert "WARNING: only" in summary(dataset)


def test_the_answer_comes_first_in_one_sentence(dataset):
    lines = summary(dataset).splitlines()
    paragraph = " ".join(lines[2 : lines.index("", 2)])
    assert paragraph == answer(dataset)
    assert paragraph.startswith("In short: the fund paid ") and paragraph.count(". ") == 0
    t = totals(dataset)
    for amount in (t["paid"], t["extra"]):
        assert money(amount) in paragraph
    net = f"net social benefit of {money(t['net'])}" if t["net"] >= 0 else money(-t["net"])
    assert net in paragraph and "EUR of value per euro used" in paragraph


@pytest.mark.parametrize(
    ("eur", "text"),
    [
        (148_399_837.0, "148.4 MEUR"),
        (1_387_927.0, "1.4 MEUR"),
        (-2_081_474.0, "-2.1 MEUR"),
        (149_000.0, "0.1 MEUR"),
        (52_400.0, "52 kEUR"),
        (812.4, "812 EUR"),
        (float("nan"), "n/a"),
    ],
)
def test_money_is_rounded_to_what_the_model_can_know(eur, text):
    assert money(eur) == text


def test_big_numbers_have_separators_and_money_no_false_precision(dataset):
    big = dataset.copy(deep=True)
    big["projects_started"] = big.projects_started * 0 + [10_000, 9_958]
    big["value_created_pv"] = big.value_created_pv * 0 + [148_399_837.0, 131_690_251.0]
    text = " ".join(summary(big).split())  # as read, across the wrapped lines
    assert "10,000 with the fund, 9,958 without" in text
    assert "148.4 MEUR with the fund, 131.7 MEUR without: 16.7 MEUR extra" in text
    assert not re.search(r"\d{4,}", text.replace("seed 1", "")), "a number without separators"
    assert not re.search(r"\d+,\d{3},\d{3}", text), "money to the euro"
    assert "organisations over 5 years" in text  # the count is not a cap


def test_a_view_the_run_cannot_measure_is_left_out_and_said_why():
    config = small_config(seed=1)
    config.fund.strategy.shares = {"engineering": 1.0, "innovation": 0.0, "structural": 0.0}
    dataset = run(config)
    assert int(dataset.backed_projects) == 0
    lines = summary(dataset).splitlines()
    header = next(line for line in lines if line.rstrip().endswith("meaning"))
    assert header.split() == ["causal", "meaning"]
    text = " ".join(" ".join(lines).split())
    assert "n/a" not in text
    assert "Not shown: the observed, matched and on backed views: the fund backed no" in text


def test_no_matched_control_leaves_out_the_matched_view(dataset):
    unmatched = dataset.copy(deep=True)
    for name in ("premium_frugality", "premium_durability", "premium_leverage"):
        unmatched[name].loc[{"view": "matched"}] = np.nan
    unmatched["matched_share"] = unmatched.matched_share * 0
    text = " ".join(summary(unmatched).split())
    assert "matched: 0 %" not in text and "n/a" not in text
    assert "Not shown: the matched view: none of the" in text


def test_every_solo_project_below_its_resources_is_explained(dataset):
    share = float(dataset.value_below_resources_share.sel(world="treated", project_type="solo"))
    assert share < 0.99  # the raw assumptions: some solo projects repay their resources
    assert "not a fault of the run" not in summary(dataset)
    every = dataset.copy(deep=True)
    every["value_below_resources_share"].loc[{"project_type": "solo"}] = 1.0  # the calibrated set
    text = " ".join(summary(every).split())
    assert "and 100 % of solo projects" in text
    assert "That every solo project does is the model's, not a fault of the run" in text


def test_a_placebo_fund_and_no_fund_are_said_in_words():
    placebo = run(small_config(seed=1, budget_eur=5e5, placebo=True))
    assert answer(placebo).startswith("In short: the placebo fund paid ")
    assert "changed nothing" in answer(placebo) and "a net loss of" in answer(placebo)
    none = run(small_config(seed=1, budget_eur=0.0))
    assert answer(none).startswith("In short: the fund paid nothing")
    assert "benefit-cost ratio" not in summary(none)


@pytest.mark.parametrize("width", [12, 40, 92])
def test_wrap_is_textwraps_without_breaks_at_hyphens(width):
    rng = np.random.default_rng(width)
    words = ["a", "premium", "cost-benefit", "1.5 MEUR", "x" * 30, "(49", "projects),", "-"]
    for _ in range(200):
        text = " ".join(rng.choice(words, size=rng.integers(0, 30)))
        indents = {"initial_indent": "  label  ", "subsequent_indent": "    "}
        expected = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
        assert wrap(text, width) == expected
        assert wrap(text, width, **indents) == textwrap.wrap(
            text, width, break_on_hyphens=False, break_long_words=False, **indents
        )
