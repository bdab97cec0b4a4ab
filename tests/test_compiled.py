"""The compiled kernels give the numpy path's numbers, bit for bit; `kernel.select` chooses them.

`tests/test_fingerprint.py` runs every fingerprinted case on both kernels. Here:
the mechanisms and shapes those cases leave out (one and eight partners, so that
numpy's pairwise sums of more than eight and sixteen terms are exercised; no
shared pillars; no project capacity; one candidate; value persisting after a
project ends, which ended projects add to the recorded flows; the profile term and
fragility relief of the candidate calibration), each run on both kernels and
compared whole; then the choice of kernel.
"""

import copy
import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from experiments.config.schema import load_config
from experiments.process.startup import warm_kernels
from simulation import compiled, emergence, kernel, landmarks, run
from simulation.model import AllianceModel
from simulation.projects import ProjectTable
from simulation.randomness import RandomStreams, threshold_bits
from simulation.state import Allocation
from simulation.territories import advance_territories

CASES = {
    "one partner": ["model.emergence.max_partners=1", "seed=3"],
    "eight partners, seven candidates": [
        "model.emergence.max_partners=8",
        "model.emergence.partner_candidates=7",
    ],
    "one candidate, no capacity limit": [
        "model.emergence.partner_candidates=1",
        "model.emergence.project_capacity=0",
    ],
    "pillars not shared": ["model.production.shared_pillars=false", "seed=4"],
    "value that persists after a project ends": [
        "accounting.value_persistence_per_step=0.5",
        "seed=6",
    ],
    "calibrated set (profile term, relief)": [
        "calibrated=default",
        "fund/strategy=small_territories",
    ],
}


@pytest.fixture(autouse=True)
def _one_world_at_a_time(monkeypatch):
    monkeypatch.setattr(kernel, "_many_worlds", False)


def _run_on(kernel_name: str, overrides: list[str], monkeypatch) -> xr.Dataset:
    monkeypatch.setenv(kernel.ENVIRONMENT, kernel_name)
    return run(load_config(overrides))


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_kernels_give_numpys_numbers_bit_for_bit(case, monkeypatch):
    numpy_run = _run_on("numpy", CASES[case], monkeypatch)
    compiled_run = _run_on("compiled", CASES[case], monkeypatch)
    xr.testing.assert_identical(numpy_run, compiled_run)


def test_a_worlds_arrays_are_the_same_on_both_kernels(monkeypatch):
    # Beyond the dataset: every project's row, every organisation's and territory's state.
    config = load_config(["model.emergence.max_partners=5", "seed=11"])
    worlds = {}
    for name in ("numpy", "compiled"):
        monkeypatch.setenv(kernel.ENVIRONMENT, name)
        worlds[name] = AllianceModel(config).run()
    assert worlds["numpy"].kernels is None and worlds["compiled"].kernels is compiled
    a, b = worlds["numpy"], worlds["compiled"]
    assert a.projects.size == b.projects.size > 1000
    # Hazards and trust, which a whole run sees only where a draw falls between two values.
    for name in (f.name for f in dataclasses.fields(ProjectTable) if f.name != "size"):
        np.testing.assert_array_equal(a.projects.column(name), b.projects.column(name), name)
    np.testing.assert_array_equal(a.population.capital, b.population.capital)
    assert a.config.model.fragility.relief_rate > 0  # the calibrated set relieves fragilities
    for name in ("fragility", "alliance_relief", "trust", "engineering", "maturity"):
        np.testing.assert_array_equal(
            getattr(a.territories, name), getattr(b.territories, name), name
        )
    np.testing.assert_array_equal(a.load, b.load)
    np.testing.assert_array_equal(a._hazard, b._hazard)


def test_compiled_draws_are_numpys_draws():
    # Keys, steps and slots up to 2^64 wrap alike: large steps and many slots.
    streams = {
        name: RandomStreams(np.random.default_rng(9), kernels)
        for name, kernels in (("numpy", None), ("compiled", compiled))
    }
    entities = np.array([0, 1, 7, 123_456, 2**40], dtype=np.int64)
    for step in (0, 3, 2**33 + 5):
        a, b = streams["numpy"], streams["compiled"]
        np.testing.assert_array_equal(a.bases("partners", step, 41), b.bases("partners", step, 41))
        np.testing.assert_array_equal(
            a.uniforms(("mode", "domain"), step, entities, slot=2),
            b.uniforms(("mode", "domain"), step, entities, slot=2),
        )


def test_the_propensity_to_ally_is_numpys_to_the_bit(monkeypatch):
    # A whole run cannot see a last-bit change of a probability (a draw would have
    # to fall between the two), so the probabilities are compared directly, in a
    # world whose engineering, trust, capital and maturity have moved.
    monkeypatch.setenv(kernel.ENVIRONMENT, "numpy")
    config = load_config(["seed=12"])
    model = AllianceModel(config).run()
    assert model.profile_offset.any()  # the calibrated set's profile term
    leads = np.arange(model.population.size)
    args = (leads, model.population, model.territories, config.model, model.profile_offset)
    np.testing.assert_array_equal(
        emergence.ally_probability(*args), emergence.ally_probability(*args, compiled)
    )


def test_start_probabilities_and_territory_updates_are_numpys_to_the_bit(monkeypatch):
    # As the propensity to ally: compared directly, in a world whose fragility,
    # engineering, trust and maturity have moved, with a grant in every territory.
    monkeypatch.setenv(kernel.ENVIRONMENT, "numpy")
    config = load_config(["seed=13"])
    model = AllianceModel(config).run()
    cfg, territories = config.model, model.territories
    table = emergence.start_probability_table(territories, config.scenario, cfg)
    multiplier = emergence._start_rate_multiplier(config.scenario)
    found, thresholds = compiled.start_table(
        territories.fragility,
        territories.engineering,
        cfg.emergence.base_rate * multiplier,
        cfg.emergence.fragility_effect,
        cfg.emergence.engineering_effect,
    )
    np.testing.assert_array_equal(found, table)
    np.testing.assert_array_equal(thresholds, threshold_bits(table).ravel())

    n = territories.maturity.size
    allocation = Allocation(engineering_eur=np.linspace(0.0, 5e4, n), structural_eur=1e4)
    after = {}
    for name, kernels in (("numpy", None), ("compiled", compiled)):
        state = copy.deepcopy(territories)
        streams = RandomStreams(np.random.default_rng(2), kernels)
        commons = advance_territories(
            state, 0.3, allocation, model.population.territory_count, streams, 5, cfg
        )
        after[name] = (commons, state.engineering, state.maturity)
    assert after["numpy"][0] == after["compiled"][0]
    np.testing.assert_array_equal(after["numpy"][1], after["compiled"][1])
    np.testing.assert_array_equal(after["numpy"][2], after["compiled"][2])
    assert after["numpy"][2].dtype == after["compiled"][2].dtype


def test_new_rows_start_as_numpys_whatever_the_reserve_held():
    # A reserve of garbage: every column a new row does not take from its project
    # must be set by `start_rows` as numpy's path sets it.
    model = AllianceModel(load_config(["seed=2"]))
    model.step()
    new = model.projects  # the first step's projects, as new rows to add again
    rows = np.arange(new.size)
    born = emergence.NewProjects(
        **{f.name: new.column(f.name)[rows] for f in dataclasses.fields(emergence.NewProjects)}
    )
    tables = {}
    for name, kernels in (("numpy", None), ("compiled", compiled)):
        table = ProjectTable.empty(new.members.shape[1], capacity=new.size + 8)
        for f in dataclasses.fields(table):
            if f.name != "size":
                column = getattr(table, f.name)
                column[...] = 7 if column.dtype != np.bool_ else True
        table.add(born, 5, kernels)
        tables[name] = table
    for f in dataclasses.fields(ProjectTable):
        if f.name != "size":
            np.testing.assert_array_equal(
                tables["numpy"].column(f.name), tables["compiled"].column(f.name), f.name
            )
    assert (tables["compiled"].column("death") == -1).all()


def test_auto_compiles_in_a_process_of_many_worlds_only(monkeypatch):
    monkeypatch.delenv(kernel.ENVIRONMENT, raising=False)
    assert kernel.select() is None  # one run: numpy, no numba to import
    assert warm_kernels() is False
    kernel.runs_many_worlds()
    assert kernel.select() is compiled
    assert kernel.select("numpy") is None
    assert warm_kernels() is True
    assert AllianceModel(load_config([])).kernels is compiled


def test_warming_loads_every_kernel_a_world_calls():
    # In a fresh process, so that no other test's world has loaded them first: a
    # kernel left out would be compiled or loaded by a worker's first task.
    script = (
        "from experiments.process.startup import warm_kernels\n"
        "from simulation import compiled\n"
        "assert warm_kernels()\n"
        "kernels = [k for k in vars(compiled).values() if hasattr(k, 'signatures')]\n"
        "print(sorted(k.__name__ for k in kernels if not k.signatures))\n"
    )
    environment = {**os.environ, kernel.ENVIRONMENT: "compiled"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    # Only the helpers that the kernels call inside their own code are never called.
    assert done.stdout.strip() == "['_bits', '_mix', '_numpy_sum', '_shares', '_unit']"


def test_the_environment_chooses_for_the_process(monkeypatch):
    monkeypatch.setenv(kernel.ENVIRONMENT, "compiled")
    assert kernel.select() is compiled
    monkeypatch.setenv(kernel.ENVIRONMENT, " NumPy ")
    kernel.runs_many_worlds()
    assert kernel.select() is None
    monkeypatch.setenv(kernel.ENVIRONMENT, "")
    assert kernel.choice() == "auto"


def test_an_unknown_kernel_is_refused_naming_the_allowed_values(monkeypatch):
    monkeypatch.setenv(kernel.ENVIRONMENT, "fortran")
    with pytest.raises(ValueError, match=r"ALLIANCE_KERNEL='fortran'.*auto, numpy, compiled"):
        kernel.select()
    with pytest.raises(ValueError, match=r"'gpu' is not one of: auto, numpy, compiled"):
        kernel.select("gpu")


def test_compiled_controls_are_numpys_controls_ties_included():
    # Qualities on a grid of 0.01, so that many candidates tie in distance and
    # the stable order decides; more candidates than matches in most rows.
    rng = np.random.default_rng(5)
    projects = ProjectTable.empty(max_members=3)
    rows = projects.add_blank(400)
    projects.quality[rows] = rng.integers(0, 30, 400) / 100
    projects.birth[rows] = rng.integers(0, 12, 400)
    projects.territory[rows] = rng.integers(0, 9, 400)
    size_class = rng.integers(0, 3, 9)
    eligible = np.sort(rng.choice(400, 250, replace=False))
    backed = rng.choice(eligible, 40, replace=False)
    pool = np.setdiff1d(eligible, backed, assume_unique=True)
    expected = landmarks.match_controls(projects, size_class, backed, pool)
    found = compiled.match_controls(
        backed,
        eligible,
        projects.quality,
        projects.birth,
        projects.territory,
        size_class,
        landmarks.MATCHES,
        landmarks.QUALITY_CALIPER,
        landmarks.TERRITORY_PENALTY,
        landmarks.COHORT_WINDOW_STEPS,
    )
    assert (expected[0] >= 0).all(axis=1).mean() > 0.5  # most rows fill every slot
    np.testing.assert_array_equal(found[0], expected[0])
    np.testing.assert_array_equal(found[1], expected[1])
