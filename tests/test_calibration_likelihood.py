import numpy as np
import pytest
from scipy import stats

from calibration.config import MOMENTS, Target
from calibration.likelihood import (
    INDEPENDENT_MOMENTS,
    SyntheticLikelihood,
    hartlap_factor,
    j_test,
    rounding_sd,
)

TARGETS = {
    "frugality": Target(2.0, 0.1, precision=1.0),
    "durability": Target(3.0, 0.1, precision=1.0),
    "leverage": Target(7.0, 0.1, precision=1.0),
    "sroi": Target(3.2, 0.6, precision=3.0),
    "maturity_1": Target(0.63, 0.15),
    "maturity_2": Target(0.25, 0.25),
    "maturity_3": Target(0.09, 0.4),
    "maturity_4": Target(0.03, 0.6),
}
AT_TARGET = np.array([TARGETS[m].value for m in MOMENTS])


def single_seeds(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return AT_TARGET * np.exp(rng.normal(0.0, 0.1, size=(n, len(MOMENTS))))


def test_rounding_of_a_reported_integer_is_uniform_on_half_a_unit():
    sd = rounding_sd(TARGETS)
    assert sd[0] == pytest.approx(1.0 / np.sqrt(12) / 2.0)
    assert sd[INDEPENDENT_MOMENTS.index("sroi")] == pytest.approx(3.0 / np.sqrt(12) / 3.2)
    assert sd[INDEPENDENT_MOMENTS.index("maturity_1")] == pytest.approx(0.01 / np.sqrt(12) / 0.63)
    assert len(sd) == len(INDEPENDENT_MOMENTS) == 7


def test_covariance_adds_seed_average_noise_and_rounding():
    likelihood = SyntheticLikelihood.from_single_seeds(
        single_seeds(), TARGETS, 4, 0.005, debias=False
    )
    expected = 0.01 * (1 + 1 / 4) + rounding_sd(TARGETS) ** 2
    np.testing.assert_allclose(np.diag(likelihood.omega), expected, rtol=0.2)


def test_likelihood_peaks_at_the_targets_and_refuses_undefined_moments():
    likelihood = SyntheticLikelihood.from_single_seeds(
        single_seeds(), TARGETS, 4, 0.005, debias=False
    )
    assert likelihood.log_likelihood(AT_TARGET, 0.005) == 0.0
    off = AT_TARGET.copy()
    off[0] *= 1.3
    assert likelihood.log_likelihood(off, 0.005) < 0.0
    off[1] = np.nan  # nothing backed: no durability
    assert likelihood.log_likelihood(off, 0.005) == -np.inf


def test_j_is_chi_squared_with_moments_minus_parameters_degrees_of_freedom():
    """Under a correct model, J computed on fresh data is chi2(k - p): its mean is k - p."""
    exact = {name: Target(t.value, t.tolerance, precision=1e-9) for name, t in TARGETS.items()}
    likelihood = SyntheticLikelihood.from_single_seeds(
        single_seeds(4000), exact, 10**9, 0.005, debias=True
    )
    draws = single_seeds(2000, seed=1)
    statistics = [j_test(likelihood, row, 6, 0.005).statistic for row in draws]
    # with 7 moments and no parameter fitted to this data, J ~ chi2(7); the test reports 1 dof
    assert np.mean(statistics) == pytest.approx(7.0, rel=0.1)
    result = j_test(likelihood, draws[0], 6, 0.005)
    assert result.dof == 1
    assert result.p_value == pytest.approx(stats.chi2.sf(result.statistic, 1))


def test_precision_from_few_worlds_is_unbiased_after_the_hartlap_factor():
    """Averaged over many 12-world estimates, Omega^-1 matches the true precision.

    Without the factor its mean would be 11 / 3 of the truth (7 moments, 12 worlds).
    """
    exact = {name: Target(t.value, t.tolerance, precision=1e-9) for name, t in TARGETS.items()}
    rng = np.random.default_rng(2)
    precisions = [
        np.linalg.inv(
            SyntheticLikelihood.from_single_seeds(
                single_seeds(12, seed=int(rng.integers(2**31))), exact, 10**9, 0.005, debias=True
            ).omega
        )
        for _ in range(2000)
    ]
    ratio = np.trace(np.mean(precisions, axis=0) * 0.01) / len(INDEPENDENT_MOMENTS)
    assert ratio == pytest.approx(1.0, abs=0.05)


def test_hartlap_factor_and_its_refusal():
    assert hartlap_factor(24, 7) == pytest.approx(23 / 15)
    with pytest.raises(ValueError, match="at least 10 worlds"):
        hartlap_factor(9, 7)


def test_debias_scales_the_sampling_part_only():
    plain = SyntheticLikelihood.from_single_seeds(single_seeds(24), TARGETS, 4, 0.005, debias=False)
    scaled = SyntheticLikelihood.from_single_seeds(single_seeds(24), TARGETS, 4, 0.005, debias=True)
    rounding = np.diag(rounding_sd(TARGETS) ** 2)
    np.testing.assert_allclose(scaled.omega - rounding, (plain.omega - rounding) * 23 / 15)
