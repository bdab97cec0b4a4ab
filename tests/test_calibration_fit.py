"""Parameter recovery: the proof that the calibration works.

Moments are simulated at known parameters; the calibration, told only those
moments, must find the parameters again. The fast version fits two parameters on
a small world; `-m slow` runs the full one (every free parameter of the default
calibration, default world).
"""

import dataclasses

import numpy as np
import pytest

from calibration.config import MOMENTS, CalibrationConfig, FreeParameter, Target, with_parameters
from calibration.evaluation import Checkpoint, Evaluator, fingerprint
from calibration.fit import Calibration
from calibration.moments import replicate_moments

from .conftest import small_config


def recovery_config(
    truth: dict[str, float],
    bounds: dict[str, tuple[float, float]],
    base,
    seeds,
    moments_used,
    tolerance=0.02,
    **settings,
) -> CalibrationConfig:
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    config = CalibrationConfig(**fields)
    true_config = with_parameters(base, truth)
    simulated = replicate_moments(true_config, seeds, 2.0).mean(axis=0)
    config.targets = {
        name: Target(
            float(simulated[MOMENTS.index(name)]),
            tolerance,
            source="simulated at known parameters",
        )
        for name in moments_used
    }
    config.calibration.parameters = {p: FreeParameter(*b) for p, b in bounds.items()}
    config.calibration.seeds = seeds
    config.calibration.holdout_seeds = [99]
    config.calibration.maturity_observation_year = 2.0
    for key, value in settings.items():
        setattr(config.calibration, key, value)
    return config.validate()


def test_two_parameters_are_recovered(tmp_path):
    truth = {"model.production.frugality_gain": 3.0, "model.survival.base_hazard": 0.25}
    bounds = {
        "model.production.frugality_gain": (0.0, 8.0),
        "model.survival.base_hazard": (0.05, 0.6),
    }
    config = recovery_config(
        truth,
        bounds,
        small_config(),
        [1, 2, 3],
        ["frugality", "durability"],
        popsize=6,
        maxiter=15,
        posterior_particles=0,
    )
    checkpoint = Checkpoint(tmp_path / "c.json", fingerprint("recovery"))
    with Evaluator(config.run_config(), list(bounds), 2.0, checkpoint, workers=1) as evaluator:
        result = Calibration(config, evaluator, progress=lambda _: None).run(uncertainty=False)
    np.testing.assert_allclose(result.best, list(truth.values()), rtol=0.15)
    assert result.loss < 1.0
    # The moments respond to the parameters that drive them.
    frugality, durability = MOMENTS.index("frugality"), MOMENTS.index("durability")
    assert abs(result.sensitivity[frugality, 0]) > 0.1
    assert abs(result.sensitivity[durability, 1]) > 0.1


@pytest.mark.slow
def test_every_default_free_parameter_is_recovered(tmp_path):
    """The full recovery, default world (about 8 minutes on 2 cores)."""
    import yaml

    from experiments.config.schema import PROJECT_ROOT
    from simulation.config import RunConfig

    settings = yaml.safe_load((PROJECT_ROOT / "configs/calibration/default.yaml").read_text())
    bounds = {p: (b["lower"], b["upper"]) for p, b in settings["parameters"].items()}
    truth = {p: lo + 0.4 * (hi - lo) for p, (lo, hi) in bounds.items()}
    base = RunConfig()
    config = recovery_config(
        truth,
        bounds,
        base,
        settings["seeds"],
        list(MOMENTS),
        popsize=settings["popsize"],
        maxiter=settings["maxiter"],
        posterior_particles=0,
    )
    config.calibration.maturity_observation_year = 4.0
    # The tolerances the real calibration states (the small shares are noisy).
    stated = yaml.safe_load((PROJECT_ROOT / "configs/calibration/targets.yaml").read_text())
    for name, target in config.targets.items():
        target.tolerance = stated[name]["tolerance"]
    checkpoint = Checkpoint(tmp_path / "c.json", fingerprint("full recovery"))
    with Evaluator(config.run_config(), list(bounds), 4.0, checkpoint, workers=-1) as evaluator:
        result = Calibration(config, evaluator, progress=print).run(uncertainty=False)
    assert result.loss < 1.0
    span = np.array([hi - lo for lo, hi in bounds.values()])
    error = dict(
        zip(bounds, np.abs(result.best - np.array(list(truth.values()))) / span, strict=True)
    )
    print("recovery error, share of bound range:", error)
    # Frugality pins its parameter closely. Durability pins the backing hazard
    # factor only loosely since organisations share their pillars (measured: 13 % of
    # its range off; the real calibration misses 3x durability, docs/model.md 9.4).
    assert error["model.production.frugality_gain"] < 0.05, error
    assert error["model.survival.backing_hazard_factor"] < 0.2, error
    # Value per euro of resources is pinned by the SROI anchor, whose stated tolerance
    # is 60 % (published ratios span 2 to 5), and the money scale by the leverage given
    # it: both only loosely (the calibration report marks productivity weakly
    # identified), so a recovery within a third of their ranges is what the stated
    # precision allows.
    for name in ("model.production.productivity", "scenario.money_scale"):
        assert error[name] < 0.34, (name, error[name])
    # The maturity parameters are not: several combinations give the same shares of 81
    # territories within their tolerance (measured: 27-37 % of the range off). The
    # calibration report marks them as weakly identified; this test documents why.


def joint_config(**settings):
    from calibration.config import Prior

    config = CalibrationConfig(
        **{f.name: getattr(small_config(), f.name) for f in dataclasses.fields(small_config())}
    )
    config.calibration.parameters = {"model.production.frugality_gain": FreeParameter(0.0, 8.0)}
    config.calibration.priors = {
        "model.survival.base_hazard": Prior(0.05, 0.6, "uniform"),
        "model.emergence.setup_cost_eur": Prior(50.0, 800.0, "log_uniform"),
    }
    for key, value in settings.items():
        setattr(config.calibration, key, value)
    return config


def test_joint_priors_add_the_uncertain_parameters_to_the_sampled_vector():
    from calibration.config import sampled_bounds

    alone = Calibration(joint_config(joint_priors=False), evaluator=None)
    assert alone.space.names == alone.names == ["model.production.frugality_gain"]
    np.testing.assert_array_equal(alone.full(np.array([[1.0]])), [[1.0]])
    joint = Calibration(joint_config(joint_priors=True), evaluator=None)
    assert (
        joint.space.names
        == list(sampled_bounds(joint.settings))
        == [
            "model.production.frugality_gain",
            "model.survival.base_hazard",
            "model.emergence.setup_cost_eur",
        ]
    )
    # The first stage holds the uncertain parameters at their defaults.
    np.testing.assert_array_equal(joint.full(np.array([[1.0]])), [[1.0, 0.3, 200.0]])
    # A log-uniform prior is sampled in log coordinates, where it is flat.
    z = joint.space.sampling(np.array([1.0, 0.2, 100.0]))
    np.testing.assert_allclose(z, [1.0, 0.2, np.log(100.0)])
    np.testing.assert_allclose(joint.space.natural(z), [1.0, 0.2, 100.0])
    np.testing.assert_allclose(joint.space.sampling(joint.space.lower), [0.0, 0.05, np.log(50.0)])
    # A prior marked joint: false is left to be drawn after the fit.
    config = joint_config(joint_priors=True)
    config.calibration.priors["model.emergence.setup_cost_eur"].joint = False
    assert list(sampled_bounds(config.calibration)) == [
        "model.production.frugality_gain",
        "model.survival.base_hazard",
    ]


@pytest.mark.slow
def test_joint_priors_are_sampled_with_the_free_parameters(tmp_path):
    """With joint priors the moments constrain an uncertain parameter; without, its prior does."""
    from calibration.config import Prior, sampled_bounds

    truth = {"model.production.frugality_gain": 3.0, "model.survival.base_hazard": 0.25}
    config = recovery_config(
        truth,
        {"model.production.frugality_gain": (0.0, 8.0)},
        small_config(),
        [1, 2, 3],
        [m for m in MOMENTS if m != "maturity_4"],  # 0 in this small world
        popsize=5,
        maxiter=6,
        posterior_particles=16,
        posterior_moves=2,
        posterior_draws=0,
        covariance_seeds=list(range(10, 22)),
        joint_priors=True,
    )
    config.targets["maturity_4"] = Target(0.005, 0.5, 0.01)
    config.calibration.priors = {
        "model.survival.base_hazard": Prior(0.05, 0.6, "uniform"),
        "model.emergence.setup_cost_eur": Prior(50.0, 800.0, "log_uniform"),
    }
    config.validate()
    names = list(sampled_bounds(config.calibration))
    assert names == [
        "model.production.frugality_gain",
        "model.survival.base_hazard",
        "model.emergence.setup_cost_eur",
    ]
    checkpoint = Checkpoint(tmp_path / "c.json", fingerprint("joint"))
    with Evaluator(config.run_config(), names, 2.0, checkpoint, workers=1) as evaluator:
        result = Calibration(config, evaluator, progress=lambda _: None).run()
    assert result.names == names
    draws = result.posterior.draws
    assert draws.shape == (16, 3)
    assert ((draws[:, 2] >= 50.0) & (draws[:, 2] <= 800.0)).all()
    # Durability pins the base hazard: the draws gather around the truth, well inside
    # a prior that spans 0.05 to 0.6 (a prior draw lies within 0.1 of 0.25 18 % of the time).
    assert np.mean(np.abs(draws[:, 1] - 0.25) < 0.1) > 0.5
    assert result.j_test.dof == len(MOMENTS) - 1 - 1  # free parameters only
    assert result.sensitivity.shape == (len(MOMENTS), 3)
