"""The explorer's state as a link: written by the page, read back when a page opens."""

import pytest

from experiments.explore import link
from experiments.explore.choice import Choice
from experiments.explore.decision import NO_FUND

from .test_explore_choice import EVERYTHING as EVERY_CONTROL

EVERYTHING = EVERY_CONTROL.with_changes(scenario="national")


def test_the_defaults_have_no_query():
    assert link.query(Choice()) == ""
    assert link.parse("") == (Choice(), NO_FUND, [])
    assert link.parse(None) == (Choice(), NO_FUND, [])


def test_every_control_and_the_baseline_come_back_from_the_link():
    text = link.query(EVERYTHING, "uniform")
    assert text.startswith("?strategy=concentrated&budget_eur=2000000&ticket_eur=7500.5&")
    assert "shares=0.5%2C0.25%2C0.25" in text and text.endswith("&baseline=uniform")
    assert link.parse(text) == (EVERYTHING, "uniform", [])


def test_a_link_with_mistakes_opens_with_the_rest_and_says_what_it_left_out():
    choice, baseline, problems = link.parse(
        "strategy=concentrated&n_seeds=50&budget_eur=lots&colour=red&baseline=best&placebo=maybe"
    )
    assert choice == Choice(strategy="concentrated") and baseline == NO_FUND
    assert problems == [
        "The link's n_seeds='50' was not used (a whole number from 1 to 10).",
        "The link's budget_eur='lots' was not used (not a number).",
        "The link's colour='red' was not used (not a parameter of this page).",
        "The link's baseline='best' was not used (allowed: no-fund world, concentrated, "
        "engineering_only, innovation_only, maturity_matched, none, small_territories, "
        "structural_heavy, structural_only, uniform).",
        "The link's placebo='maybe' was not used (true or false).",
    ]


@pytest.mark.parametrize("text", ["shares=0.5,0.5", "scenario=mars", "draw=-1"])
def test_a_value_out_of_its_choices_is_left_at_its_default(text):
    choice, _, problems = link.parse(text)
    assert choice == Choice() and len(problems) == 1


def test_a_typed_amount_reads_with_separators_and_empty_is_the_default():
    from experiments.explore.app import read_amount

    assert read_amount("2,000,000") == 2e6
    assert read_amount(" 1 500 000 ") == 1.5e6
    assert read_amount("") is None and read_amount(None) is None
    with pytest.raises(ValueError, match="'lots' is not a number"):
        read_amount("lots")


def test_the_page_explains_its_terms_in_the_reports_words():
    from experiments.explore.app import GLOSSARY
    from experiments.wording.glossary import TERMS

    terms = dict(GLOSSARY)
    assert terms["Net social benefit"] == TERMS["net"][1]
    assert "RMST" in " ".join(terms) and "Seeds and ranges" in terms
