import dataclasses
import math
import re
from pathlib import Path

import pytest
import yaml

from simulation.config import (
    ConfigError,
    FundConfig,
    ModelConfig,
    RunConfig,
    ScenarioConfig,
    StrategyConfig,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_default_config_is_valid():
    assert RunConfig().validate() is not None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda c: setattr(c.fund, "budget_eur", -1.0), "fund.budget_eur"),
        (
            lambda c: c.fund.strategy.shares.update(engineering=0.9),
            "fund.strategy.shares",
        ),
        (lambda c: setattr(c.fund.strategy, "engineering_target", "big"), "engineering_target"),
        (lambda c: setattr(c.scenario, "size_class_shares", [0.5, 0.5, 0.5]), "size_class"),
        (lambda c: setattr(c.model.survival, "base_hazard", -0.1), "survival.base_hazard"),
        (lambda c: setattr(c.model.quality, "weight_trust", 0.9), "model.quality"),
        (lambda c: setattr(c.fund, "years", 50.0), "fund.years"),
        (lambda c: setattr(c, "seed", -3), "seed"),
    ],
)
def test_bad_values_name_the_key(change, key):
    config = RunConfig()
    change(config)
    with pytest.raises(ConfigError, match=key) as error:
        config.validate()
    assert "allowed" in str(error.value)


def test_unknown_profile_lists_the_known_ones():
    config = RunConfig()
    config.scenario.profiles["ngo"] = config.scenario.profiles.pop("association")
    with pytest.raises(ConfigError, match=r"profiles\.ngo.*association"):
        config.validate()


def test_strategy_none_may_have_zero_shares():
    zero = {"engineering": 0.0, "innovation": 0.0, "structural": 0.0}
    StrategyConfig(name="none", shares=zero).validate()
    assert not StrategyConfig(name="none", shares=zero).invests


def _assert_same(yaml_value, default, path):
    if isinstance(default, dict):
        assert set(yaml_value) == set(default), path
        for key in default:
            _assert_same(yaml_value[key], default[key], f"{path}.{key}")
    elif isinstance(default, list):
        assert len(yaml_value) == len(default), path
        for i, (a, b) in enumerate(zip(yaml_value, default, strict=True)):
            _assert_same(a, b, f"{path}[{i}]")
    elif isinstance(default, float):
        assert math.isclose(yaml_value, default, rel_tol=1e-12), path
    else:
        assert yaml_value == default, path


@pytest.mark.parametrize(
    ("path", "default"),
    [
        ("scenario/default.yaml", ScenarioConfig()),
        ("model/default.yaml", ModelConfig()),
        ("fund/strategy/uniform.yaml", StrategyConfig()),
    ],
)
def test_yaml_defaults_match_the_dataclasses(path, default):
    """The YAML a user reads and the dataclass a notebook uses must not drift apart."""
    data = yaml.safe_load((CONFIGS / path).read_text())
    expected = dataclasses.asdict(default)
    if path.startswith("fund/strategy"):
        expected.pop("description")
        data.pop("description")
    _assert_same(data, expected, path)


def test_fund_yaml_matches_the_dataclass():
    data = yaml.safe_load((CONFIGS / "fund/default.yaml").read_text())
    data.pop("defaults")
    expected = dataclasses.asdict(FundConfig())
    expected.pop("strategy")
    _assert_same(data, expected, "fund")


@pytest.mark.parametrize("path", sorted((CONFIGS / "fund/strategy").glob("*.yaml")))
def test_every_strategy_yaml_is_valid(path):
    StrategyConfig(**yaml.safe_load(path.read_text())).validate()


@pytest.mark.parametrize("path", sorted((CONFIGS / "fund/strategy").glob("*.yaml")))
def test_a_description_that_counts_territories_counts_the_strategys_own(path):
    # The explorer shows the description to a reader: a number of territories in it
    # must be the strategy's `top_k`, which a most_mature target keeps.
    data = yaml.safe_load(path.read_text())
    counted = re.findall(r"(\d+) most mature territories", data["description"])
    assert counted in ([], [str(data["top_k"])]), (path.name, data["description"])
