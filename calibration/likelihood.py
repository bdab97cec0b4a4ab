"""A synthetic likelihood of the field's figures, and Hansen's J test of the fit.

The field reports each figure once, from one realisation of its world (about 50
backed projects; 81 territories), rounded (2x, 3x, 7x; whole percents). So a
reported figure is the model's expected moment plus two errors:

- *sampling*: what one world gives around the expectation; the model measures it
  as the covariance `S1` of the log moments over single seeds;
- *rounding*: a figure reported to a precision `q` is off by up to `q / 2`,
  uniformly: a standard deviation of `q / sqrt(12)`, or `q / (sqrt(12) t)` on the
  log scale for a target `t`.

The simulated moments are means over `R` common-random-number seeds, with their
own noise `S1 / R`. With `d` the log moments minus the log targets,

    Omega = h S1 (1 + 1 / R) + diag(rounding^2)
    log L = -1/2 d' Omega^-1 d                      (Gaussian synthetic likelihood)
    J     = d' Omega^-1 d  ~  chi2(k - p)            (at the estimate)

with `k` independent moments and `p` free parameters (Wood 2010, synthetic
likelihood; Hansen 1982 and McFadden 1989, the J test of simulated moments). The
four maturity shares sum to 1, so the last one is left out: `INDEPENDENT_MOMENTS`.

`S1` is estimated from `n` worlds, and the inverse of an estimated covariance
overstates the precision: its expectation is `(n - 1) / (n - k - 2)` times the true
inverse (the inverse Wishart's mean), 1.53 for 24 worlds and 7 moments, 3.67 for
12. Left as it is, the posterior is too narrow and its credible intervals miss
their truth too often (docs/model.md 9.7). `h = (n - 1) / (n - k - 2)` scales the
sampling part so that its inverse is unbiased (Hartlap, Simon and Schneider 2007,
Astronomy & Astrophysics 464, 399), with `calibration.debias_precision` (off in
the default calibration, whose posterior predates it; on in the candidate's).
Where rounding dominates a direction, `h` hardly changes `Omega` there; the
correction is exact only where sampling does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from calibration.config import MOMENTS, Target
from calibration.linear import covariance, quadratic_forms
from calibration.loss import log_moment

INDEPENDENT_MOMENTS: tuple[str, ...] = MOMENTS[:-1]


def log_moments(moments: np.ndarray, share_floor: float) -> np.ndarray:
    """Logs of the independent moments, shares floored; NaN or 0 moments give -inf.

    Args:
        moments: Moments over `MOMENTS`, shape (..., len(MOMENTS)).
        share_floor: Floor on maturity shares before logs.

    Returns:
        Shape (..., len(INDEPENDENT_MOMENTS)).
    """
    flat = np.asarray(moments, dtype=float).reshape(-1, len(MOMENTS))
    out = np.array(
        [
            [log_moment(row[k], MOMENTS[k], share_floor) for k in range(len(INDEPENDENT_MOMENTS))]
            for row in flat
        ]
    )
    return out.reshape(*np.shape(moments)[:-1], len(INDEPENDENT_MOMENTS))


def log_targets(targets: dict[str, Target], share_floor: float) -> np.ndarray:
    """Logs of the targets of the independent moments."""
    return np.array(
        [log_moment(targets[name].value, name, share_floor) for name in INDEPENDENT_MOMENTS]
    )


def hartlap_factor(worlds: int, moments: int) -> float:
    """`(n - 1) / (n - k - 2)`: how much the inverse of an estimated covariance overstates.

    Args:
        worlds: `n`, the worlds the covariance is estimated from.
        moments: `k`, its dimension.

    Returns:
        The factor that makes the inverse of the scaled estimate unbiased.
    """
    if worlds < moments + 3:
        msg = (
            f"a covariance of {moments} moments from {worlds} worlds has no unbiased inverse; "
            f"allowed: at least {moments + 3} worlds with every moment defined"
        )
        raise ValueError(msg)
    return (worlds - 1) / (worlds - moments - 2)


def rounding_sd(targets: dict[str, Target]) -> np.ndarray:
    """Standard deviation of each target's rounding error, on the log scale."""
    return np.array(
        [targets[n].precision / np.sqrt(12.0) / targets[n].value for n in INDEPENDENT_MOMENTS]
    )


@dataclass(frozen=True)
class SyntheticLikelihood:
    """The Gaussian synthetic likelihood of the targets.

    Attributes:
        log_targets: Log targets of the independent moments.
        omega: Their error covariance (module docstring).
    """

    log_targets: np.ndarray
    omega: np.ndarray

    @classmethod
    def from_single_seeds(
        cls,
        single_seed_moments: np.ndarray,
        targets: dict[str, Target],
        replicates: int,
        share_floor: float,
        debias: bool,
    ) -> SyntheticLikelihood:
        """Build it from moments of single seeds at a reference parameter vector.

        With `debias`, the sampling covariance is scaled by `hartlap_factor`
        (module docstring).

        Args:
            single_seed_moments: Moments of one world per seed, shape (seeds, moments).
            targets: The targets.
            replicates: `R`, the seeds each simulated moment is averaged over.
            share_floor: Floor on maturity shares before logs.
            debias: Whether to scale the sampling covariance by `hartlap_factor`.

        Returns:
            The likelihood.
        """
        logs = log_moments(single_seed_moments, share_floor)
        logs = logs[np.isfinite(logs).all(axis=1)]
        sampling = covariance(logs)
        if debias:
            sampling = sampling * hartlap_factor(*logs.shape)
        omega = sampling * (1.0 + 1.0 / replicates) + np.diag(rounding_sd(targets) ** 2)
        return cls(log_targets(targets, share_floor), omega)

    def residuals(self, mean_moments: np.ndarray, share_floor: float) -> np.ndarray:
        """Log moments minus log targets, shape (..., independent moments)."""
        return log_moments(mean_moments, share_floor) - self.log_targets

    def log_likelihood(self, mean_moments: np.ndarray, share_floor: float) -> np.ndarray:
        """`-1/2 d' Omega^-1 d` for moments averaged over the replicate seeds.

        Args:
            mean_moments: Shape (..., len(MOMENTS)).
            share_floor: Floor on maturity shares before logs.

        Returns:
            Shape (...); -inf where a moment is undefined.
        """
        d = self.residuals(mean_moments, share_floor)
        finite = np.isfinite(d).all(axis=-1)
        safe = np.where(np.isfinite(d), d, 0.0)
        quadratic = quadratic_forms(safe, self.omega)
        return np.where(finite, -0.5 * quadratic, -np.inf)


@dataclass(frozen=True)
class JTest:
    """Hansen's J test of over-identifying restrictions.

    Attributes:
        statistic: `J = d' Omega^-1 d` at the estimate.
        dof: Independent moments minus free parameters.
        p_value: `P(chi2(dof) > J)`; NaN when the model is not over-identified.
    """

    statistic: float
    dof: int
    p_value: float


def j_test(
    likelihood: SyntheticLikelihood, mean_moments: np.ndarray, n_parameters: int, share_floor: float
) -> JTest:
    """The J test at an estimate (moments averaged over the replicate seeds there).

    Args:
        likelihood: The synthetic likelihood (its covariance `Omega`).
        mean_moments: Moments at the estimate, shape (len(MOMENTS),).
        n_parameters: Free parameters fitted.
        share_floor: Floor on maturity shares before logs.

    Returns:
        The test.
    """
    statistic = float(-2.0 * likelihood.log_likelihood(mean_moments, share_floor))
    dof = len(INDEPENDENT_MOMENTS) - n_parameters
    p_value = float(stats.chi2.sf(statistic, dof)) if dof > 0 else float("nan")
    return JTest(statistic, dof, p_value)
