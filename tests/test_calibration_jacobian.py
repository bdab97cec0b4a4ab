"""The Jacobian's structure: which figures are fitted by a parameter of their own."""

from types import SimpleNamespace

import numpy as np

from calibration.config import MOMENTS
from calibration.jacobian import peel, responses
from experiments.calibrating.calibration_report import jacobian_lines
from experiments.config.schema import load_calibration_config

# Issue 25's measurement at the calibrated set: columns frugality_gain,
# backing_hazard_factor, productivity, money_scale, base_rate, level_factor; rows
# frugality, durability, leverage, sroi, maturity 1-4.
MEASURED = np.array(
    [
        [0.47, 0.0, 0.006, 0.0, 0.0, 0.0],
        [0.0, -0.15, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.00, 0.9, 0.0, 0.0],
        [0.0, 0.0, 0.8, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, -0.05, 0.02],
        [0.0, 0.0, 0.0, 0.0, 0.08, 0.03],
        [0.0, 0.0, 0.0, 0.0, 0.10, 0.2],
        [0.0, 0.0, 0.0, 0.0, 0.06, 0.5],
    ]
)


def test_figures_fitted_one_by_one_make_a_triangle():
    pattern = responses(MEASURED, 0.1)
    assert pattern.sum() == 7  # 0.006 and the small maturity terms are no response
    fixed, left = peel(pattern)
    # sroi fixes productivity before leverage, which then fixes the money scale.
    assert fixed == [(0, 0), (1, 1), (3, 2), (2, 3), (6, 5)]
    assert left == [4]  # no moment responds to base_rate above 0.1
    assert peel(pattern)[1]  # not triangular: a parameter is left
    pattern[6] = [False] * 4 + [True, False]  # maturity_3 moved by base_rate alone:
    assert peel(pattern)[1] == []  # triangular: base_rate by maturity_3, level_factor by maturity_4


def test_a_full_block_is_fitted_jointly():
    block = np.ones((3, 2), dtype=bool)
    assert peel(block) == ([], [0, 1])
    assert peel(block)[1] == [0, 1]
    # Frugality, durability and leverage all moved by two mechanisms: no figure alone fixes one.
    cross = np.array([[0.5, 0.3], [0.2, 0.4], [0.0, 0.6]])
    fixed, left = peel(responses(cross, 0.1))
    assert fixed == [(2, 1), (0, 0)] and left == []  # leverage fixes the second, then frugality
    assert not responses(np.array([[np.nan, 0.2]]), 0.1)[0, 0]


def test_the_report_lists_the_jacobian_and_what_fits_what():
    config = load_calibration_config([])
    free = list(config.calibration.parameters)
    result = SimpleNamespace(
        names=[*free, "model.some.prior"], sensitivity=np.c_[MEASURED, np.ones(8)]
    )
    lines = jacobian_lines(config, result)
    text = "\n".join(lines)
    assert len(MOMENTS) == 8 and f"| {MOMENTS[0]} | **0.47** | 0.00 | 0.01 |" in text
    assert "`money_scale`" in text and "`some.prior`" not in text and "prior" not in lines[6]
    assert "frugality by `frugality_gain`; durability by `backing_hazard_factor`" in text
    assert "no moment responds to `base_rate`" in text
