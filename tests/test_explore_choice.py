"""The explorer's controls as the override strings and the command line of alliance-run."""

import pytest

import experiments.explore.choice as choice_module
from experiments import load_config
from experiments.explore.choice import DEFAULTS, SCENARIOS, STRATEGIES, Choice
from experiments.explore.compute import seed_configs
from simulation.bounds import ConfigError

EVERYTHING = Choice(
    strategy="concentrated",
    budget_eur=2_000_000.0,
    ticket_eur=7_500.5,
    shares=(0.5, 0.25, 0.25),
    engineering_target="small",
    innovation_target="maturity_1_2",
    discounting="green_book",
    parameters="posterior",
    draw=3,
    placebo=True,
    n_seeds=2,
)


def test_the_presets_are_the_config_files():
    assert {"uniform", "none", "concentrated", "small_territories"} <= set(STRATEGIES)
    assert set(SCENARIOS) == {"default", "national"}


def test_defaults_give_no_override_and_a_plain_command():
    assert Choice().overrides() == []
    assert Choice(n_seeds=1).command() == "alliance-run seed=0"
    assert Choice().command() == "alliance-run -m seed=0,1,2,3,4"


def test_every_control_becomes_an_override_alliance_run_accepts():
    assert EVERYTHING.overrides() == [
        "fund/strategy=concentrated",
        "fund.budget_eur=2000000",
        "fund.ticket_eur=7500.5",
        "fund.strategy.shares.engineering=0.5",
        "fund.strategy.shares.innovation=0.25",
        "fund.strategy.shares.structural=0.25",
        "fund.strategy.engineering_target=small",
        "fund.strategy.innovation_target=maturity_1_2",
        "accounting=green_book",
        "calibrated=posterior",
        "draw=3",
        "fund.placebo=true",
    ]
    config = load_config(EVERYTHING.run_overrides(1))
    assert config.seed == 1 and config.fund.placebo and config.fund.ticket_eur == 7500.5
    assert config.fund.strategy.engineering_target == "small"
    assert config.accounting.discount_schedule == "green_book"
    assert EVERYTHING.command().startswith("alliance-run -m seed=0,1 fund/strategy=concentrated")


def test_seed_configs_equal_composing_each_seed_on_the_command_line():
    configs = seed_configs(EVERYTHING.with_changes(n_seeds=3))
    assert [c.seed for c in configs] == [0, 1, 2]
    for config in configs:
        assert config == load_config(EVERYTHING.run_overrides(config.seed))


def test_an_invalid_combination_is_refused_with_the_projects_message():
    with pytest.raises(ConfigError, match="shares"):
        seed_configs(Choice(shares=(0.5, 0.5, 0.5)))


def test_configs_compose_from_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        configs = list(pool.map(lambda seed: load_config([f"seed={seed}"]), range(8)))
    assert [c.seed for c in configs] == list(range(8))


def test_every_strategy_is_composed_ahead_and_edits_to_configs_compose_afresh(monkeypatch):
    from experiments.explore import compute

    base = Choice(n_seeds=1, budget_eur=1_234_567.0)
    compute.warm_compositions(base)
    hits = compute._composed.cache_info().hits
    compute.seed_configs(base.with_changes(strategy="structural_only"))
    assert compute._composed.cache_info().hits == hits + 1  # no new composition
    assert compute.configs_fingerprint() == compute.configs_fingerprint()
    # A file under configs/ changed (its modification time moved): compose again.
    monkeypatch.setattr(compute, "configs_fingerprint", lambda: "edited")
    misses = compute._composed.cache_info().misses
    compute.seed_configs(base.with_changes(strategy="structural_only"))
    assert compute._composed.cache_info().misses == misses + 1


def test_the_controls_defaults_are_the_config_trees(tmp_path, monkeypatch):
    assert DEFAULTS == {
        "fund/strategy": "uniform",
        "scenario": "default",
        "accounting": "default",
        "calibrated": "default",
    }
    # Read from the defaults lists, so an edit of a YAML default moves them.
    (tmp_path / "fund").mkdir()
    (tmp_path / "config.yaml").write_text("defaults:\n  - fund: base\n  - _self_\n")
    (tmp_path / "fund" / "base.yaml").write_text("defaults:\n  - strategy: concentrated\n")
    monkeypatch.setattr(choice_module, "CONFIG_DIR", str(tmp_path))
    assert choice_module.default_option("fund/strategy") == "concentrated"
    with pytest.raises(KeyError, match="'scenario' has no default"):
        choice_module.default_option("scenario")
