"""Exponentials, logarithms and powers with the same bits on every processor.

numpy computes `exp`, `log`, `expm1`, `log1p` and `power` of float64 arrays with
code of its own on processors with AVX-512 and with the C library's functions on
the others, and the two differ in the last bit for some inputs: a world's discount
factors, hazards and present values would then depend on the processor it ran on
(a fingerprint made on one failed on the other). The model takes these functions
from the C library, through Python's `math`, element by element, on every
processor; the compiled kernels call the same functions (numba's `math.exp` and
the others are the C library's), so both give the same numbers.

The arrays they apply to are small: a table per territory, or the projects born,
changed or ended in a step, so that the element-by-element call costs little
beside the step (docs/performance.md, "Numbers that do not depend on the
processor").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _apply(
    function: Callable[[float], float], special: Callable[[float], float], x: np.ndarray
) -> np.ndarray:
    """`function` of every element of `x`, as a float64 array of its shape.

    Python's `math` raises where the C function returns an infinity or NaN
    (overflow, a logarithm of 0 or below, 0 to a negative power); those elements
    take `special`'s value, numpy's, which agrees with the C library's on these
    values on every processor.
    """
    x = np.asarray(x, dtype=float)
    items = x.ravel().tolist()
    try:
        values = np.fromiter(map(function, items), dtype=float, count=x.size)
    except (OverflowError, ValueError, ZeroDivisionError):
        values = np.fromiter((_or_special(function, special, v) for v in items), float, x.size)
    return values.reshape(x.shape)


def _or_special(
    function: Callable[[float], float], special: Callable[[float], float], value: float
) -> float:
    try:
        return function(value)
    except (OverflowError, ValueError, ZeroDivisionError):
        with np.errstate(all="ignore"):
            return float(special(value))


def exp(x: np.ndarray) -> np.ndarray:
    """`e ** x`, element by element."""
    return _apply(math.exp, np.exp, x)


def expm1(x: np.ndarray) -> np.ndarray:
    """`e ** x - 1`, element by element, exact for small `x`."""
    return _apply(math.expm1, np.expm1, x)


def log(x: np.ndarray) -> np.ndarray:
    """The natural logarithm, element by element."""
    return _apply(math.log, np.log, x)


def log1p(x: np.ndarray) -> np.ndarray:
    """`log(1 + x)`, element by element, exact for small `x`."""
    return _apply(math.log1p, np.log1p, x)


def power(base: float, exponent: np.ndarray) -> np.ndarray:
    """`base ** exponent` for a positive `base`, element by element."""
    base = float(base)
    return _apply(lambda e: base**e, lambda e: np.power(base, e), exponent)
