"""The calibration: simulated-moments fit, posterior, J test, sensitivity, hold-out check.

Optimiser: `scipy.optimize.differential_evolution`. The loss is a repeatable
function of the parameters (common random numbers over fixed seeds) but not a
smooth one: discrete events (a project starts, a territory moves up a level) make
it piecewise constant at small scales, and there are several moments in tension.
Gradient methods stall on such a surface. Differential evolution is global and
derivative-free. It evaluates a whole population per generation, which spreads
over the cores, and it is deterministic given its seed, which makes the checkpoint
a replay cache. Polishing with L-BFGS-B is off because gradients are meaningless
here.

The fit is the first stage: its optimum is the reference point where the
likelihood's covariance is measured (single-seed moments). The second stage is
the posterior (`posterior`: tempered SMC on the synthetic likelihood of
`likelihood`), whose mode (its draw of highest likelihood; the prior is flat) is
the calibrated set. The default set's job is to reproduce the field's figures,
and the posterior is wide and skewed (the figures are rounded to whole numbers):
its mean can sit where no single parameter set reproduces them. The report shows
the moments at the mean beside those at the mode (`mean_moments`). The
uncertainty is carried by the draws (`calibrated=posterior draw=N`), not by the
default. Hansen's J test, the
local sensitivity matrix and the hold-out moments are taken at the mode.

With `joint_priors` the posterior samples the uncertain parameters with the free
ones, each from its own prior (uniform, or uniform in log for a `log_uniform`
prior: the sampler works in log coordinates there, so its prior stays flat), and
the calibrated set is the mode of the joint posterior. The first stage still fits
the free parameters only, with the uncertain ones at their defaults, and the J
test counts the free parameters only: the uncertain ones are held by their priors,
not estimated, which makes the test conservative in their favour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeResult, differential_evolution

import simulation.libm as libm
from calibration.config import MOMENTS, CalibrationConfig, Target, get_parameter
from calibration.evaluation import Evaluator
from calibration.likelihood import JTest, SyntheticLikelihood, j_test
from calibration.loss import loss
from calibration.posterior import Posterior
from calibration.space import SampledSpace, posterior_over

Progress = Callable[[str], None]


@dataclass
class FitResult:
    """What a calibration found.

    Attributes:
        names: Sampled parameter paths in vector order: the free ones, then the
            uncertain ones when they are sampled jointly (`joint_priors`).
        best: The calibrated set: the posterior mode, or the simulated-moments
            optimum when the posterior was skipped.
        loss: Loss at `best` on the fit seeds.
        moments: Moments at `best` per fit seed, shape (seeds, moments).
        holdout_moments: Moments at `best` per hold-out seed.
        generations: Differential evolution generations run.
        evaluations: Distinct (vector, seed) simulations in the checkpoint.
        seconds: Wall time of this session's calibration.
        sensitivity: d log(moment) per full bound range of each parameter,
            shape (moments, parameters).
        optimum: The simulated-moments optimum (differential evolution).
        likelihood: The synthetic likelihood (None when the posterior was skipped).
        posterior: Posterior draws (None when skipped).
        j_test: Hansen's J test at `best` (None when the posterior was skipped).
        mean_moments: Moments at the posterior mean, averaged over the fit seeds
            (None when the posterior was skipped).
    """

    names: list[str]
    best: np.ndarray
    loss: float
    moments: np.ndarray
    holdout_moments: np.ndarray
    generations: int
    evaluations: int
    seconds: float
    sensitivity: np.ndarray
    optimum: np.ndarray = field(default_factory=lambda: np.empty(0))
    likelihood: SyntheticLikelihood | None = None
    posterior: Posterior | None = None
    j_test: JTest | None = None
    mean_moments: np.ndarray | None = None


class Calibration:
    """Run the stages of a calibration on an evaluator.

    Args:
        config: Calibration config (validated).
        evaluator: Evaluates moments, with its checkpoint.
        progress: Called with one line of text per generation or stage.
    """

    def __init__(
        self, config: CalibrationConfig, evaluator: Evaluator, progress: Progress = print
    ) -> None:
        self.config = config
        self.settings = config.calibration
        self.evaluator = evaluator
        self.progress = progress
        self.names = list(self.settings.parameters)
        self.lower = np.array([self.settings.parameters[n].lower for n in self.names])
        self.upper = np.array([self.settings.parameters[n].upper for n in self.names])
        self.space = SampledSpace.of(self.settings)
        # The uncertain parameters' defaults, where the first stage holds them.
        self.held = np.array(
            [float(get_parameter(config, n)) for n in self.space.names[len(self.names) :]]
        )

    def full(self, thetas: np.ndarray) -> np.ndarray:
        """Vectors of the free parameters, completed with the held ones' defaults."""
        thetas = np.atleast_2d(thetas)
        held = np.broadcast_to(self.held, (thetas.shape[0], self.held.size))
        return np.hstack([thetas, held])

    def loss_of(
        self, thetas: np.ndarray, seeds: list[int], targets: dict[str, Target]
    ) -> np.ndarray:
        """Loss of each vector: moments averaged over seeds, then compared to targets."""
        moments = self.evaluator.moments(self.full(thetas), seeds).mean(axis=1)
        return np.array([loss(m, targets, self.settings.share_floor) for m in moments])

    def fit(self) -> OptimizeResult:
        """Differential evolution from the bounds; resumes from the checkpoint."""
        s = self.settings
        start = time.perf_counter()
        generation = 0

        seeds = s.seeds[: s.optimiser_replicates]

        def batch_map(function: Callable, population: object) -> list[float]:
            thetas = np.array(list(population))
            losses = self.loss_of(thetas, seeds, self.config.targets)
            return list(losses)

        def report(intermediate_result: OptimizeResult) -> None:
            nonlocal generation
            generation += 1
            best = intermediate_result.fun
            self.progress(
                f"generation {generation:3d}/{s.maxiter}  best loss {best:9.4f}  "
                f"simulations {len(self.evaluator.checkpoint.evaluations):6d} "
                f"(new {self.evaluator.new_evaluations})  "
                f"{time.perf_counter() - start:6.0f} s"
            )

        result = differential_evolution(
            lambda theta: float(self.loss_of(theta[None, :], seeds, self.config.targets)[0]),
            bounds=list(zip(self.lower, self.upper, strict=True)),
            popsize=s.popsize,
            maxiter=s.maxiter,
            tol=s.tol,
            seed=s.optimiser_seed,
            init="sobol",
            polish=False,
            updating="deferred",
            workers=batch_map,
            callback=report,
        )
        result.generations = generation
        return result

    def sensitivity(self, best: np.ndarray) -> np.ndarray:
        """Change of each log moment per full bound range of each sampled parameter.

        Central differences at `best` (clipped to the bounds) on the fit seeds.

        Returns:
            Shape (moments, sampled parameters).
        """
        lower, upper = self.space.lower, self.space.upper
        span = upper - lower
        step = self.settings.sensitivity_step * span
        points = []
        for j in range(best.size):
            for sign in (1.0, -1.0):
                theta = best.copy()
                theta[j] = np.clip(best[j] + sign * step[j], lower[j], upper[j])
                points.append(theta)
        moments = self.evaluator.moments(np.array(points), self.settings.seeds).mean(axis=1)
        logs = libm.log(np.maximum(moments, self.settings.share_floor))
        out = np.empty((len(MOMENTS), best.size))
        for j in range(best.size):
            width = (points[2 * j][j] - points[2 * j + 1][j]) / span[j]
            out[:, j] = (logs[2 * j] - logs[2 * j + 1]) / width
        return out

    def likelihood(self, reference: np.ndarray) -> SyntheticLikelihood:
        """The synthetic likelihood, its covariance measured at `reference`.

        Args:
            reference: The parameter vector where single-seed moments are simulated.

        Returns:
            The likelihood of the targets.
        """
        s = self.settings
        single = self.evaluator.moments(reference[None, :], s.covariance_seeds)[0]
        return SyntheticLikelihood.from_single_seeds(
            single, self.config.targets, len(s.seeds), s.share_floor, s.debias_precision
        )

    def posterior(self, likelihood: SyntheticLikelihood) -> Posterior:
        """Tempered SMC from the prior (flat on the sampled box) to the posterior."""
        s = self.settings
        return posterior_over(
            self.space,
            lambda x: self.evaluator.moments(x, s.seeds),
            likelihood,
            s,
            s.optimiser_seed,
            self.progress,
        )

    def run(self, uncertainty: bool = True) -> FitResult:
        """Fit, then the posterior, and at its mode: J test, sensitivity, hold-out moments.

        Args:
            uncertainty: Whether to sample the posterior (the slowest stage); without
                it the calibrated set is the simulated-moments optimum.

        Returns:
            The result.
        """
        start = time.perf_counter()
        result = self.fit()
        optimum = self.full(np.asarray(result.x))[0]
        self.progress(f"fit done: loss {result.fun:.4f}")
        s = self.settings
        likelihood = posterior = test = mean_moments = None
        best = optimum
        if uncertainty:
            likelihood = self.likelihood(optimum)
            self.progress("likelihood covariance measured at the optimum; sampling the posterior")
            posterior = self.posterior(likelihood)
            best = posterior.mode
            mean_moments = self.evaluator.moments(posterior.mean[None, :], s.seeds)[0].mean(0)
        moments = self.evaluator.moments(best[None, :], s.seeds)[0]
        if likelihood is not None:
            test = j_test(likelihood, moments.mean(axis=0), len(self.names), s.share_floor)
        self.progress("sensitivity and hold-out moments at the calibrated set")
        return FitResult(
            names=self.space.names,
            best=best,
            loss=loss(moments.mean(axis=0), self.config.targets, s.share_floor),
            moments=moments,
            holdout_moments=self.evaluator.moments(best[None, :], s.holdout_seeds)[0],
            generations=result.generations,
            evaluations=len(self.evaluator.checkpoint.evaluations),
            seconds=time.perf_counter() - start,
            sensitivity=self.sensitivity(best),
            optimum=optimum,
            likelihood=likelihood,
            posterior=posterior,
            j_test=test,
            mean_moments=mean_moments,
        )
