"""The report's words: numbers as a board reads them, parameters named with units, the glossary."""

import math
from html import escape as html_escape

import pytest

from experiments.reports.html import grid, table
from experiments.wording.formats import NA, keur, meur, money, number, percent, ratio, span
from experiments.wording.glossary import TERMS, glossary_html, link
from experiments.wording.names import parameter_name, unit_words


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5.81e6, "5,810,000"),
        (0.000714364, "0.000714"),
        (1182.17, "1,180"),
        (3.0, "3"),
        (0.75, "0.75"),
        (-0.3119, "-0.312"),
        (0.0, "0"),
        (math.nan, NA),
    ],
)
def test_numbers_have_no_exponent_and_no_trailing_zeros(value, text):
    assert number(value) == text


def test_money_is_rounded_to_what_the_model_can_know():
    assert meur(7_470_902.98) == "7.5" and meur(-243_000) == "-0.2" and meur(-10) == "0.0"
    assert keur(108_108.6) == "108"
    assert money(7_470_902.98) == "7.5 MEUR"
    assert money(312_625.0) == "313 kEUR"
    assert money(850.0) == "850 EUR"
    assert money(math.nan) == NA and meur(None) == NA


def test_shares_are_percentages_and_rare_events_are_not_none():
    nbsp = "\u00a0"
    assert percent(0.88) == f"88{nbsp}%" and percent(1.0) == f"100{nbsp}%"
    assert percent(0.0) == f"0{nbsp}%"
    assert percent(0.004) == f"under 1{nbsp}%" and percent(0.999) == f"over 99{nbsp}%"
    assert ratio(1.4959) == "1.50" and ratio(16.62, 1) == "16.6"


def test_a_range_is_one_format_and_a_missing_one_leaves_the_mean():
    assert span(7.47e6, -0.24e6, 18.0e6, meur) == "7.5 (-0.2 to 18.0)"
    assert span(7.47e6, math.nan, math.nan, meur) == "7.5"
    assert span(math.nan, 1.0, 2.0, ratio) == NA


def test_a_parameter_is_named_in_words_with_its_unit_from_the_schema():
    key = "model.engineering.grant_half_saturation_eur_per_organisation"
    assert parameter_name(key) == (
        "Engineering: grant half-saturation (EUR per organisation per quarter)"
    )
    assert parameter_name(key, steps_per_year=12).endswith("(EUR per organisation per month)")
    assert parameter_name("model.engineering.decay_per_step") == "Engineering: decay (per quarter)"
    assert parameter_name("model.production.productivity") == (
        "Production: productivity (EUR of value per EUR)"
    )
    assert parameter_name("model.emergence.ally_trust") == (
        "Alliance formation: effect of trust (logit)"
    )
    assert parameter_name("fund.grant_steps") == "Fund: grant steps (quarters)"
    assert parameter_name("fund.years") == "Fund: years"
    assert unit_words("1") == "" and unit_words("per step", 1) == "per year"


def test_every_declared_key_gets_a_name_without_underscores_or_its_key():
    from simulation.bounds import declared_keys
    from simulation.config import RunConfig

    for key in declared_keys(RunConfig()):
        name = parameter_name(key)
        assert "_" not in name and key not in name and name[0].isupper(), (key, name)


def test_the_glossary_links_each_term_to_its_entry():
    page = glossary_html()
    for key, (term, _) in TERMS.items():
        assert f'id="g-{key}"' in page and html_escape(term) in page
    assert 'href="#g-cvar"' in link("cvar") and ">CVaR (conditional value at risk)<" in link("cvar")
    assert ">regret<" in link("regret", "regret")
    with pytest.raises(KeyError):
        link("no such term")
    for term in ("Net social benefit", "Benefit-cost ratio", "Regret", "Deadweight"):
        assert term in page
    for words in ("CVaR", "EVPI", "EVPPI", "PRIM", "Displacement", "Value persistence", "RMST"):
        assert words in page
    assert "The four views" in page


def test_tables_show_no_nan_and_no_exponent():
    import pandas as pd

    html = table(pd.DataFrame({"x": [5.81e6, math.nan], "y": ["a", None]}))
    assert "nan" not in html.lower() and "e+" not in html and "5,810,000" in html
    cells = grid({"a": "<b>A</b>", "b": "B"}, [{"a": "x<y", "b": 1.5e-7}, {"a": None}])
    assert "<b>A</b>" in cells and "x&lt;y" in cells and "nan" not in cells.lower()
    assert '<td class="num">0.00000015</td>' in cells
