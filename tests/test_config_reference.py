from experiments.config_reference import OUTPUT, reference_rows, render, yaml_comments
from simulation.bounds import declared_keys
from simulation.config import RunConfig


def test_the_committed_reference_is_what_the_schema_and_yaml_give():
    assert OUTPUT.read_text() == render(), "run: python -m experiments.config_reference"


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
