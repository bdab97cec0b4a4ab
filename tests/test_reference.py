"""The vectorised model against the per-agent reference: same world, same numbers."""

import numpy as np
import pytest

from simulation.model import AllianceModel
from simulation.reference import ReferenceModel

from .conftest import small_config


@pytest.fixture(
    scope="module",
    params=[
        (0, 0.0, False, False, False),
        (1, 0.3, False, False, False),
        (2, 0.0, True, False, False),
        (3, 0.3, False, True, False),
        (4, 0.0, False, True, True),
    ],
    ids=[
        "seed0",
        "seed1-persistence",
        "seed2-placebo",
        "seed3-shared-capacity",
        "seed4-profiles-relief-reach",
    ],
)
def pair(request):
    seed, persistence, placebo, busy, issue25 = request.param
    config = small_config(seed=seed, budget_eur=2e6)
    config.scenario.n_organisations = 600
    config.accounting.value_persistence_per_step = persistence
    config.fund.placebo = placebo
    if busy:  # pillars shared between concurrent projects, and a project capacity
        config.model.production.shared_pillars = True
        config.model.emergence.project_capacity = 3.0
    if issue25:  # the profile term, fragility relief and a cap of tickets per territory
        config.model.emergence.ally_profile_weight = 1.5
        config.model.fragility.relief_rate = 0.3
        config.model.fragility.relief_half_saturation_eur_per_organisation = 20.0
        config.fund.max_tickets_per_territory = 2
    return AllianceModel(config).run(), ReferenceModel(config).run()


def test_both_implementations_start_the_same_projects(pair):
    fast, reference = pair
    p = fast.projects
    assert p.size == len(reference.projects) > 100
    np.testing.assert_array_equal(p.column("lead"), [r.lead for r in reference.projects])
    np.testing.assert_array_equal(p.column("birth"), [r.birth for r in reference.projects])
    members = [sorted(m for m in row if m >= 0) for row in p.members[: p.size]]
    assert members == [sorted(r.members) for r in reference.projects]
    assert p.column("alliance").sum() > 20


@pytest.mark.parametrize(
    "column",
    [
        "quality",
        "diversification",
        "own_eur",
        "mobilised_eur",
        "value_per_eur",
        "setup_eur",
        "death",
        "backed",
        "deployed",
        "diversification_granted",
        "value_pv",
        "resources_pv",
        "private_pv",
        "mobilised_pv",
        "fund_pv",
    ],
)
def test_project_outcomes_agree(pair, column):
    fast, reference = pair
    expected = np.array([getattr(r, column) for r in reference.projects])
    np.testing.assert_allclose(fast.projects.column(column), expected, rtol=1e-10, atol=1e-9)


def test_time_series_agree(pair):
    fast, reference = pair
    for name in (
        "value_eur",
        "resources_eur",
        "active_projects",
        "active_alliances",
        "value_by_profile_eur",
        "starts_forgone",
    ):
        expected = np.array([getattr(r, name) for r in reference.records])
        np.testing.assert_allclose(getattr(fast.recorder, name), expected, rtol=1e-10, err_msg=name)
    if fast.config.model.emergence.project_capacity > 0:
        assert fast.recorder.starts_forgone.sum() > 0
    spending = np.array([r.fund_spending_eur for r in reference.records])
    np.testing.assert_allclose(fast.recorder.fund_spending_eur, spending, rtol=1e-12)
    np.testing.assert_allclose(fast.territories.trust, reference.territories.trust, rtol=1e-12)
    np.testing.assert_array_equal(fast.territories.maturity, reference.territories.maturity)
    p = fast.projects
    for row, project in enumerate(reference.projects):
        present = p.members[row] >= 0
        fast_shares = dict(zip(p.members[row][present], p.member_share[row][present], strict=True))
        expected = dict(zip(project.members, project.member_share, strict=True))
        assert fast_shares == pytest.approx(expected, rel=1e-10)
    capital = [o.capital for o in reference.organisations]
    np.testing.assert_allclose(fast.population.capital, capital, rtol=1e-10, atol=1e-12)
    assert fast.projects.column("backed").sum() > 0


def test_fragilities_and_their_relief_agree(pair):
    fast, reference = pair
    np.testing.assert_allclose(
        fast.territories.fragility, reference.territories.fragility, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        fast.territories.alliance_relief,
        reference.territories.alliance_relief,
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_array_equal(
        fast.fund.tickets_by_territory, reference.fund.tickets_by_territory
    )
