"""The posterior of the free parameters, by sequential Monte Carlo on a synthetic likelihood.

Method (Del Moral, Doucet and Jasra 2006, SMC samplers; the likelihood is the
Gaussian synthetic likelihood of `likelihood`, so nothing is assumed about the
model's own likelihood, which has no closed form):

1. `particles` parameter vectors from the prior (uniform on the bounds), spread by
   a Latin hypercube;
2. tempering: the target moves from the prior to the posterior through
   `prior x L^beta`, `beta` rising from 0 to 1; each increase is the largest that
   keeps the effective sample size of the re-weighted particles at half of them;
3. after each increase the particles are resampled (systematic) and moved by
   random-walk Metropolis steps, the proposal scaled to the particles' covariance
   (`2.38 / sqrt(p)`, Roberts and Rosenthal 2001) and reflected at the bounds (a
   symmetric proposal on the box, so the uniform prior needs no correction); the
   steps repeat until 90 % of the particles have moved at least `moved_times`
   times since the resampling, or `moves` steps were made. Resampling leaves
   copies of the same particles; too few moves leave them copies, and the
   posterior too narrow. In many dimensions one accepted step moves a copy a
   fraction of the posterior's width in each (the proposal shrinks as
   `1 / sqrt(p)`), so the joint calibration of 25 parameters asks for several
   (docs/model.md 9.9, its coverage check).

Every likelihood evaluation averages the moments over the calibration's fixed
seeds (common random numbers): the likelihood is then a repeatable function of
the parameters, and the evaluator's checkpoint makes the whole run a replay.
All random choices of the sampler come from `numpy.random.default_rng(seed)`, so
an interrupted run, started again, re-makes the same choices, finds its
simulations in the checkpoint, and continues where it stopped.

Rejected alternatives: rejection ABC and ABC-SMC with a distance threshold
(Beaumont et al. 2009) need fresh seeds per simulation to represent noise, which
loses common random numbers and needs far more simulations for five parameters;
pyabc and sbi are heavy dependencies (FACTS.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

import simulation.libm as libm
from calibration.likelihood import SyntheticLikelihood
from calibration.linear import correlated_normals, covariance

LogLikelihood = Callable[[np.ndarray], np.ndarray]
# Metropolis steps repeat until this share of the particles has moved (or `moves`).
MOVED_SHARE = 0.9
Progress = Callable[[str], None]


@dataclass
class Posterior:
    """Equally weighted draws from the posterior.

    Attributes:
        names: Parameter paths, in vector order.
        draws: Shape (draws, parameters).
        log_likelihood: At each draw.
        temperatures: The tempering schedule, from 0 to 1.
        acceptance: Metropolis acceptance rate at each stage.
        evaluations: Likelihood evaluations made (each over all replicate seeds).
    """

    names: list[str]
    draws: np.ndarray
    log_likelihood: np.ndarray
    temperatures: list[float]
    acceptance: list[float]
    evaluations: int

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean."""
        return self.draws.mean(axis=0)

    @property
    def mode(self) -> np.ndarray:
        """The draw of highest posterior density (highest likelihood: the prior is flat)."""
        return self.draws[int(np.argmax(self.log_likelihood))]

    def interval(self, mass: float = 0.9) -> np.ndarray:
        """Equal-tailed credible interval of each parameter, shape (parameters, 2)."""
        tail = (1.0 - mass) / 2.0
        return np.quantile(self.draws, [tail, 1.0 - tail], axis=0).T


def reflect(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Fold points back into the box [lower, upper] by reflection at its faces."""
    width = upper - lower
    y = np.mod(x - lower, 2.0 * width)
    return lower + np.where(y > width, 2.0 * width - y, y)


def next_temperature(log_likelihood: np.ndarray, beta: float, target_ess: float) -> float:
    """The largest next temperature that keeps the effective sample size at `target_ess`.

    Args:
        log_likelihood: Of the current particles; -inf allowed.
        beta: Current temperature.
        target_ess: Wanted effective sample size.

    Returns:
        The next temperature, at most 1.
    """

    def ess(next_beta: float) -> float:
        w = _normalised((next_beta - beta) * log_likelihood)
        return 1.0 / np.sum(w**2)

    if ess(1.0) >= target_ess:
        return 1.0
    low, high = beta, 1.0
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if ess(middle) >= target_ess else (low, middle)
    return low if low > beta else high


def _normalised(log_weights: np.ndarray) -> np.ndarray:
    finite = np.where(np.isfinite(log_weights), log_weights, -np.inf)
    w = libm.exp(finite - finite.max())
    return w / w.sum()


def systematic_resample(
    weights: np.ndarray, rng: np.random.Generator, count: int | None = None
) -> np.ndarray:
    """`count` indices (default: as many as weights) drawn by systematic resampling."""
    count = weights.size if count is None else count
    positions = (rng.random() + np.arange(count)) / count
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)


def sample_posterior(
    log_likelihood: LogLikelihood,
    lower: np.ndarray,
    upper: np.ndarray,
    names: list[str],
    particles: int = 200,
    moves: int = 2,
    seed: int = 0,
    progress: Progress = print,
    draws: int | None = None,
    moved_times: int = 1,
) -> Posterior:
    """Tempered SMC from the uniform prior on the bounds to the posterior.

    Args:
        log_likelihood: Log likelihood of a batch of vectors, shape (n, p) -> (n,);
            called with whole batches so they spread over the cores.
        lower: Lower bounds.
        upper: Upper bounds.
        names: Parameter paths.
        particles: Particles (and posterior draws).
        moves: Most Metropolis steps after each tempering stage.
        seed: Seed of the sampler's own random choices.
        draws: Posterior draws wanted; when more than `particles`, the final
            particles are resampled to this many and moved by Metropolis steps at
            the posterior (which leave it invariant) until 90 % have moved.
        progress: Called with one line per stage.
        moved_times: Accepted steps that count a particle as moved (module
            docstring, step 3).

    Returns:
        The posterior.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    p = lower.size
    unit = qmc.LatinHypercube(d=p, seed=rng).random(particles)
    theta = lower + unit * (upper - lower)
    loglik = log_likelihood(theta)
    evaluations = particles
    beta, temperatures, acceptance = 0.0, [0.0], []
    scale = 2.38 / np.sqrt(p)

    def move(theta: np.ndarray, loglik: np.ndarray, weights: np.ndarray, count: int, beta: float):
        return _resample_and_move(
            theta, loglik, weights, count, beta, lower, upper, moves, scale, rng,
            log_likelihood, moved_times,
        )  # fmt: skip

    while beta < 1.0:
        new_beta = next_temperature(loglik, beta, particles / 2)
        weights = _normalised((new_beta - beta) * loglik)
        beta = new_beta
        theta, loglik, rate, used = move(theta, loglik, weights, particles, beta)
        evaluations += used
        temperatures.append(beta)
        acceptance.append(rate)
        elapsed = time.perf_counter() - start
        eta = elapsed / beta * (1.0 - beta) if beta > 0 else float("nan")
        progress(
            f"posterior stage {len(temperatures) - 1}: beta {beta:.3f}, acceptance "
            f"{acceptance[-1]:.2f}, evaluations {evaluations}, {elapsed:5.0f} s, "
            f"ETA about {eta:4.0f} s (tempering is faster near the end)"
        )
    if draws is not None and draws > particles:
        uniform = np.full(particles, 1.0 / particles)
        theta, loglik, rate, used = move(theta, loglik, uniform, draws, 1.0)
        evaluations += used
        acceptance.append(rate)
        progress(f"posterior: {draws} draws, acceptance {rate:.2f}, evaluations {evaluations}")
    return Posterior(names, theta, loglik, temperatures, acceptance, evaluations)


def _resample_and_move(
    theta: np.ndarray,
    loglik: np.ndarray,
    weights: np.ndarray,
    count: int,
    beta: float,
    lower: np.ndarray,
    upper: np.ndarray,
    moves: int,
    scale: float,
    rng: np.random.Generator,
    log_likelihood: LogLikelihood,
    moved_times: int = 1,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Resample `count` particles, then move them at temperature `beta`.

    Returns:
        The particles, their log likelihoods, the acceptance rate and the
        likelihood evaluations made.
    """
    chosen = systematic_resample(weights, rng, count)
    theta, loglik = theta[chosen].copy(), loglik[chosen].copy()
    spread = covariance(theta)
    spread += np.diag(1e-10 * np.diag(spread) + 1e-12)  # positive definite, even from few
    accepted, steps = 0, 0
    moved = np.zeros(count, dtype=int)
    while steps < moves and np.mean(moved >= moved_times) < MOVED_SHARE:
        step = scale * correlated_normals(rng, spread, count)
        proposal = reflect(theta + step, lower, upper)
        proposed = log_likelihood(proposal)
        with np.errstate(invalid="ignore"):
            log_ratio = beta * (proposed - loglik)
        accept = libm.log(rng.random(count)) < log_ratio
        theta[accept], loglik[accept] = proposal[accept], proposed[accept]
        moved += accept
        accepted += int(accept.sum())
        steps += 1
    return theta, loglik, accepted / max(steps * count, 1), steps * count


def likelihood_of(
    evaluator_moments: Callable[[np.ndarray], np.ndarray],
    likelihood: SyntheticLikelihood,
    share_floor: float,
) -> LogLikelihood:
    """Log likelihood of vectors, from a function giving moments over the replicate seeds.

    Args:
        evaluator_moments: Vectors (n, p) -> moments (n, seeds, moments).
        likelihood: The synthetic likelihood.
        share_floor: Floor on maturity shares before logs.

    Returns:
        The log likelihood of a batch.
    """

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        moments = evaluator_moments(thetas)
        with np.errstate(invalid="ignore"):
            mean = moments.mean(axis=1)
        return likelihood.log_likelihood(mean, share_floor)

    return log_likelihood
