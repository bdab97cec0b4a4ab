"""Simulation-based calibration of the posterior: do its credible intervals cover the truth?

For each synthetic truth (Talts et al. 2018):

1. draw parameters from the prior (a Latin hypercube over the sampled space:
   the free parameters and, with `joint_priors`, the priors sampled jointly, in
   log coordinates for a log-uniform prior; `calibration.space`);
2. simulate the field's data: the moments of *one* world at those parameters (a
   seed of its own), each figure then rounded as the field rounds it;
3. measure the likelihood's covariance (single worlds at the truth: the real
   calibration measures it at its optimum, which is close to the truth when the
   fit is good) and sample the posterior exactly as `alliance-calibrate` does;
4. record whether each parameter's credible interval holds the truth, and its rank
   among the posterior draws.

Over many truths, `mass` intervals should hold the truth a share `mass` of the
time, and the ranks should be uniform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from calibration.config import MOMENTS, CalibrationConfig, Target, with_parameters
from calibration.evaluation import Checkpoint, Evaluator, fingerprint
from calibration.likelihood import SyntheticLikelihood
from calibration.moments import simulate_moments
from calibration.space import SampledSpace, posterior_over


@dataclass
class Coverage:
    """Results of a simulation-based calibration.

    Attributes:
        names: Parameter paths.
        truths: Shape (truths, parameters).
        covered: Whether each interval held the truth, shape (truths, parameters).
        ranks: Rank of the truth among the posterior draws, in [0, 1].
        mass: Credible mass of the intervals.
    """

    names: list[str]
    truths: np.ndarray
    covered: np.ndarray
    ranks: np.ndarray
    mass: float

    @property
    def rate(self) -> float:
        """Share of all intervals that held their truth."""
        return float(self.covered.mean())


def rounded(value: float, target: Target) -> float:
    """A figure rounded to its target's precision, as the field reports it."""
    return float(np.round(value / target.precision) * target.precision)


def simulation_based_calibration(
    config: CalibrationConfig,
    truths: int,
    mass: float = 0.9,
    progress: Callable[[str], None] = print,
    worker_setup: Callable[[], None] | None = None,
) -> Coverage:
    """Run the check on `config`'s world, free parameters, seeds and sampler settings.

    Args:
        config: A calibration config (its targets give the moments and precisions).
        truths: Synthetic truths.
        mass: Credible mass of the intervals checked.
        progress: Called with one line per truth.
        worker_setup: Run first in each worker process (`Evaluator`).

    Returns:
        The coverage.
    """
    s = config.calibration
    space = SampledSpace.of(s)
    names = space.names
    unit = qmc.LatinHypercube(d=len(names), seed=s.optimiser_seed).random(truths)
    thetas = space.from_unit(unit)
    base = config.run_config()
    covered, ranks = [], []
    for k, theta in enumerate(thetas):
        truth = with_parameters(base, dict(zip(names, theta, strict=True)))
        truth.seed = 900_000 + k
        observed = simulate_moments(truth, s.maturity_observation_year)
        targets = {
            name: Target(
                rounded(observed[i], config.targets[name]),
                precision=config.targets[name].precision,
            )
            for i, name in enumerate(MOMENTS)
            if name in config.targets
        }
        if not all(t.value > 0 for t in targets.values()):
            progress(f"truth {k + 1}/{truths}: a moment is 0 or undefined; skipped")
            continue
        checkpoint = Checkpoint(None, fingerprint("coverage", k))
        evaluator = Evaluator(
            base, names, s.maturity_observation_year, checkpoint, s.workers, worker_setup
        )
        with evaluator as ev:
            single = ev.moments(theta[None, :], s.covariance_seeds)[0]
            likelihood = SyntheticLikelihood.from_single_seeds(
                single, targets, len(s.seeds), s.share_floor, s.debias_precision
            )
            posterior = posterior_over(
                space,
                lambda x: ev.moments(x, s.seeds),
                likelihood,
                s,
                seed=s.optimiser_seed + k,
                progress=lambda _: None,
            )
        low, high = posterior.interval(mass).T
        covered.append((low <= theta) & (theta <= high))
        ranks.append((posterior.draws < theta).mean(axis=0))
        progress(
            f"truth {k + 1}/{truths}: {int(covered[-1].sum())} of {len(names)} intervals "
            f"hold the truth ({posterior.evaluations} likelihood evaluations)"
        )
    return Coverage(names, thetas, np.array(covered), np.array(ranks), mass)
