"""Three compiled kernels against numpy's path on a national world, and what numba costs a process.

    python benchmarks/compiled_kernels.py  # national world (about 1 minute)

The model runs its hot loops on numba's compiled kernels (`simulation.compiled`)
in processes that run many worlds (`simulation.kernel`). This script asks whether
a single national run should too. On the state of a national world after a few
steps it checks that three kernels give the numpy path's answer and times both
(best of several calls):

- `draws_below`: who starts a project (the keyed hash of every organisation,
  `RandomStreams.draws_below`);
- `choose_partners`: the partners of new alliances (`emergence.choose_partners`);
- `share_pillars`: the resources of the active projects whose members' loads
  changed (`AllianceModel._share_pillars`).

Then the fixed cost a process pays to use them, in fresh processes: numba's
import and the loading of the cached compiled code at their first calls. It
prints a Markdown table and what a national `run()` (two worlds of 40 steps)
would gain, net. docs/performance.md ("A compiled kernel") reports the result.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time

import numba
import numpy as np

from simulation.compiled import choose_partners, draws_below, share_pillars


def best_of(function, repeats: int, prepare=None) -> float:
    """The best wall time of `function()` over `repeats` calls, `prepare()` before each."""
    best = float("inf")
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def national_world(n_organisations: int, steps: int):
    """A world run for `steps` steps on numpy, with a snapshot of its last shared-pillars call.

    Returns:
        The model and the snapshot: the organisations whose load changed and the
        project table's resource columns, as they were before that call.
    """
    from simulation.config import RunConfig, ScenarioConfig
    from simulation.model import AllianceModel

    scenario = ScenarioConfig(
        n_territories=max(81, n_organisations // 1000), n_organisations=n_organisations
    )
    model = AllianceModel(RunConfig(scenario=scenario))
    snapshot = {}
    original = model._share_pillars

    def keep_state() -> None:
        p = model.projects
        snapshot["load_changed"] = model._load_changed.copy()
        for name in ("own_eur", "mobilised_eur", "member_share"):
            snapshot[name] = p.column(name).copy()
        original()

    model._share_pillars = keep_state
    model.run_for(steps)
    del model._share_pillars
    return model, snapshot


def measure_kernels(model, snapshot, repeats: int) -> list[tuple[str, float, float, bool]]:
    """Each kernel against the model's numpy path: (name, numpy s, compiled s, identical)."""
    from simulation.emergence import (
        MIN_PARTNER_WEIGHT,
        ally_probability,
        start_probability_table,
    )
    from simulation.emergence import (
        choose_partners as numpy_partners,
    )
    from simulation.randomness import threshold_bits

    t = round(model.time)  # the next step's index
    population, streams, cfg = model.population, model.streams, model.config.model
    rows = []

    table = start_probability_table(model.territories, model.config.scenario, cfg)
    index = population.territory_profile
    found = np.empty(population.size, dtype=np.int64)

    def compiled_starts() -> np.ndarray:
        thresholds = threshold_bits(table).ravel()
        return found[: draws_below(streams._base("emergence", t), thresholds, index, found)]

    leads = streams.draws_below("emergence", t, table, index)
    rows.append(
        (
            "who starts (`draws_below`, every organisation)",
            best_of(lambda: streams.draws_below("emergence", t, table, index), repeats),
            best_of(compiled_starts, repeats),
            np.array_equal(leads, compiled_starts()),
        )
    )

    u_mode = streams.uniform("mode", t, leads)
    ally = u_mode < ally_probability(
        leads, population, model.territories, cfg, model.profile_offset
    )
    allied = leads[ally]
    em = cfg.emergence

    def compiled_partners() -> np.ndarray:
        bases = streams.bases_of("partners", t, 1 + em.max_partners * (em.partner_candidates + 1))
        return choose_partners(
            allied,
            bases,
            population.territory,
            population.territory_start,
            population.territory_count,
            population.pillar_eur,
            em.partner_candidates,
            MIN_PARTNER_WEIGHT,
        )

    streams.bases_of = lambda mechanism, step, slots: np.array(
        [streams._base(mechanism, step, slot) for slot in range(slots)], dtype=np.uint64
    )
    partners = numpy_partners(allied, t, population, streams, cfg)
    rows.append(
        (
            f"partner choice (`choose_partners`, {allied.size:,} new alliances)",
            best_of(lambda: numpy_partners(allied, t, population, streams, cfg), repeats),
            best_of(compiled_partners, repeats),
            np.array_equal(partners, compiled_partners()),
        )
    )

    p = model.projects
    columns = ("own_eur", "mobilised_eur", "member_share")

    def restore() -> None:
        model._load_changed[:] = snapshot["load_changed"]
        for name in columns:
            p.column(name)[:] = snapshot[name]

    def compiled_pillars() -> None:
        share_pillars(
            model._active,
            p.members,
            p.alliance,
            p.quality,
            model.load,
            model._load_changed,
            population.pillar_eur,
            cfg.production.mobilisation,
            p.own_eur,
            p.mobilised_eur,
            p.member_share,
        )

    restore()
    model._share_pillars()
    expected = {name: p.column(name).copy() for name in columns}
    numpy_time = best_of(model._share_pillars, repeats, restore)
    compiled_time = best_of(compiled_pillars, repeats, restore)
    restore()
    compiled_pillars()
    same = all(np.array_equal(p.column(name), expected[name]) for name in columns)
    changed = int(snapshot["load_changed"].sum())
    rows.append(
        (
            f"shared pillars ({model._active.size:,} active projects, {changed:,} loads changed)",
            numpy_time,
            compiled_time,
            same,
        )
    )
    return rows


_FIRST_CALLS = """
import time
start = time.perf_counter()
import numba
imported = time.perf_counter()
import simulation.compiled as k
import numpy as np
from simulation.config import RunConfig
from simulation.emergence import MIN_PARTNER_WEIGHT
from simulation.model import AllianceModel
m = AllianceModel(RunConfig())
pop, p = m.population, m.projects
loaded = time.perf_counter()
found = np.empty(pop.size, dtype=np.int64)
thresholds = np.zeros(5 * 81, dtype=np.uint64)
k.draws_below(np.uint64(1), thresholds, pop.territory_profile, found)
bases = np.zeros(16, dtype=np.uint64)
k.choose_partners(pop.territory_profile[:3], bases, pop.territory, pop.territory_start,
                  pop.territory_count, pop.pillar_eur, 4, MIN_PARTNER_WEIGHT)
k.share_pillars(m._active, p.members, p.alliance, p.quality, m.load, m._load_changed,
                pop.pillar_eur, 0.5, p.own_eur, p.mobilised_eur, p.member_share)
print(imported - start, time.perf_counter() - loaded)
"""


def fixed_cost(rounds: int) -> tuple[float, float]:
    """Median seconds of numba's import and of the three kernels' first calls (cached code).

    Each round is a fresh process; the kernels were compiled (and cached) by this one.
    """
    imports, first_calls = [], []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_CALLS],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        imports.append(float(out[0]))
        first_calls.append(float(out[1]))
    return float(np.median(imports)), float(np.median(first_calls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=1_250_000)
    parser.add_argument("--steps", type=int, default=10, help="steps run before measuring")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes for the fixed cost")
    args = parser.parse_args()

    model, snapshot = national_world(args.organisations, args.steps)
    rows = measure_kernels(model, copy.copy(snapshot), args.repeats)
    numba_import, first_calls = fixed_cost(args.rounds)

    print(f"numba {numba.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    print(f"{args.organisations:,} organisations, state after {args.steps} steps\n")
    print("| kernel | numpy (ms) | compiled (ms) | same numbers |")
    print("|---|---:|---:|---|")
    saved = 0.0
    for name, numpy_time, compiled_time, same in rows:
        saved += numpy_time - compiled_time
        print(f"| {name} | {numpy_time * 1e3:.1f} | {compiled_time * 1e3:.1f} | {same} |")
    steps = 2 * 40  # a run(): the treated world and its counterfactual, 40 steps each
    fixed = numba_import + first_calls
    print()
    print(
        f"- saved per step: {saved * 1e3:.1f} ms; per national run() ({steps} steps): "
        f"{saved * steps:.2f} s"
    )
    print(
        f"- fixed cost per process: numba's import {numba_import:.2f} s, first calls "
        f"(loading cached code) {first_calls:.2f} s, {fixed:.2f} s in all"
    )
    print(f"- net gain of a national run(): {saved * steps - fixed:.2f} s")
    if not all(same for *_, same in rows):
        sys.exit("a kernel's numbers differ from the numpy path's")


if __name__ == "__main__":
    main()
