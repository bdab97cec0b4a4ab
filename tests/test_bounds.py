"""Every numeric key has a declared plausible range, and values outside it are refused.

The property-based tests draw keys and values with hypothesis: invalid values go
through `experiments.load_config` (the command line's own composition); valid
values run a tiny world in Python. `pytest -s` prints how many cases each tried.
"""

import dataclasses
import math
import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration.config import Prior
from experiments import load_config
from experiments.config.schema import load_calibration_config
from simulation import config as config_module
from simulation import run
from simulation.bounds import Bounds, declared_keys
from simulation.config import ConfigError, RunConfig, ScenarioConfig

from .conftest import SMALL_OVERRIDES

KEYS = declared_keys(RunConfig())
RUN = str(Path(sys.executable).parent / "alliance-run")

# Keys whose value is a list or a dict: an override names one item.
LIST_KEYS = {
    "scenario.size_class_shares": 3,
    "scenario.size_class_weights": 3,
    "scenario.initial_maturity_shares": 4,
    "model.engineering.baseline_by_size": 3,
}
DICT_KEYS = {"fund.strategy.shares": ("engineering", "innovation", "structural")}


def item_paths() -> list[tuple[str, str, Bounds, bool]]:
    """(override path, path the error names, bounds, integer) for every numeric item."""
    items = []
    for key, (bounds, integer) in KEYS.items():
        if key in LIST_KEYS:
            items += [(f"{key}.{i}", f"{key}[{i}]", bounds, integer) for i in range(LIST_KEYS[key])]
        elif key in DICT_KEYS:
            items += [(f"{key}.{n}", f"{key}.{n}", bounds, integer) for n in DICT_KEYS[key]]
        else:
            items.append((key, key, bounds, integer))
    return items


ITEMS = item_paths()
COUNTS: dict[str, int] = {"invalid": 0, "valid_run": 0, "valid_refused_by_a_cross_rule": 0}


def test_every_numeric_field_declares_a_range():
    undeclared = []
    for name in dir(config_module):
        cls = getattr(config_module, name)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            hint = hints[field.name]
            numeric = hint in (int, float) or typing.get_args(hint) in ((float,), (str, float))
            if numeric and "bounds" not in field.metadata:
                undeclared.append(f"{cls.__name__}.{field.name}")
    assert not undeclared
    assert len(KEYS) > 100


def test_defaults_presets_and_calibrated_sets_lie_within_the_ranges():
    RunConfig().validate()
    for overrides in ([], ["calibrated=none"], ["scenario=national"], ["calibrated=posterior"]):
        load_config(overrides)
    for strategy in sorted(Path("configs/fund/strategy").glob("*.yaml")):
        load_config([f"fund/strategy={strategy.stem}"])


def test_calibration_priors_and_free_parameters_lie_within_the_ranges():
    config = load_calibration_config()
    for path, prior in config.calibration.priors.items():
        bounds, _ = KEYS[path]
        assert bounds.low <= prior.lower < prior.upper <= bounds.high, path
    config.calibration.priors["model.production.mobilisation"] = Prior(lower=0.3, upper=1.5)
    with pytest.raises(ConfigError, match=r"model\.production\.mobilisation.*plausible range"):
        config.validate()


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("fund.budget_eur=inf", "fund.budget_eur"),
        ("fund.budget_eur=1e18", "fund.budget_eur"),
        ("fund.budget_eur=nan", "fund.budget_eur"),
        ("model.production.mobilisation=1.5", "model.production.mobilisation"),
        ("scenario.n_territories=1", "scenario.n_territories"),
        ("scenario.n_organisations=30", "scenario.n_organisations"),
    ],
)
def test_the_command_line_refuses_implausible_values_before_any_work(tmp_path, override, key):
    result = subprocess.run(
        [RUN, *SMALL_OVERRIDES, override, f"hydra.run.dir={tmp_path}/run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "allowed:" in lines[0], lines
    assert override.split("=")[1] in lines[0].replace("1e+18", "1e18")
    assert not any(tmp_path.iterdir())


def invalid_values(bounds: Bounds, integer: bool) -> st.SearchStrategy[str]:
    """Override values the key must refuse: not finite, out of range, wrong type."""
    below = bounds.low - max(1.0, abs(bounds.low))
    above = bounds.high + max(1.0, abs(bounds.high))
    choices = [
        "nan",
        "inf",
        "-inf",
        repr(int(below) if integer else below),
        repr(int(above) if integer else above),
        "1e300",
        "'many'",
        "[1,2]",
    ]
    if integer:
        choices.append(repr(bounds.low + 0.5))
    return st.sampled_from(choices)


@st.composite
def invalid_overrides(draw) -> tuple[str, str]:
    path, named, bounds, integer = draw(st.sampled_from(ITEMS))
    value = draw(invalid_values(bounds, integer))
    plus = draw(st.booleans()) and path in KEYS  # `+key=` on a key that exists
    return f"{'+' if plus else ''}{path}={value}", named


@settings(
    max_examples=100, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(invalid_overrides())
def test_any_invalid_value_of_any_key_is_refused_naming_the_key(case):
    override, named = case
    COUNTS["invalid"] += 1
    with pytest.raises(ConfigError) as error:
        load_config([override])
    assert named in str(error.value) or f"full_key: {named}" in str(error.value), error.value


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    st.sampled_from(ITEMS),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8),
    st.booleans(),
)
def test_any_unknown_key_is_refused_with_or_without_plus(item, suffix, plus):
    path = item[0].rsplit(".", 1)[0] if item[0] not in KEYS else item[0]
    unknown = f"{path}_{suffix}" if path in KEYS else f"{path}.{suffix}_x"
    COUNTS["invalid"] += 1
    with pytest.raises(ConfigError, match=r"is not a key|Could not override|not in struct"):
        load_config([f"{'+' if plus else ''}{unknown}=1"])


# A tiny world for the valid draws; the size keys are drawn within it, not up to
# their full range (a world of 2 million organisations would take minutes).
TINY = {
    "scenario.n_territories": (2, 6),
    "scenario.n_organisations": (60, 400),
    "scenario.years": (1, 4),
    "scenario.steps_per_year": (1, 6),
    "scenario.n_domains": (1, 30),
    "trust.success_age_steps": (1, 20),
    "fund.grant_steps": (1, 12),
    "fund.proof_of_concept_steps": (0, 12),
    "fund.strategy.top_k": (1, 8),
}
SHARE_KEYS = {
    "scenario.size_class_shares",
    "scenario.initial_maturity_shares",
    "fund.strategy.shares",
}
PROFILE_SHARES = [f"scenario.profiles.{p}.share" for p in config_module.PROFILES]
HORIZON_KEYS = {"fund.years", "accounting.rmst_horizon_years"}


def tiny_config() -> RunConfig:
    config = RunConfig(scenario=ScenarioConfig(n_territories=4, n_organisations=300, years=3))
    config.fund.years = 1.0
    config.accounting.rmst_horizon_years = 2.0
    return config


def set_path(config: RunConfig, path: str, value: object) -> None:
    *parents, name = path.split(".")
    node = config
    for part in parents:
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    if isinstance(node, dict):
        node[name] = value
    else:
        setattr(node, name, value)


@st.composite
def valid_changes(draw) -> dict[str, object]:
    """A few keys, each with a value drawn from its documented range."""
    keys = draw(st.lists(st.sampled_from(sorted(KEYS)), min_size=1, max_size=6, unique=True))
    changes: dict[str, object] = {}
    years = draw(st.integers(*TINY["scenario.years"]))
    for key in keys:
        bounds, integer = KEYS[key]
        short = key.removeprefix("model.")
        if key in SHARE_KEYS or key in PROFILE_SHARES:
            target = "scenario.profiles.*.share" if key in PROFILE_SHARES else key
            n = {"scenario.profiles.*.share": 6, "fund.strategy.shares": 3}.get(
                target, LIST_KEYS.get(key)
            )
            raw = draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n))
            changes[target] = [x / sum(raw) for x in raw]
        elif key in LIST_KEYS:
            n = LIST_KEYS[key]
            changes[key] = draw(
                st.lists(st.floats(bounds.low, bounds.high), min_size=n, max_size=n)
            )
        elif short in TINY or key in TINY:
            changes[key] = draw(st.integers(*TINY.get(key, TINY.get(short))))
        elif key in HORIZON_KEYS:
            changes[key] = draw(st.floats(bounds.low, float(years)))
        elif integer:
            changes[key] = draw(st.integers(int(bounds.low), int(min(bounds.high, 2**62))))
        else:
            changes[key] = draw(st.floats(bounds.low, bounds.high))
    changes["scenario.years"] = changes.get("scenario.years", years)
    return changes


def apply(changes: dict[str, object]) -> RunConfig:
    config = tiny_config()
    for key, value in changes.items():
        if key == "scenario.profiles.*.share":
            for profile, share in zip(config_module.PROFILES, value, strict=True):
                config.scenario.profiles[profile].share = share
        elif key == "fund.strategy.shares":
            config.fund.strategy.shares = dict(zip(config_module.INSTRUMENTS, value, strict=True))
        else:
            set_path(config, key, value)
    horizon = config.scenario.years
    config.fund.years = min(config.fund.years, horizon)
    config.accounting.rmst_horizon_years = min(config.accounting.rmst_horizon_years, horizon)
    return config


# Rules that tie keys together; a draw inside every range may still break one.
CROSS_RULES = ("quality", "n_organisations", "within the horizon", "sum to 1")


@settings(
    max_examples=80, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(valid_changes())
def test_values_drawn_from_the_documented_ranges_run_on_a_tiny_world(changes):
    config = apply(changes)
    try:
        config.validate()
    except ConfigError as error:
        assert any(rule in str(error) for rule in CROSS_RULES), error
        COUNTS["valid_refused_by_a_cross_rule"] += 1
        return
    ds = run(config)
    COUNTS["valid_run"] += 1
    assert np.isfinite(ds.fund_budget.values).all()
    if config.fund.budget_eur > 0:  # a share of nothing is NaN, by definition
        assert 0 <= float(ds.budget_paid_share) <= 1 + 1e-9
    assert math.isfinite(float(ds.attrs["seed"]))


def test_zz_report_how_many_cases_were_tried(capsys):
    with capsys.disabled():
        print(f"\nproperty-based cases tried: {COUNTS}")
