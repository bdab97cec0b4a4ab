"""What numba's compiled kernels would save a national step: why the model does without them.

    pip install numba                      # not a dependency of the model
    python benchmarks/compiled_kernels.py  # national world (about 1 minute)

Issue 23 asked for a compiled kernel (numba) where numpy cannot approach the
memory floor. This script holds three such kernels, each one loop doing what a
chain of numpy passes does in the model, with the same arithmetic in the same
order (no fast-math, no `exp` or `log` of the C library), so that each gives the
model's numbers bit for bit:

- `draws_below`: who starts a project (the keyed hash of every organisation,
  `RandomStreams.draws_below`);
- `choose_partners`: the partners of new alliances (`emergence.choose_partners`);
- `share_pillars`: the resources of the active projects whose members' loads
  changed (`AllianceModel._share_pillars`).

On the state of a national world after a few steps it checks that each kernel's
answer is the numpy path's, times both (best of several calls), and measures the
fixed cost a process pays to use them: numba's import and the loading of the
cached compiled code at their first calls (fresh processes). It prints a
Markdown table and what a national `run()` (two worlds of 40 steps) would gain,
net. docs/performance.md ("A compiled kernel") reports and discusses the result.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

try:
    import numba
except ImportError:
    sys.exit("numba is not installed: pip install numba (it is not a dependency of the model)")

# The constants of `randomness`: the SplitMix64 finaliser and the unit scaling.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_UNIT = np.uint64(11)
_TO_UNIT = 2.0**-53

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _mix(x):  # pragma: no cover - compiled
    """SplitMix64 finaliser, as `randomness._mix`."""
    x = (x ^ (x >> _S30)) * _MUL1
    x = (x ^ (x >> _S27)) * _MUL2
    return x ^ (x >> _S31)


@_jit
def _bits(entity, base):  # pragma: no cover - compiled
    """The top 53 bits of a draw, as `randomness._unit_draws` before its scaling."""
    x = _mix(np.uint64(entity) * _GOLDEN + base)
    return _mix(x ^ base) >> _UNIT


@_jit
def _unit(entity, base):  # pragma: no cover - compiled
    """A uniform draw in [0, 1), as `randomness._unit_draws`."""
    return np.float64(_bits(entity, base)) * _TO_UNIT


@_jit
def draws_below(base, thresholds, index, out):  # pragma: no cover - compiled
    """Entities `0..n-1` whose draw falls below their threshold, in `out`.

    Args:
        base: The mechanism and step's base (`RandomStreams._base`), uint64.
        thresholds: Integer thresholds (`randomness.threshold_bits`), flattened.
        index: Each entity's position in `thresholds`, shape (n,).
        out: Room for the answer, int64, shape (n,).

    Returns:
        How many entities were written to `out`, ascending.
    """
    count = 0
    for i in range(index.size):
        if _bits(i, base) < thresholds[index[i]]:
            out[count] = i
            count += 1
    return count


@_jit
def _shares(pillars, out):  # pragma: no cover - compiled
    """Pillar shares of one organisation, as `population.pillar_shares`."""
    total = pillars[0]
    for j in range(1, pillars.size):
        total += pillars[j]
    for j in range(pillars.size):
        out[j] = pillars[j] / total if total > 0 else 0.0


@_jit
def choose_partners(
    leads, bases, territory, territory_start, territory_count, pillar_eur, candidates, min_weight
):  # pragma: no cover - compiled
    """Partners of new alliances, as `emergence.choose_partners`.

    Args:
        leads: Lead organisations, shape (k,).
        bases: The "partners" mechanism's bases of this step, one per draw slot
            (`1 + slots * (candidates + 1)`).
        territory: Every organisation's territory.
        territory_start: First organisation of each territory.
        territory_count: Organisations in each territory.
        pillar_eur: Every organisation's pillars, shape (n, 5).
        candidates: Candidates drawn per partner slot.
        min_weight: Complementarity floor (`emergence.MIN_PARTNER_WEIGHT`).

    Returns:
        Partner indices, -1 for empty slots, shape (k, slots).
    """
    k = leads.size
    c = candidates
    slots = (bases.size - 1) // (c + 1)
    partners = np.full((k, slots), -1, dtype=np.int64)
    components = pillar_eur.shape[1]
    lead_shares = np.empty(components)
    shares = np.empty(components)
    cumulative = np.empty(c)
    # First every candidate, then their pillars in one gathering loop whose reads do
    # not wait on each other (each is a cache miss: a territory's block is cold),
    # then the choice from the gathered copy.
    chosen_rows = np.empty((k, slots, c), dtype=np.int64)
    for i in range(k):
        lead = leads[i]
        t = territory[lead]
        start = territory_start[t]
        others = np.float64(territory_count[t] - 1)
        local_lead = lead - start
        for s in range(slots):
            first = 1 + s * (c + 1)
            for j in range(c):
                local = np.int64(np.floor(_unit(lead, bases[first + j]) * others))
                if local >= local_lead:
                    local += 1
                chosen_rows[i, s, j] = start + local
    gathered = np.empty((k, slots, c, components))
    for i in range(k):
        for s in range(slots):
            for j in range(c):
                row = chosen_rows[i, s, j]
                for m in range(components):
                    gathered[i, s, j, m] = pillar_eur[row, m]
    for i in range(k):
        lead = leads[i]
        n_partners = 1 + np.int64(np.floor(_unit(lead, bases[0]) * slots))
        _shares(pillar_eur[lead], lead_shares)
        for s in range(slots):
            first = 1 + s * (c + 1)
            running = 0.0
            for j in range(c):
                _shares(gathered[i, s, j], shares)
                distance = abs(lead_shares[0] - shares[0])
                for m in range(1, components):
                    distance += abs(lead_shares[m] - shares[m])
                weight = 0.5 * distance + min_weight
                running = weight if j == 0 else running + weight
                cumulative[j] = running
            threshold = _unit(lead, bases[first + c]) * cumulative[c - 1]
            pick = 0
            for j in range(c):
                if cumulative[j] < threshold:
                    pick += 1
            chosen = chosen_rows[i, s, pick]
            duplicate = False
            for previous in range(s):
                if partners[i, previous] == chosen:
                    duplicate = True
            if s < n_partners and not duplicate:
                partners[i, s] = chosen
    return partners


@_jit
def share_pillars(
    rows,
    members,
    alliance,
    quality,
    load,
    load_changed,
    pillar_eur,
    mobilisation,
    own_eur,
    mobilised_eur,
    member_share,
):  # pragma: no cover - compiled
    """Recompute the resources of active projects with a member whose load changed.

    As `AllianceModel._share_pillars` with `capacity.shared_resources` and
    `capacity.solo_own_resources`, in place; clears `load_changed`.

    Args:
        rows: Active rows of the project table.
        members: The table's members column, -1 for empty slots, shape (rows, slots).
        alliance: The table's alliance column.
        quality: The table's quality column.
        load: Active projects of each organisation.
        load_changed: Whether each organisation's load changed, with a last
            entry (read by empty slots) that stays False.
        pillar_eur: Every organisation's pillars, shape (n, 5).
        mobilisation: `mu`.
        own_eur: The table's own resources column, written.
        mobilised_eur: The table's mobilised resources column, written.
        member_share: The table's member shares column, written.
    """
    slots = members.shape[1]
    idle = pillar_eur.shape[1] - 1
    contribution = np.empty(slots)
    for r in range(rows.size):
        row = rows[r]
        affected = False
        for m in range(slots):
            if load_changed[members[row, m]]:
                affected = True
        if not affected:
            continue
        if not alliance[row]:
            lead = members[row, 0]
            own = pillar_eur[lead, 0]
            for j in range(1, idle):
                own += pillar_eur[lead, j]
            own_eur[row] = own / np.float64(max(load[lead], 1))
            continue
        scaled_quality = mobilisation * quality[row]
        own_total = 0.0
        mobilised_total = 0.0
        for m in range(slots):
            member = members[row, m]
            if member >= 0:
                divisor = np.float64(max(load[member], 1))
                own = pillar_eur[member, 0]
                for j in range(1, idle):
                    own += pillar_eur[member, j]
                own /= divisor
                mobilised = scaled_quality * pillar_eur[member, idle] / divisor
            else:
                own = 0.0
                mobilised = 0.0
            own_total = own if m == 0 else own_total + own
            mobilised_total = mobilised if m == 0 else mobilised_total + mobilised
            contribution[m] = own + mobilised
        total = contribution[0]
        for m in range(1, slots):
            total += contribution[m]
        for m in range(slots):
            if total > 0:
                member_share[row, m] = contribution[m] / total
            else:
                member_share[row, m] = 1.0 if m == 0 else 0.0
        own_eur[row] = own_total
        mobilised_eur[row] = mobilised_total
    load_changed[:] = False


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
import sys, time
start = time.perf_counter()
import numba
imported = time.perf_counter()
sys.path.insert(0, {folder!r})
import compiled_kernels as k
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
    folder = str(Path(__file__).resolve().parent)
    imports, first_calls = [], []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_CALLS.format(folder=folder)],
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
