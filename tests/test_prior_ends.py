"""The unfitted priors the report calls inert do not move the answer, re-run here."""

import re

import numpy as np
import pytest

from experiments.calibrating import prior_ends
from experiments.calibrating.prior_ends import REPORT, STRATEGIES, THRESHOLD, Point, moves


def test_a_prior_moves_the_answer_by_its_leverage_or_by_the_best_strategy():
    base = Point(np.array([8.0, 9.0, 8.5, 8.2]), np.array([10.0, 12.0, 11.0, 10.5]))
    close = Point(base.net_leverage * 1.05, base.net_benefit + 0.1)
    assert moves(close, base) == (pytest.approx(0.05), False)
    far = Point(base.net_leverage * np.array([1.0, 1.0, 1.0, 0.85]), base.net_benefit)
    assert moves(far, base)[0] == pytest.approx(0.15)
    flipped = Point(base.net_leverage, np.array([10.0, 12.0, 11.0, 12.5]))
    assert moves(flipped, base) == (0.0, True)
    assert flipped.best == STRATEGIES[3]


@pytest.mark.slow
def test_the_priors_the_report_calls_inert_move_neither_the_leverage_nor_the_choice():
    """Each inert prior at both ends of its range, on the report's seeds: as the report says."""
    text = REPORT.read_text()
    seeds = int(re.search(r"--seeds (\d+)`", text).group(1))
    inert = re.findall(r"`([\w.]+)`", text.split("Inert (")[1].split("\n")[0])
    ends = prior_ends.priors()
    assert inert and set(inert) <= set(ends)
    settings = [(None, None)] + [(k, v) for k in inert for v in ends[k]]
    found = prior_ends.points(settings, list(range(seeds)), workers=2)
    base = found[(None, None)]
    assert f"net social benefit: **{base.best}**" in text  # the report's best strategy
    for key in inert:
        for value in ends[key]:
            change, flips = moves(found[(key, value)], base)
            assert change < THRESHOLD and not flips, (key, value, change)
