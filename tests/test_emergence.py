"""The propensity to ally and its profile term (docs/model.md 7.11)."""

import numpy as np
import pytest

from simulation.config import PROFILES, ModelConfig, ScenarioConfig
from simulation.emergence import profile_ally_offset
from simulation.model import AllianceModel

from .conftest import small_config


def test_without_a_weight_the_profile_term_is_zero():
    assert not profile_ally_offset(ScenarioConfig(), ModelConfig()).any()


def test_the_profile_term_follows_the_survey_and_is_centred():
    cfg = ModelConfig()
    cfg.emergence.ally_profile_weight = 1.0
    scenario = ScenarioConfig()
    offset = dict(zip(PROFILES, profile_ally_offset(scenario, cfg), strict=True))
    order = sorted((p for p in PROFILES if p != "academic"), key=offset.get, reverse=True)
    survey_order = ["foundation", "association", "local_authority", "citizen_collective", "company"]
    assert order == survey_order
    assert offset["academic"] == 0.0  # not surveyed: the organisations' mean
    surveyed = [p for p in PROFILES if p != "academic"]
    weights = [scenario.profiles[p].share for p in surveyed]
    assert abs(np.average([offset[p] for p in surveyed], weights=weights)) < 1e-12
    # logit(0.95) - logit(0.58) = 2.62 logit units, times the weight.
    cfg.emergence.ally_profile_weight = 2.0
    doubled = profile_ally_offset(scenario, cfg)
    np.testing.assert_allclose(doubled, 2 * np.array(list(offset.values())))
    gap = np.log(0.95 / 0.05) - np.log(0.58 / 0.42)
    assert offset["foundation"] - offset["company"] == pytest.approx(gap, rel=1e-12)


def allied_share_by_profile(weight: float) -> dict[str, float]:
    config = small_config(seed=3, budget_eur=0.0)
    config.scenario.n_organisations = 3000
    config.model.emergence.ally_profile_weight = weight
    model = AllianceModel(config).run()
    p = model.projects
    alliance = p.column("alliance")
    lead_profile = p.column("profile")
    return {name: alliance[lead_profile == i].mean() for i, name in enumerate(PROFILES)}


def test_the_weight_moves_who_allies_in_the_survey_order():
    flat = allied_share_by_profile(0.0)
    weighted = allied_share_by_profile(2.0)
    for profile in ("foundation", "association"):  # above the organisations' mean
        assert weighted[profile] > flat[profile]
    for profile in ("company", "local_authority", "citizen_collective"):
        assert weighted[profile] < flat[profile]
    assert weighted["academic"] == flat["academic"]  # not surveyed, and the same draws
    assert weighted["foundation"] - weighted["company"] > 0.3
