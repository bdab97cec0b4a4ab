from experiments.summary import summary
from simulation import run

from .conftest import small_config


def test_summary_shows_every_view_measure_and_the_decomposition():
    text = summary(run(small_config(seed=1, budget_eur=5e5)))
    for word in ("observed", "matched", "on backed", "causal", "leverage net", "selection"):
        assert word in text
    assert "WARNING" not in text


def test_summary_warns_when_the_budget_is_not_paid_out():
    config = small_config(seed=1, budget_eur=2e7)
    config.fund.strategy.shares = {"engineering": 0.0, "innovation": 1.0, "structural": 0.0}
    dataset = run(config)
    assert float(dataset.budget_paid_share) < 0.9
    assert "WARNING: only" in summary(dataset)
