"""The method of simulated moments: fit, sensitivity, bootstrap, hold-out check.

Optimiser: `scipy.optimize.differential_evolution`. The loss is a repeatable
function of the parameters (common random numbers over fixed seeds) but not a
smooth one: discrete events (a project starts, a territory moves up a level) make
it piecewise constant at small scales, and there are several moments in tension.
Gradient methods stall on such a surface. Differential evolution is global and
derivative-free. It evaluates a whole population per generation, which spreads
over the cores, and it is deterministic given its seed, which makes the checkpoint
a replay cache. Polishing with L-BFGS-B is off because gradients are meaningless
here.

Uncertainty: a bootstrap over seed sets. Each replicate draws a fresh set of
replicate seeds and perturbs every target within its tolerance (read as a 95 %
interval on the log scale). It then re-fits from the optimum with a few
Gauss-Newton steps on the sensitivity matrix. The spread of the re-fitted
parameters combines simulation noise and the imprecision of the field figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeResult, differential_evolution

from calibration.config import MOMENTS, CalibrationConfig, Target
from calibration.evaluation import Evaluator
from calibration.loss import log_moment, loss

Progress = Callable[[str], None]


@dataclass
class FitResult:
    """What a calibration found.

    Attributes:
        names: Free parameter paths, in vector order.
        best: Best parameter vector.
        loss: Loss at `best` on the fit seeds.
        moments: Moments at `best` per fit seed, shape (seeds, moments).
        holdout_moments: Moments at `best` per hold-out seed.
        generations: Differential evolution generations run.
        evaluations: Distinct (vector, seed) simulations in the checkpoint.
        seconds: Wall time of this session's calibration.
        sensitivity: d log(moment) per full bound range of each parameter,
            shape (moments, parameters).
        bootstrap: Re-fitted vectors, shape (replicates, parameters).
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
    bootstrap: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))


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

    def loss_of(
        self, thetas: np.ndarray, seeds: list[int], targets: dict[str, Target]
    ) -> np.ndarray:
        """Loss of each vector: moments averaged over seeds, then compared to targets."""
        moments = self.evaluator.moments(thetas, seeds).mean(axis=1)
        return np.array([loss(m, targets, self.settings.share_floor) for m in moments])

    def fit(self) -> OptimizeResult:
        """Differential evolution from the bounds; resumes from the checkpoint."""
        s = self.settings
        start = time.perf_counter()
        generation = 0

        def batch_map(function: Callable, population: object) -> list[float]:
            thetas = np.array(list(population))
            losses = self.loss_of(thetas, s.seeds, self.config.targets)
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
            lambda theta: float(self.loss_of(theta[None, :], s.seeds, self.config.targets)[0]),
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
        """Change of each log moment per full bound range of each parameter.

        Central differences at `best` (clipped to the bounds) on the fit seeds.

        Returns:
            Shape (moments, parameters).
        """
        span = self.upper - self.lower
        step = self.settings.sensitivity_step * span
        points = []
        for j in range(best.size):
            for sign in (1.0, -1.0):
                theta = best.copy()
                theta[j] = np.clip(best[j] + sign * step[j], self.lower[j], self.upper[j])
                points.append(theta)
        moments = self.evaluator.moments(np.array(points), self.settings.seeds).mean(axis=1)
        logs = np.log(np.maximum(moments, self.settings.share_floor))
        out = np.empty((len(MOMENTS), best.size))
        for j in range(best.size):
            width = (points[2 * j][j] - points[2 * j + 1][j]) / span[j]
            out[:, j] = (logs[2 * j] - logs[2 * j + 1]) / width
        return out

    def bootstrap(self, best: np.ndarray, sensitivity: np.ndarray) -> np.ndarray:
        """Re-fits on fresh seed sets with targets perturbed within their tolerance.

        Each re-fit takes Gauss-Newton steps from the optimum with the sensitivity
        matrix at the optimum: a least-squares step on the tolerance-scaled
        log-residuals, in units of the bound ranges, clipped to the bounds. A
        direction no moment responds to gets no step (minimum-norm solution), so
        such a parameter shows up in the sensitivity verdict, not as a spread.

        Args:
            best: The optimum.
            sensitivity: d log(moment) per full bound range at the optimum.

        Returns:
            Re-fitted vectors, shape (replicates, parameters).
        """
        s = self.settings
        span = self.upper - self.lower
        targeted = [k for k, name in enumerate(MOMENTS) if name in self.config.targets]
        scale = np.array([np.log1p(self.config.targets[MOMENTS[k]].tolerance) for k in targeted])
        jacobian = sensitivity[targeted] / scale[:, None]
        n_seeds = len(s.seeds)
        refits = []
        for b in range(s.bootstrap_replicates):
            rng = np.random.default_rng([s.optimiser_seed, b])
            seeds = [10_000 + b * n_seeds + i for i in range(n_seeds)]
            log_targets = np.array(
                [
                    log_moment(self.config.targets[MOMENTS[k]].value, MOMENTS[k], s.share_floor)
                    + rng.normal(0.0, np.log1p(self.config.targets[MOMENTS[k]].tolerance) / 1.96)
                    for k in targeted
                ]
            )
            theta = best.copy()
            for _ in range(s.bootstrap_steps):
                moments = self.evaluator.moments(theta[None, :], seeds).mean(axis=1)[0]
                logs = np.array(
                    [log_moment(moments[k], MOMENTS[k], s.share_floor) for k in targeted]
                )
                step, *_ = np.linalg.lstsq(jacobian, (log_targets - logs) / scale, rcond=1e-6)
                theta = np.clip(theta + step * span, self.lower, self.upper)
            refits.append(theta)
            self.progress(f"bootstrap {b + 1}/{s.bootstrap_replicates} done")
        return np.array(refits)

    def run(self, uncertainty: bool = True) -> FitResult:
        """Fit, then sensitivity, bootstrap and hold-out moments at the optimum.

        Args:
            uncertainty: Whether to run the bootstrap (the slowest stage).

        Returns:
            The result.
        """
        start = time.perf_counter()
        result = self.fit()
        best = np.asarray(result.x)
        self.progress(f"fit done: loss {result.fun:.4f}; sensitivity at the optimum")
        sensitivity = self.sensitivity(best)
        bootstrap = self.bootstrap(best, sensitivity) if uncertainty else np.empty((0, best.size))
        s = self.settings
        return FitResult(
            names=self.names,
            best=best,
            loss=float(result.fun),
            moments=self.evaluator.moments(best[None, :], s.seeds)[0],
            holdout_moments=self.evaluator.moments(best[None, :], s.holdout_seeds)[0],
            generations=result.generations,
            evaluations=len(self.evaluator.checkpoint.evaluations),
            seconds=time.perf_counter() - start,
            sensitivity=sensitivity,
            bootstrap=bootstrap,
        )
