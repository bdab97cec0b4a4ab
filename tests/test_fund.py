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
