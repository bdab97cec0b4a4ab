import pytest

from calibration.config import CalibrationConfig, FreeParameter, Target, with_parameters
from simulation.config import ConfigError


def config(**parameters) -> CalibrationConfig:
    c = CalibrationConfig()
    c.calibration.parameters = parameters or {
        "model.production.frugality_gain": FreeParameter(0.0, 5.0)
    }
    return c


def test_a_valid_calibration_config_passes():
    config().validate()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.targets.update(happiness=Target(1.0, 0.1)), "targets.happiness"),
        (lambda c: c.targets.update(frugality=Target(-2.0, 0.1)), "targets.frugality"),
        (lambda c: setattr(c.calibration, "holdout_seeds", [1000]), "calibration.seeds"),
        (lambda c: setattr(c.calibration, "maturity_observation_year", 40.0), "observation_year"),
        (lambda c: setattr(c.calibration, "popsize", 0), "calibration.popsize"),
    ],
)
def test_bad_calibration_settings_name_the_key(change, match):
    c = config()
    change(c)
    with pytest.raises(ConfigError, match=match):
        c.validate()


def test_unknown_parameter_path_is_refused():
    with pytest.raises(ConfigError, match=r"model\.production\.magic"):
        config(**{"model.production.magic": FreeParameter(0.0, 1.0)}).validate()


def test_inverted_bounds_are_refused():
    with pytest.raises(ConfigError, match="bounds"):
        config(**{"model.survival.base_hazard": FreeParameter(0.5, 0.1)}).validate()


def test_with_parameters_copies():
    base = config()
    changed = with_parameters(base.run_config(), {"model.survival.base_hazard": 0.42})
    assert changed.model.survival.base_hazard == 0.42
    assert base.model.survival.base_hazard != 0.42
