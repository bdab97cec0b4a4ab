"""Organisations' capacity: shared pillars and the starts a busy organisation forgoes."""

import dataclasses

import numpy as np
import pytest

from simulation.capacity import (
    free_capacity,
    memberships,
    shared_resources,
    solo_own_resources,
)
from simulation.model import AllianceModel
from simulation.population import sum_components
from simulation.run import run

from .conftest import small_config


def busy_config(seed: int = 0, **fund_changes):
    config = small_config(seed=seed, **fund_changes)
    config.model.production.shared_pillars = True
    config.model.emergence.project_capacity = 3.0
    return config


def test_free_capacity():
    load = np.array([0, 1, 3, 5])
    np.testing.assert_allclose(free_capacity(load, 3.0), [1.0, 2 / 3, 0.0, 0.0])
    np.testing.assert_array_equal(free_capacity(load, 0.0), [1.0, 1.0, 1.0, 1.0])


def test_an_organisation_in_two_projects_brings_half_to_each():
    pillars = np.array([[100.0, 0.0, 0.0, 0.0, 40.0], [10.0, 10.0, 0.0, 0.0, 0.0]])
    members = np.array([[0, -1], [0, 1]])
    load = memberships(members, 2)
    np.testing.assert_array_equal(load, [2, 1])
    own, mobilised, shares = shared_resources(members, np.array([0.0, 0.5]), load, pillars, 1.0)
    np.testing.assert_allclose(own, [50.0, 50.0 + 20.0])
    np.testing.assert_allclose(mobilised, [0.0, 0.5 * 40.0 / 2])
    np.testing.assert_allclose(shares, [[1.0, 0.0], [60 / 80, 20 / 80]])


@pytest.mark.parametrize("steps", [5, 12])
def test_shared_pillars_never_commit_more_than_an_organisation_has(steps):
    model = AllianceModel(busy_config(seed=2))
    model.run_for(steps)
    model._share_pillars()  # loads as they stand now that this step's ended projects left
    active = model._active
    members = np.take(model.projects.members, active, axis=0)
    load = memberships(members, model.population.size)
    own_by_org = sum_components(model.population.pillar_eur[:, :4])
    committed = model.projects.own_eur[active].sum()
    assert (load > 1).any()  # some organisations run several projects at once
    np.testing.assert_allclose(committed, own_by_org[load > 0].sum(), rtol=1e-12)


def copied_config(seed: int = 0):
    """The rule of earlier versions: pillars copied into every project, no capacity."""
    config = small_config(seed=seed)
    config.model.production.shared_pillars = False
    config.model.emergence.project_capacity = 0.0
    return config


def test_copied_pillars_commit_more_than_organisations_have():
    """The old rule, for contrast: a busy organisation's pillars count once per project."""
    config = copied_config(seed=2)
    model = AllianceModel(config)
    model.run_for(12)
    members = np.take(model.projects.members, model._active, axis=0)
    load = memberships(members, model.population.size)
    own_by_org = sum_components(model.population.pillar_eur[:, :4])
    assert model.projects.own_eur[model._active].sum() > 1.05 * own_by_org[load > 0].sum()


def test_a_capacity_forgoes_starts_and_sharing_lowers_resources():
    free = run(copied_config(seed=1))
    busy = run(busy_config(seed=1))
    started = busy.projects_started.sel(world="treated")
    assert int(busy.starts_forgone.sum()) > 0
    assert int(free.starts_forgone.sum()) == 0 == int(free.starts_displaced)
    assert started < free.projects_started.sel(world="treated")
    assert busy.resources_used.sum() < free.resources_used.sum()


def test_zero_budget_gives_identical_worlds_with_busy_organisations():
    data = run(busy_config(seed=3, budget_eur=0.0))
    for name in ("value_created", "resources_used", "starts_forgone", "active_projects"):
        np.testing.assert_array_equal(
            data[name].sel(world="treated"), data[name].sel(world="counterfactual")
        )
    assert int(data.starts_displaced) == 0


def test_displaced_starts_are_the_difference_of_forgone_starts():
    data = run(busy_config(seed=4, budget_eur=3e6))
    forgone = data.starts_forgone.sum(("time", "territory"))
    assert int(data.starts_displaced) == int(
        forgone.sel(world="treated") - forgone.sel(world="counterfactual")
    )


def test_busy_rules_are_on_by_default():
    model = dataclasses.asdict(small_config().model)
    assert model["production"]["shared_pillars"] is True
    assert model["emergence"]["project_capacity"] == 4.0


@pytest.mark.parametrize("steps", [1, 9])
def test_the_kept_load_is_the_members_count_of_the_active_projects(steps):
    model = AllianceModel(busy_config(seed=5, budget_eur=2e6))
    model.run_for(steps)
    members = np.take(model.projects.members, model._active, axis=0)
    np.testing.assert_array_equal(model.load, memberships(members, model.population.size))
    assert model.load.max() > 1


def test_a_solo_project_s_shared_resources_are_its_lead_s_over_its_load():
    """`solo_own_resources` is `shared_resources` of projects without partners, bit for bit."""
    rng = np.random.default_rng(5)
    pillars = rng.lognormal(size=(50, 5)) * 1000.0
    pillars[:5] = 0.0  # organisations that bring nothing
    pillars[5:10, :4] = 0.0  # and some that bring only idle resources
    leads = rng.integers(0, 50, size=200)
    members = np.full((200, 4), -1)
    members[:, 0] = leads
    load = rng.integers(0, 6, size=50)
    own, mobilised, shares = shared_resources(members, np.zeros(200), load, pillars, 0.4)
    np.testing.assert_array_equal(solo_own_resources(leads, load, pillars), own)
    np.testing.assert_array_equal(mobilised, 0.0)
    np.testing.assert_array_equal(shares, np.eye(1, 4).repeat(200, axis=0))


def test_shared_resources_add_the_slots_in_order_however_many():
    """The model's numbers from 8 slots on (max_partners >= 7): slots added one by one."""
    rng = np.random.default_rng(9)
    pillars = rng.lognormal(size=(40, 5)) * 10.0 ** rng.integers(-3, 4, size=(40, 5))
    members = rng.integers(0, 40, size=(3000, 9))
    load = np.bincount(members.ravel(), minlength=40)
    quality = rng.random(3000)
    own, mobilised, _ = shared_resources(members, quality, load, pillars, 0.3)
    brought = pillars[members]
    own_slots = (
        ((brought[:, :, 0] + brought[:, :, 1]) + brought[:, :, 2]) + brought[:, :, 3]
    ) / load[members]
    mobilised_slots = 0.3 * quality[:, None] * brought[:, :, 4] / load[members]
    in_order = own_slots[:, 0].copy()
    mobilised_in_order = mobilised_slots[:, 0].copy()
    for j in range(1, 9):
        in_order = in_order + own_slots[:, j]
        mobilised_in_order = mobilised_in_order + mobilised_slots[:, j]
    np.testing.assert_array_equal(own, in_order)
    np.testing.assert_array_equal(mobilised, mobilised_in_order)
