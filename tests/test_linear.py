"""The calibration's linear algebra: numpy's answers, the same bits on every BLAS kernel."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from calibration.linear import cholesky, correlated_normals, covariance, quadratic_forms

ROOT = Path(__file__).parents[1]


def spd(p: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4 * p, p)) * np.geomspace(0.01, 100.0, p)
    return x.T @ x / (4 * p) + 1e-3 * np.eye(p)


@pytest.mark.parametrize("p", [1, 3, 8, 25])
def test_numpys_answers_to_the_last_bits(p):
    rng = np.random.default_rng(p)
    x = rng.normal(size=(300, p)) * np.geomspace(0.001, 1000.0, p) + 5.0
    np.testing.assert_allclose(covariance(x), np.atleast_2d(np.cov(x, rowvar=False)), rtol=1e-12)
    a = spd(p, p)
    low = cholesky(a)
    np.testing.assert_allclose(low, np.linalg.cholesky(a), rtol=1e-10, atol=1e-14)
    assert np.all(np.triu(low, 1) == 0.0)
    d = rng.normal(size=(7, 5, p))
    expected = np.einsum("...i,ij,...j->...", d, np.linalg.inv(a), d)
    np.testing.assert_allclose(quadratic_forms(d, a), expected, rtol=1e-9)
    # The same standard normals as numpy's Cholesky method, times the same factor.
    ours = correlated_normals(np.random.default_rng(1), a, 50)
    theirs = np.random.default_rng(1).multivariate_normal(np.zeros(p), a, 50, method="cholesky")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12 * np.sqrt(a.max()))


def test_correlated_normals_have_the_covariance():
    a = spd(4, 0)
    draws = correlated_normals(np.random.default_rng(0), a, 200_000)
    scale = np.sqrt(np.outer(np.diag(a), np.diag(a)))  # to correlations: one tolerance fits all
    np.testing.assert_allclose(covariance(draws) / scale, a / scale, atol=0.02)


def test_refusals():
    with pytest.raises(ValueError, match="at least 2 observations"):
        covariance(np.ones((1, 3)))
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky(np.full((2, 2), np.nan))


# A small tempered sampler on a synthetic likelihood, as the calibration runs it,
# with every piece of arithmetic the calibration does between simulations.
SCRIPT = """
import hashlib, json
import numpy as np
import simulation.libm as libm
from calibration.config import MOMENTS
from calibration.likelihood import SyntheticLikelihood, j_test
from calibration.linear import covariance
from calibration.loss import loss
from calibration.posterior import sample_posterior

rng = np.random.default_rng(7)
k = len(MOMENTS) - 1
shares = np.array([0.6, 0.25, 0.1, 0.05])

def moments(theta):
    t = np.atleast_2d(theta)
    out = np.empty((t.shape[0], len(MOMENTS)))
    out[:, 0] = 1.0 + np.abs(t[:, 0])
    out[:, 1] = 2.0 + t[:, 1] * t[:, 0]
    out[:, 2] = 5.0 + t[:, 2] + t[:, 1]
    out[:, 3] = 3.0 + 0.5 * t[:, 2]
    out[:, 4:] = shares
    return out

single = moments(np.zeros((30, 3))) * libm.exp(rng.normal(scale=0.1, size=(30, len(MOMENTS))))
logs = libm.log(single[:, :k])
likelihood = SyntheticLikelihood(libm.log(moments(np.array([0.8, 0.4, 1.5]))[0, :k]),
                                 covariance(logs) + np.diag(np.full(k, 0.01)))
posterior = sample_posterior(
    lambda t: likelihood.log_likelihood(moments(t), 0.01),
    np.array([-2.0, -1.0, 0.0]), np.array([2.0, 1.0, 3.0]), ["a", "b", "c"],
    particles=80, moves=3, seed=3, progress=lambda line: None,
)
best = posterior.draws[np.argmax(posterior.log_likelihood)]
out = {
    "draws": posterior.draws, "loglik": posterior.log_likelihood,
    "temperatures": np.array(posterior.temperatures),
    "j": np.array([j_test(likelihood, moments(best)[0], 3, 0.01).statistic]),
}
sha = {n: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for n, v in out.items()}
print(json.dumps(sha))
"""

# BLAS kernels of other processors (OpenBLAS runs them on any x86-64 with AVX), and
# numpy without its AVX2 and AVX-512 code. numpy's cov, inv and multivariate_normal
# give other last bits under the first two on the machines of docs/performance.md.
VARIANTS = {
    "as detected": {},
    "OpenBLAS Prescott kernels": {"OPENBLAS_CORETYPE": "Prescott"},
    "OpenBLAS Sandybridge kernels": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "numpy at its baseline": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
}


def digests(variant: dict[str, str]) -> dict[str, str]:
    found = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **variant},
        cwd=ROOT,
    )
    return json.loads(found.stdout.splitlines()[-1])


@pytest.mark.skipif(
    not os.uname().machine.startswith("x86"), reason="the kernels compared are x86-64's"
)
def test_a_tempered_sampler_gives_the_same_bits_on_every_kernel():
    found = {name: digests(variant) for name, variant in VARIANTS.items()}
    reference = found["as detected"]
    differ = {name: [k for k in reference if got[k] != reference[k]] for name, got in found.items()}
    assert differ == {name: [] for name in VARIANTS}
