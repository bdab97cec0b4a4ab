"""The model's numbers, bit for bit: a committed fingerprint of several runs.

A change that only makes the code faster (or tidier) must leave every variable of
every case identical, on numpy's kernels and on the compiled ones
(`simulation.kernel`); one that is meant to change the model regenerates the file
(`python -m tests.fingerprint > tests/data/fingerprint.json`) in the same commit.
"""

import json
from pathlib import Path

import pytest

from .fingerprint import CASES, fingerprint

EXPECTED = json.loads((Path(__file__).parent / "data" / "fingerprint.json").read_text())


def test_the_committed_fingerprint_covers_every_case():
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_run_is_bit_identical_to_its_fingerprint(case, kernel, monkeypatch):
    monkeypatch.setenv("ALLIANCE_KERNEL", kernel)  # simulation.kernel: both give these numbers
    got = fingerprint(CASES[case])
    assert set(got) == set(EXPECTED[case])
    changed = sorted(name for name in got if got[name] != EXPECTED[case][name])
    assert not changed, f"{case}: changed variables {changed}"
