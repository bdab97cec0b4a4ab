"""Covariances, Cholesky factors and quadratic forms with the same bits on every processor.

numpy's `cov`, `linalg.inv`, `einsum` over three operands and
`Generator.multivariate_normal` go through OpenBLAS, which picks its kernels by
processor (`OPENBLAS_CORETYPE`): the same particles gave a covariance, an inverse
and correlated proposals that differed in their last bits between kernels, and a
tempered sampler that accepts or refuses a move on those bits then follows another
path. A calibration re-run on a processor without AVX-512 found another mode than
the one committed (docs/model.md, 9.4).

The matrices here are small (a parameter or a moment a side), so they are computed
without BLAS, in an order fixed by the code: sums of products by `math.fsum`
(correctly rounded), factors in Python floats, and batches of vectors by numpy's
element-by-element arithmetic, whose every operation is rounded once, as IEEE 754
prescribes, whatever the processor.
"""

from __future__ import annotations

import math

import numpy as np


def covariance(x: np.ndarray) -> np.ndarray:
    """The sample covariance of the columns of `x` (rows are observations).

    The same as `numpy.cov(x, rowvar=False)` up to the last bits.

    Args:
        x: Shape (n, p), n >= 2.

    Returns:
        Shape (p, p), divided by n - 1.

    Raises:
        ValueError: With fewer than two rows.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, p = x.shape
    if n < 2:
        msg = f"a covariance needs at least 2 observations, got {n}"
        raise ValueError(msg)
    columns = x.T
    centred = columns - np.array([math.fsum(c) / n for c in columns.tolist()])[:, None]
    out = np.empty((p, p))
    for i in range(p):
        for j in range(i + 1):
            out[i, j] = out[j, i] = math.fsum((centred[i] * centred[j]).tolist()) / (n - 1)
    return out


def cholesky(a: np.ndarray) -> np.ndarray:
    """The lower-triangular `L` with `L @ L.T == a`, for a symmetric positive definite `a`.

    Args:
        a: Shape (p, p).

    Returns:
        Shape (p, p), zero above the diagonal.

    Raises:
        ValueError: When `a` is not positive definite.
    """
    rows = np.asarray(a, dtype=float).tolist()
    p = len(rows)
    low = [[0.0] * p for _ in range(p)]
    for i in range(p):
        for j in range(i + 1):
            rest = rows[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if not rest > 0.0:
                    msg = f"the matrix is not positive definite (pivot {i}: {rest!r})"
                    raise ValueError(msg)
                low[i][i] = math.sqrt(rest)
            else:
                low[i][j] = rest / low[j][j]
    return np.array(low, dtype=float).reshape(p, p)


def quadratic_forms(d: np.ndarray, a: np.ndarray) -> np.ndarray:
    """`d' a^-1 d` for each vector of a batch, by forward substitution on `a`'s factor.

    Args:
        d: Shape (..., p).
        a: Symmetric positive definite, shape (p, p).

    Returns:
        Shape (...).
    """
    low = cholesky(a)
    d = np.asarray(d, dtype=float)
    y = np.empty_like(d)
    total = np.zeros(d.shape[:-1])
    for k in range(low.shape[0]):
        acc = d[..., k].copy()
        for j in range(k):
            acc -= low[k, j] * y[..., j]
        y[..., k] = acc / low[k, k]
        total += y[..., k] * y[..., k]
    return total


def correlated_normals(rng: np.random.Generator, covariance: np.ndarray, count: int) -> np.ndarray:
    """`count` draws of a centred normal vector with this covariance.

    Standard normals times the covariance's Cholesky factor: what
    `rng.multivariate_normal(zeros, covariance, count, method="cholesky")` draws,
    without BLAS.

    Args:
        rng: The generator (draws `count` x p standard normals).
        covariance: Symmetric positive definite, shape (p, p).
        count: Vectors wanted.

    Returns:
        Shape (count, p).
    """
    low = cholesky(covariance)
    p = low.shape[0]
    z = rng.standard_normal((count, p))
    out = np.zeros((count, p))
    for i in range(p):
        for j in range(i + 1):
            out[:, i] += low[i, j] * z[:, j]
    return out
