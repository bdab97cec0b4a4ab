import pytest

from experiments.config.config_reference import (
    MODEL_DOC,
    OUTPUT,
    PARAMETER_HEADER,
    reference_rows,
    render,
    update_model_tables,
    yaml_comments,
)
from simulation.bounds import declared_keys
from simulation.config import RunConfig


def test_the_committed_reference_is_what_the_schema_and_yaml_give():
    assert OUTPUT.read_text() == render(), "run: python -m experiments.config.config_reference"


def test_every_declared_key_has_a_default_and_a_meaning():
    rows = reference_rows()
    assert [row["key"] for row in rows] == list(declared_keys(RunConfig()))
    assert all(row["default"] and row["meaning"] for row in rows), [
        row["key"] for row in rows if not (row["default"] and row["meaning"])
    ]


def test_yaml_comments_come_from_the_line_or_the_block_above(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a:  # the a\n  # about b\n  # twice\n  b: 1\n  c: 2  # the c\nd: 3\n")
    assert yaml_comments(path) == {"a": "the a", "a.b": "about b twice", "a.c": "the c", "d": ""}


def test_the_odd_parameter_tables_are_what_the_schema_gives():
    text = MODEL_DOC.read_text()
    assert text.count(PARAMETER_HEADER) >= 9
    assert text == update_model_tables(text), "run: python -m experiments.config.config_reference"


def test_a_hand_edited_default_is_rewritten_and_an_unknown_key_refused():
    row = "| `fund.budget_eur` | `B` | 99 | x | y | src |"
    edited = f"{PARAMETER_HEADER}\n|---|---|---|---|---|---|\n{row}\n"
    assert "| `fund.budget_eur` | `B` | 1,500,000 | [0, 1e+10] | EUR | src |" in (
        update_model_tables(edited)
    )
    unknown = edited.replace("fund.budget_eur", "fund.budget")
    with pytest.raises(KeyError, match=r"`fund.budget`, which is not a configuration key"):
        update_model_tables(unknown)
