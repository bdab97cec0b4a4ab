"""Typed configuration of a calibration: free parameters, targets, method settings."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from simulation.bounds import declared_keys
from simulation.config import ConfigError, RunConfig

MOMENTS: tuple[str, ...] = (
    "frugality",
    "durability",
    "leverage",
    "sroi",
    "maturity_1",
    "maturity_2",
    "maturity_3",
    "maturity_4",
)
PRIMARY_MOMENTS: tuple[str, ...] = ("frugality", "durability", "leverage")
# Evidence outside the field's three figures: social value per euro of all resources,
# the ratio SROI studies publish (docs/sources.md, section 3).
ANCHOR_MOMENTS: tuple[str, ...] = ("sroi",)


@dataclass
class Target:
    """One moment the model should reproduce.

    Attributes:
        value: The reported figure.
        tolerance: Relative tolerance: the fit is good when the simulated moment is
            within a factor `1 + tolerance` of `value`.
        precision: The precision the figure is reported to (1 for "2x", 0.01 for
            "63 %"); its rounding error enters the likelihood.
        source: Where the figure comes from.
    """

    value: float = 1.0
    tolerance: float = 0.1
    precision: float = 0.01
    source: str = ""


PRIOR_SHAPES: tuple[str, ...] = ("uniform", "log_uniform")


@dataclass
class FreeParameter:
    """A model parameter the calibration fits, with its search bounds.

    The bounds are also the support of its prior, uniform on them.

    Attributes:
        lower: Lower bound.
        upper: Upper bound.
        drives: The moment(s) MODEL.md ties this parameter to.
    """

    lower: float = 0.0
    upper: float = 1.0
    drives: str = ""


@dataclass
class Prior:
    """A parameter no moment pins down, carried as uncertain with a stated prior.

    Attributes:
        lower: Lower end of its range.
        upper: Upper end of its range.
        shape: `uniform` on [lower, upper], or `log_uniform` (uniform in log,
            for a scale known to within a factor; lower > 0).
        source: Where the range comes from, or "assumption" with the reason.
        joint: Whether the posterior samples it with the free parameters when the
            calibration's `joint_priors` is on; a parameter no moment responds to
            is independent of the data a posteriori, and is better drawn from its
            prior after the fit, as without `joint_priors`.
    """

    lower: float = 0.0
    upper: float = 1.0
    shape: str = "uniform"
    source: str = "assumption"
    joint: bool = True

    def quantile(self, u: float) -> float:
        """The value at quantile `u` in [0, 1] of this prior."""
        if self.shape == "log_uniform":
            return float(self.lower * (self.upper / self.lower) ** u)
        return float(self.lower + (self.upper - self.lower) * u)


def _default_targets() -> dict[str, Target]:
    return {name: Target() for name in MOMENTS}


@dataclass
class CalibrationSettings:
    """How the calibration runs.

    Attributes:
        name: Name of the calibrated set (and of its checkpoint folder).
        parameters: Free parameters by dotted config path (e.g.
            `model.production.frugality_gain`).
        priors: Parameters that move the causal answer but that no moment pins
            down, by dotted path, with their prior; carried as uncertain into
            every run from the posterior.
        seeds: Replicate seeds every likelihood evaluation averages over (common
            random numbers).
        holdout_seeds: Seeds kept out of the fit, to validate it.
        covariance_seeds: Seeds whose single-world moments at the optimum give the
            likelihood's sampling covariance.
        optimiser_replicates: How many of `seeds` the simulated-moments fit uses.
        maturity_observation_year: Year after the start at which maturity shares
            are observed.
        share_floor: Floor on simulated shares before taking logs.
        popsize: Differential evolution population per free parameter.
        maxiter: Differential evolution generations at most.
        tol: Differential evolution relative convergence tolerance.
        optimiser_seed: Seed of the optimiser itself.
        workers: Processes evaluating in parallel (-1: all cores).
        posterior_particles: Particles of the posterior sampler, and its draws (0:
            no posterior; the calibrated set is then the optimum).
        posterior_moves: Most Metropolis steps after each tempering stage.
        posterior_moved_times: Accepted steps that count a particle as moved: the
            steps stop once 90 % have moved this often (or `posterior_moves`).
        posterior_draws: Posterior draws written for `calibrated=posterior`; more
            than the particles are made by resampling and Metropolis moves at the
            posterior.
        debias_precision: Whether the likelihood's sampling covariance is scaled by
            the Hartlap factor, so that its inverse, the precision the posterior
            uses, is unbiased (`calibration.likelihood.hartlap_factor`).
        joint_priors: Whether the posterior samples the uncertain parameters
            (`priors`) jointly with the free ones, each from its prior, so that the
            moments constrain them where they can; otherwise they are drawn from
            their priors after the fit, independently of it.
        sensitivity_step: Central-difference step, as a share of each bound range.
        output: Where the calibrated parameter set is written (relative to the
            project root unless absolute).
        report_dir: Where the Markdown report and its figures are written.
    """

    name: str = "default"
    parameters: dict[str, FreeParameter] = field(default_factory=dict)
    priors: dict[str, Prior] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: list(range(1000, 1020)))
    holdout_seeds: list[int] = field(default_factory=lambda: list(range(2000, 2040)))
    covariance_seeds: list[int] = field(default_factory=lambda: list(range(3000, 3024)))
    optimiser_replicates: int = 6
    maturity_observation_year: float = 4.0
    share_floor: float = 0.005
    popsize: int = 6
    maxiter: int = 25
    tol: float = 0.005
    optimiser_seed: int = 0
    workers: int = -1
    posterior_particles: int = 64
    posterior_moves: int = 3
    posterior_moved_times: int = 1
    posterior_draws: int = 100
    debias_precision: bool = False
    joint_priors: bool = False
    sensitivity_step: float = 0.05
    output: str = "configs/calibrated/default.yaml"
    report_dir: str = "docs/calibration"


def sampled_bounds(settings: CalibrationSettings) -> dict[str, tuple[float, float, bool]]:
    """Every parameter the posterior samples: the free ones, then the joint priors.

    Args:
        settings: The calibration settings.

    Returns:
        By dotted path, in vector order: lower and upper bound, and whether the
        parameter is sampled on the log scale (a `log_uniform` prior).
    """
    bounds = {n: (p.lower, p.upper, False) for n, p in settings.parameters.items()}
    if settings.joint_priors:
        for name, prior in settings.priors.items():
            if prior.joint:
                bounds[name] = (prior.lower, prior.upper, prior.shape == "log_uniform")
    return bounds


@dataclass
class CalibrationConfig(RunConfig):
    """A run configuration plus what to fit and against which targets."""

    targets: dict[str, Target] = field(default_factory=_default_targets)
    calibration: CalibrationSettings = field(default_factory=CalibrationSettings)

    def validate(self) -> CalibrationConfig:
        """Check the model config, the targets and the free parameters.

        Returns:
            This config.
        """
        super().validate()
        unknown = sorted(set(self.targets) - set(MOMENTS))
        if unknown:
            msg = f"invalid config: targets.{unknown[0]}; allowed: {list(MOMENTS)}"
            raise ConfigError(msg)
        for name, target in self.targets.items():
            if not (target.value > 0 and target.tolerance > 0 and target.precision > 0):
                msg = (
                    f"invalid config: targets.{name} = {target.value} (tolerance "
                    f"{target.tolerance}, precision {target.precision}); allowed: positive "
                    "value, tolerance and precision"
                )
                raise ConfigError(msg)
        settings = self.calibration
        check_free_parameters(self, settings.parameters, "calibration.parameters")
        check_priors(self, settings.priors, "calibration.priors")
        shared = sorted(set(settings.parameters) & set(settings.priors))
        if shared:
            msg = (
                f"invalid config: calibration.priors.{shared[0]} is also a free parameter; "
                "allowed: a parameter either fitted or uncertain, not both"
            )
            raise ConfigError(msg)
        groups = (settings.seeds, settings.holdout_seeds, settings.covariance_seeds)
        if len(settings.seeds) < 1 or len(set().union(*groups)) < sum(map(len, groups)):
            msg = (
                f"invalid config: calibration.seeds = {settings.seeds}; allowed: at least one "
                "seed, none shared with calibration.holdout_seeds or covariance_seeds"
            )
            raise ConfigError(msg)
        if settings.posterior_particles and len(settings.covariance_seeds) < 10:
            msg = (
                "invalid config: calibration.covariance_seeds; allowed: at least 10 seeds "
                "(they estimate a covariance of seven moments, and its inverse needs at least ten)"
            )
            raise ConfigError(msg)
        if not 0 < settings.maturity_observation_year <= self.scenario.years:
            msg = (
                "invalid config: calibration.maturity_observation_year = "
                f"{settings.maturity_observation_year}; allowed: within the horizon"
            )
            raise ConfigError(msg)
        for name in (
            "popsize",
            "maxiter",
            "posterior_moves",
            "posterior_moved_times",
            "optimiser_replicates",
        ):
            if getattr(settings, name) < 1:
                msg = f"invalid config: calibration.{name}; allowed: an integer >= 1"
                raise ConfigError(msg)
        return self


def check_free_parameters(
    config: RunConfig, parameters: dict[str, FreeParameter], key: str
) -> None:
    """Check that free parameters name float parameters of `config`, with valid bounds.

    Args:
        config: The run configuration the paths point into.
        parameters: Bounds by dotted parameter path.
        key: Where the parameters sit in the config, for messages.

    Raises:
        ConfigError: No parameter, an unknown path, a non-float parameter or bad bounds.
    """
    if not parameters:
        msg = f"invalid config: {key} is empty; allowed: at least one"
        raise ConfigError(msg)
    for path, bounds in parameters.items():
        current = get_parameter(config, path, key)
        if not (math.isfinite(bounds.lower) and bounds.lower < bounds.upper):
            msg = (
                f"invalid config: {key}.{path} bounds "
                f"[{bounds.lower}, {bounds.upper}]; allowed: finite lower < upper"
            )
            raise ConfigError(msg)
        if not isinstance(current, float):
            msg = f"invalid config: {key}.{path}; allowed: float parameters"
            raise ConfigError(msg)
        check_within_bounds(config, path, bounds.lower, bounds.upper, key)


def check_within_bounds(config: RunConfig, path: str, lower: float, upper: float, key: str) -> None:
    """Refuse a range that leaves the parameter's declared plausible range.

    A calibration or a design would otherwise run the model where its own
    validation refuses to go.

    Args:
        config: The run configuration the path points into.
        path: Dotted path of the parameter.
        lower: Lower end of the range.
        upper: Upper end of the range.
        key: Where the range was given, for the message.

    Raises:
        ConfigError: The range is not inside the declared one.
    """
    declared, _ = declared_keys(config)[path]
    if lower < declared.low or upper > declared.high:
        msg = (
            f"invalid config: {key}.{path} range [{lower}, {upper}]; allowed: within "
            f"the key's plausible range [{declared.low:g}, {declared.high:g}]"
        )
        raise ConfigError(msg)


def check_priors(config: RunConfig, priors: dict[str, Prior], key: str) -> None:
    """Check that priors name float parameters, with a known shape and a valid range.

    Args:
        config: The run configuration the paths point into.
        priors: Priors by dotted parameter path.
        key: Where the priors sit in the config, for messages.

    Raises:
        ConfigError: An unknown path, a non-float parameter, a bad shape or range.
    """
    for path, prior in priors.items():
        if not isinstance(get_parameter(config, path, key), float):
            msg = f"invalid config: {key}.{path}; allowed: float parameters"
            raise ConfigError(msg)
        check_within_bounds(config, path, prior.lower, prior.upper, key)
        if prior.shape not in PRIOR_SHAPES:
            msg = (
                f"invalid config: {key}.{path}.shape = {prior.shape!r}; "
                f"allowed: {list(PRIOR_SHAPES)}"
            )
            raise ConfigError(msg)
        low_ok = prior.lower > 0 if prior.shape == "log_uniform" else math.isfinite(prior.lower)
        if not (low_ok and prior.lower < prior.upper and math.isfinite(prior.upper)):
            msg = (
                f"invalid config: {key}.{path} range [{prior.lower}, {prior.upper}]; "
                "allowed: finite lower < upper (lower > 0 for log_uniform)"
            )
            raise ConfigError(msg)


def get_parameter(config: RunConfig, path: str, key: str = "calibration.parameters") -> object:
    """Read a parameter by dotted path, e.g. `model.survival.base_hazard`.

    Args:
        config: The configuration to read.
        path: Dotted path of the parameter.
        key: Where the path was given, for the message.

    Raises:
        ConfigError: The path names no parameter.
    """
    node: object = config
    for part in path.split("."):
        if not hasattr(node, part):
            msg = f"invalid config: {key}.{path}: no parameter {part!r} there"
            raise ConfigError(msg)
        node = getattr(node, part)
    return node


def with_parameters(config: RunConfig, values: dict[str, float]) -> RunConfig:
    """A copy of `config` with the given parameters set by dotted path.

    Args:
        config: The base configuration (not modified).
        values: New values by dotted path.

    Returns:
        The modified copy.
    """
    changed = copy.deepcopy(config)
    for path, value in values.items():
        *parents, name = path.split(".")
        node = changed
        for part in parents:
            node = getattr(node, part)
        setattr(node, name, float(value))
    return changed
