"""The space the posterior samples: free parameters, then the priors sampled jointly.

A parameter with a `log_uniform` prior is sampled in log coordinates, where its
prior is flat, so one uniform-prior sampler serves every parameter. The fit
(`calibration.fit`) and the coverage check (`calibration.coverage`) both go
through this space, so that a coverage truth is drawn, and its posterior sampled,
exactly as the calibration samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import simulation.libm as libm
from calibration.config import CalibrationSettings, sampled_bounds
from calibration.likelihood import SyntheticLikelihood
from calibration.posterior import Posterior, Progress, likelihood_of, sample_posterior


@dataclass(frozen=True)
class SampledSpace:
    """Names, bounds and coordinates of the sampled parameters.

    Attributes:
        names: Dotted parameter paths in vector order (`sampled_bounds`).
        lower: Lower bounds, in parameter values.
        upper: Upper bounds, in parameter values.
        log_scale: Whether each parameter is sampled on the log scale.
    """

    names: list[str]
    lower: np.ndarray
    upper: np.ndarray
    log_scale: np.ndarray

    @classmethod
    def of(cls, settings: CalibrationSettings) -> SampledSpace:
        """The space of a calibration's settings (joint priors included when on)."""
        bounds = sampled_bounds(settings)
        return cls(
            names=list(bounds),
            lower=np.array([b[0] for b in bounds.values()], dtype=float),
            upper=np.array([b[1] for b in bounds.values()], dtype=float),
            log_scale=np.array([b[2] for b in bounds.values()], dtype=bool),
        )

    def natural(self, z: np.ndarray) -> np.ndarray:
        """Sampled coordinates (log for log-uniform priors) to parameter values."""
        x = np.array(z, dtype=float)
        x[..., self.log_scale] = libm.exp(x[..., self.log_scale])
        return x

    def sampling(self, x: np.ndarray) -> np.ndarray:
        """Parameter values to sampled coordinates (the inverse of `natural`)."""
        z = np.array(x, dtype=float)
        z[..., self.log_scale] = libm.log(z[..., self.log_scale])
        return z

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Points of the unit cube to parameter values, uniform in sampled coordinates.

        Args:
            unit: Shape (..., len(names)), each coordinate in [0, 1].

        Returns:
            Parameter values: a uniform draw of `unit` gives a draw from the prior.
        """
        low, high = self.sampling(self.lower), self.sampling(self.upper)
        return self.natural(low + np.asarray(unit, dtype=float) * (high - low))


def posterior_over(
    space: SampledSpace,
    moments_of: Callable[[np.ndarray], np.ndarray],
    likelihood: SyntheticLikelihood,
    settings: CalibrationSettings,
    seed: int,
    progress: Progress,
) -> Posterior:
    """Sample the posterior over `space` with a calibration's sampler settings.

    The sampler works in sampled coordinates (flat priors); the draws come back
    in parameter values.

    Args:
        space: The sampled parameters.
        moments_of: Parameter values (n, p) -> moments over the replicate seeds
            (n, seeds, moments).
        likelihood: The synthetic likelihood.
        settings: Particles, moves, moved times, draws and share floor.
        seed: Seed of the sampler's own random choices.
        progress: Called with one line per stage.

    Returns:
        The posterior, draws in parameter values.
    """
    posterior = sample_posterior(
        likelihood_of(lambda z: moments_of(space.natural(z)), likelihood, settings.share_floor),
        space.sampling(space.lower),
        space.sampling(space.upper),
        space.names,
        particles=settings.posterior_particles,
        moves=settings.posterior_moves,
        moved_times=settings.posterior_moved_times,
        seed=seed,
        progress=progress,
        draws=settings.posterior_draws,
    )
    posterior.draws = space.natural(posterior.draws)
    return posterior
