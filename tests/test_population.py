"""The column-wise reductions of `simulation.population` give numpy's numbers, bit for bit."""

import numpy as np
import pytest

from simulation import population
from simulation.population import any_true, count_true, numpy_sum, sum_components


@pytest.fixture(params=[False, True], ids=["column loop", "numpy's reduction"])
def few_rows(request, monkeypatch):
    """Both paths: the column loop, and numpy's reduction it leaves small arrays to."""
    monkeypatch.setattr(population, "_few_rows", lambda x: request.param)


@pytest.mark.parametrize("terms", [1, 2, 4, 5, 7, 8, 9, 16, 17, 18, 26, 64, 127, 128, 129, 200])
def test_numpy_sum_adds_as_numpy_does_and_sum_components_in_order(terms, few_rows):
    rng = np.random.default_rng(terms)
    for shape in [(4000, terms), (200, 3, terms)]:
        x = rng.random(shape) * 10.0 ** rng.integers(-8, 8, shape)
        x[rng.random(shape) < 0.2] = 0.0
        np.testing.assert_array_equal(numpy_sum(x), x.sum(axis=-1))
        squares = x**2
        np.testing.assert_array_equal(numpy_sum(squares), squares.sum(axis=-1))
        in_order = x[..., 0].copy()
        for j in range(1, terms):
            in_order = in_order + x[..., j]
        np.testing.assert_array_equal(sum_components(x), in_order)


@pytest.mark.parametrize("columns", [1, 3, 4, 16])
def test_counts_and_any_by_row(columns, few_rows):
    mask = np.random.default_rng(columns).random((1000, 2, columns)) < 0.3
    np.testing.assert_array_equal(count_true(mask), mask.sum(axis=-1))
    assert count_true(mask).dtype == np.int64
    np.testing.assert_array_equal(any_true(mask), mask.any(axis=-1))
