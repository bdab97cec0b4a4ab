from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.config import StrategyConfig
from simulation.model import AllianceModel

from .conftest import small_config

STRATEGIES = Path(__file__).resolve().parents[1] / "configs" / "fund" / "strategy"


def strategy(name: str) -> StrategyConfig:
    return StrategyConfig(**yaml.safe_load((STRATEGIES / f"{name}.yaml").read_text()))


@pytest.mark.parametrize("name", sorted(p.stem for p in STRATEGIES.glob("*.yaml")))
@pytest.mark.parametrize("budget", [0.0, 1e5, 1.5e6, 2e7])
def test_spending_never_exceeds_the_budget(name, budget):
    config = small_config(budget_eur=budget, strategy=strategy(name))
    model = AllianceModel(config).run()
    paid = model.recorder.fund_spending_eur.sum()
    assert model.fund.committed_eur <= budget * (1 + 1e-12)
    assert paid <= model.fund.committed_eur * (1 + 1e-12)
    if name == "none" or budget == 0:
        assert paid == 0.0
    # Nothing is paid after the fund period except grants already committed.
    late = model.recorder.fund_spending_eur[model.fund.period_steps + config.fund.grant_steps :]
    assert late.sum() == 0.0


def test_engineering_targets_only_small_territories():
    config = small_config(strategy=strategy("small_territories"))
    model = AllianceModel(config)
    allocation = model.fund.allocate(0)
    small = model.territories.size_class == 0
    assert allocation.engineering_eur[small].min() > 0
    assert allocation.engineering_eur[~small].max() == 0
    assert allocation.structural_eur == 0.0


def test_innovation_grants_go_to_the_best_eligible_alliances():
    config = small_config(budget_eur=3e6)
    model = AllianceModel(config)
    model.run_for(4)
    p = model.projects
    backed = p.column("backed")
    assert backed.any()
    eligible_unbacked = (
        p.column("alliance")
        & ~backed
        & (p.column("death") < 0)
        & (3 - p.column("birth") >= config.fund.proof_of_concept_steps)
    )
    # The fund ran out of tickets before it ran out of better projects.
    if eligible_unbacked.any():
        assert (
            p.column("quality")[backed].min()
            >= p.column("quality")[eligible_unbacked].max() - 1e-12
        )
    assert not (backed & ~p.column("alliance")).any()


def test_maturity_matched_spends_innovation_only_at_levels_three_and_four():
    config = small_config(budget_eur=3e6, strategy=strategy("maturity_matched"))
    model = AllianceModel(config).run()
    p = model.projects
    backed_territories = p.column("territory")[p.column("backed")]
    assert np.isin(
        backed_territories, np.flatnonzero(model.recorder.maturity.max(axis=0) >= 3)
    ).all()


def test_rank_within_counts_earlier_elements_of_each_group():
    from simulation.fund import rank_within

    np.testing.assert_array_equal(rank_within(np.array([3, 1, 3, 3, 1, 0])), [0, 0, 1, 2, 1, 0])
    assert rank_within(np.array([], dtype=np.int64)).size == 0


def test_a_cap_of_tickets_per_territory_spreads_the_fund_over_more_territories():
    def backed_territories(cap):
        config = small_config(seed=1, budget_eur=1e6)
        config.scenario.n_territories = 60
        config.scenario.n_organisations = 3000
        config.fund.max_tickets_per_territory = cap
        model = AllianceModel(config).run()
        p = model.projects
        backed = p.column("backed")
        return model, np.bincount(p.column("territory")[backed], minlength=60)

    _, counts_free = backed_territories(0)
    capped, counts_capped = backed_territories(2)
    assert counts_free.max() > 2
    assert counts_capped.max() <= 2
    np.testing.assert_array_equal(capped.fund.tickets_by_territory, counts_capped)
    assert (counts_capped > 0).sum() > (counts_free > 0).sum()
