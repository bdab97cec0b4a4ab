"""Compiled kernels (numba) for the hot loops of a step, the numpy path's numbers bit for bit.

Each kernel computes, in one loop, what a chain of numpy passes computes in the
model, with the same arithmetic in the same order, so that its numbers are the
numpy path's, bit for bit (`tests/test_compiled.py` compares them, kernel by
kernel and whole runs):

- `draws_below`: which organisations start a project (`RandomStreams.draws_below`);
- `start_table` and `split_by_capacity`: the start probabilities and their integer
  thresholds, and the starts a busy load forgoes (`emergence.starters`);
- `unit_draws`: the draws of a few entities (`RandomStreams.uniforms`);
- `slot_bases`: the bases of a draw's slots (`RandomStreams.bases`);
- `ally_probability`: the propensity to ally (`emergence.ally_probability`);
- `choose_partners`: the partners of new alliances (`emergence.choose_partners`);
- `emerge_rows`: the new projects' members, quality, resources, diversification,
  domain, value per euro, set-up cost, shares and lifetime budget (`emergence.emerge`);
- `share_pillars`: the resources of the active projects whose members' loads
  changed (`AllianceModel._share_pillars`);
- `advance_territories`: engineering capacity and maturity (`territories`);
- `match_controls`: the matched controls of the projects backed (`landmarks`);
- `produce`, `relieve`, `refresh_hazards`, `survive`, `learn` and `record_flows`:
  the rest of a step (`AllianceModel`, `Recorder`).

No fast-math: every operation rounds as numpy's does (no fused multiply-add, no
reassociation; sums over a short axis in numpy's own order, `_numpy_sum`).
Exponentials and logarithms are the C library's (`math.exp` and the others, which
numba calls), as the numpy path's are (`simulation.libm`), on every processor.

Compiled code is cached beside this file (`cache=True`; elsewhere when this
folder is read-only), so a machine compiles once and later processes load it.
This module imports numba: reach it through `simulation.kernel.select`, which
decides when it pays.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# The constants of `randomness`: the SplitMix64 finaliser and the unit scaling.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SLOT = np.uint64(0xD1B54A32D192ED03)
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
def _numpy_sum(x, n):
    """The sum of `x[0:n]` as numpy adds it (`population.numpy_sum`).

    In order below eight terms; from eight on, eight running sums over blocks of
    eight, combined pairwise, then the remaining terms in order.
    """
    if n < 8:
        total = x[0]
        for j in range(1, n):
            total += x[j]
        return total
    r0 = x[0]
    r1 = x[1]
    r2 = x[2]
    r3 = x[3]
    r4 = x[4]
    r5 = x[5]
    r6 = x[6]
    r7 = x[7]
    blocks = n - n % 8
    for s in range(8, blocks, 8):
        r0 += x[s]
        r1 += x[s + 1]
        r2 += x[s + 2]
        r3 += x[s + 3]
        r4 += x[s + 4]
        r5 += x[s + 5]
        r6 += x[s + 6]
        r7 += x[s + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(blocks, n):
        total += x[j]
    return total


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
def slot_bases(key, step, slots):  # pragma: no cover - compiled
    """The bases of slots 0..slots-1 of one mechanism's key and step, as `randomness._base_bits`.

    Args:
        key: The mechanism's key (uint64).
        step: The step.
        slots: Number of slots.

    Returns:
        uint64, shape (slots,).
    """
    out = np.empty(slots, dtype=np.uint64)
    first = key + np.uint64(step) * _GOLDEN
    for slot in range(slots):
        out[slot] = _mix(first + np.uint64(slot) * _SLOT)
    return out


@_jit
def unit_draws(entities, bases):  # pragma: no cover - compiled
    """Uniform draws of every entity under every base, as `randomness._unit_draws`.

    Args:
        entities: Integer ids, shape (k,).
        bases: Per-(mechanism, step, slot) bases (`RandomStreams._base`), shape (m,).

    Returns:
        float64, shape (m, k): row `j` holds the draws under `bases[j]`.
    """
    out = np.empty((bases.size, entities.size))
    for j in range(bases.size):
        base = bases[j]
        for i in range(entities.size):
            out[j, i] = _unit(entities[i], base)
    return out


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
        total = _numpy_sum(contribution, slots)  # as `projects.member_shares` adds
        for m in range(slots):
            if total > 0:
                member_share[row, m] = contribution[m] / total
            else:
                member_share[row, m] = 1.0 if m == 0 else 0.0
        own_eur[row] = own_total
        mobilised_eur[row] = mobilised_total
    load_changed[:] = False


@_jit
def emerge_rows(
    leads,
    partners_of,
    ally_index,
    u_domain,
    u_lifetime,
    territory,
    pillar_eur,
    profile,
    engineering,
    trust,
    fragility,
    commons,
    wE,
    wT,
    wC,
    mobilisation,
    setup_cost,
    setup_reduction,
    productivity,
    frugality_gain,
    n_profiles,
):  # pragma: no cover - compiled
    """The new projects of a step, as `emergence.emerge` computes them after its draws.

    Args:
        leads: The organisations starting a project, shape (k,).
        partners_of: Partners of the alliances (`choose_partners`), shape (a, slots - 1).
        ally_index: Each lead's row in `partners_of`, -1 for a solo project.
        u_domain: Each lead's "domain" draw.
        u_lifetime: Each lead's "lifetime" draw.
        territory: Every organisation's territory.
        pillar_eur: Every organisation's pillars, shape (n, 5).
        profile: Every organisation's profile.
        engineering: Each territory's engineering capacity `E`.
        trust: Each territory's trust `T`.
        fragility: Each territory's fragilities, shape (t, domains).
        commons: The knowledge commons `K`.
        wE: Quality weight of engineering.
        wT: Quality weight of trust.
        wC: Quality weight of complementarity.
        mobilisation: `mu`.
        setup_cost: Set-up cost per member, EUR.
        setup_reduction: Reduction of the set-up cost per unit of `K`.
        productivity: Value per EUR of resources `pi`.
        frugality_gain: `phi`.
        n_profiles: The profile code of an empty member slot.

    Returns:
        The `NewProjects` columns `members`, `alliance`, `quality`, `own_eur`,
        `mobilised_eur`, `diversification`, `member_share`, `member_profile`,
        `domain`, `value_per_eur`, `setup_eur` and `lifetime_budget`, in that order.
    """
    k = leads.size
    slots = partners_of.shape[1] + 1
    comps = pillar_eur.shape[1]
    members = np.full((k, slots), -1, dtype=np.int64)
    alliance = np.zeros(k, dtype=np.bool_)
    quality = np.zeros(k)
    own_eur = np.empty(k)
    mobilised_eur = np.empty(k)
    div = np.empty(k)
    member_share = np.empty((k, slots))
    member_profile = np.empty((k, slots), dtype=np.int8)
    domain = np.empty(k, dtype=np.int16)
    vpe = np.empty(k)
    setup = np.empty(k)
    lifetime = np.empty(k)
    pillars = np.zeros((slots, comps))
    shares = np.zeros((slots, comps))
    n_cells = 4 * slots + 2
    cells = np.empty(n_cells)
    sq = np.empty(n_cells)
    own_m = np.empty(slots)
    mob_m = np.empty(slots)
    contrib = np.empty(slots)
    pair = np.empty(slots - 1)
    n_domains = fragility.shape[1]
    cum = np.empty(n_domains)
    for i in range(k):
        lead = leads[i]
        t = territory[lead]
        members[i, 0] = lead
        a = ally_index[i]
        n_partners = 0
        if a >= 0:
            for s in range(1, slots):
                m = partners_of[a, s - 1]
                members[i, s] = m
                if m >= 0:
                    n_partners += 1
        is_alliance = n_partners > 0
        alliance[i] = is_alliance
        # Members' pillars (zeros for empty slots) and their shares.
        for s in range(slots):
            m = members[i, s]
            for c in range(comps):
                pillars[s, c] = pillar_eur[m, c] if m >= 0 else 0.0
            total = pillars[s, 0]
            for c in range(1, comps):
                total += pillars[s, c]
            for c in range(comps):
                shares[s, c] = pillars[s, c] / total if total > 0 else 0.0
        # Quality: engineering, trust and the partners' mean complementarity with the lead.
        for s in range(1, slots):
            d = abs(shares[0, 0] - shares[s, 0])
            for c in range(1, comps):
                d += abs(shares[0, c] - shares[s, c])
            pair[s - 1] = (0.5 * d) * (1.0 if members[i, s] >= 0 else 0.0)
        q = 0.0
        if is_alliance:
            mean_c = _numpy_sum(pair, slots - 1) / n_partners
            q = (wE * engineering[t] + wT * trust[t]) + wC * mean_c
        quality[i] = q
        # Own and mobilised resources, by member and in all.
        for s in range(slots):
            own_m[s] = ((pillars[s, 0] + pillars[s, 1]) + pillars[s, 2]) + pillars[s, 3]
            mob_m[s] = (mobilisation * q) * pillars[s, 4]
        own_eur[i] = _numpy_sum(own_m, slots)
        mob = _numpy_sum(mob_m, slots)
        mobilised_eur[i] = mob
        # Diversification over the (member, source) cells, mobilised and grant (0).
        for s in range(slots):
            for c in range(4):
                cells[4 * s + c] = pillars[s, c]
        cells[4 * slots] = mob
        cells[4 * slots + 1] = 0.0
        tot = _numpy_sum(cells, n_cells)
        for j in range(n_cells):
            share = cells[j] / tot if tot > 0 else 0.0
            sq[j] = share * share
        div[i] = 1.0 - _numpy_sum(sq, n_cells)
        # The domain answered, drawn in proportion to the territory's fragilities.
        running = 0.0
        for d in range(n_domains):
            running = fragility[t, 0] if d == 0 else running + fragility[t, d]
            cum[d] = running
        threshold = u_domain[i] * cum[n_domains - 1]
        dom = 0
        for d in range(n_domains):
            if cum[d] < threshold:
                dom += 1
        domain[i] = dom
        vpe[i] = (productivity * (1.0 + frugality_gain * q)) * (0.5 + fragility[t, dom])
        setup[i] = (setup_cost * np.float64(1 + n_partners)) * (1.0 - setup_reduction * commons)
        lifetime[i] = -math.log1p(-u_lifetime[i])
        # Members' shares of the value, in proportion to what each commits.
        for s in range(slots):
            contrib[s] = own_m[s] + mob_m[s]
        ctot = _numpy_sum(contrib, slots)
        for s in range(slots):
            if ctot > 0:
                member_share[i, s] = contrib[s] / ctot
            else:
                member_share[i, s] = 1.0 if s == 0 else 0.0
            m = members[i, s]
            member_profile[i, s] = profile[m] if m >= 0 else n_profiles
    return (
        members,
        alliance,
        quality,
        own_eur,
        mobilised_eur,
        div,
        member_share,
        member_profile,
        domain,
        vpe,
        setup,
        lifetime,
    )


@_jit
def produce(
    rows,
    deployed,
    born,
    grant_steps_left,
    grant_eur_per_step,
    own_eur,
    mobilised_eur,
    value_per_eur,
    setup_eur,
    deployment_scale,
    df,
    value_pv,
    resources_pv,
    private_pv,
    mobilised_pv,
    fund_pv,
    last_value_eur,
):  # pragma: no cover - compiled
    """A step's production of the active projects, as `AllianceModel._produce` computes it.

    Updates the present values, the last value and the instalments left of the
    project table in place.

    Args:
        rows: The active rows, ascending.
        deployed: Whether each active project is deployed.
        born: Index in `rows` of the first project born this step.
        grant_steps_left: Instalments left, every project (updated).
        grant_eur_per_step: Grant instalment, every project.
        own_eur: Own resources, every project.
        mobilised_eur: Mobilised resources, every project.
        value_per_eur: Value per EUR of resources, every project.
        setup_eur: Set-up cost, every project.
        deployment_scale: Factor on a deployed project's own resources.
        df: This step's discount factor.
        value_pv: Present value of value, every project (updated).
        resources_pv: Present value of all resources (updated).
        private_pv: Present value of members' resources and set-up (updated).
        mobilised_pv: Present value of mobilised resources (updated).
        fund_pv: Present value of grants paid (updated).
        last_value_eur: Value of the last step produced (updated).

    Returns:
        The active projects' `value`, `resources`, `mobilised`, `grant` and
        `paying` of the step, in that order.
    """
    k = rows.size
    value = np.empty(k)
    resources = np.empty(k)
    mobilised = np.empty(k)
    grant = np.empty(k)
    paying = np.empty(k, dtype=np.bool_)
    for i in range(k):
        r = rows[i]
        pays = grant_steps_left[r] > 0
        paying[i] = pays
        g = grant_eur_per_step[r] if pays else 0.0
        grant[i] = g
        scale = deployment_scale if deployed[i] else 1.0
        m = mobilised_eur[r]
        mobilised[i] = m
        private = own_eur[r] * scale + m
        productive = private + (g if deployed[i] else 0.0)
        v = value_per_eur[r] * productive
        value[i] = v
        setup = setup_eur[r] if i >= born else 0.0
        used = productive + setup
        resources[i] = used
        if pays:
            grant_steps_left[r] -= 1
            fund_pv[r] = fund_pv[r] + g * df
        value_pv[r] = value_pv[r] + v * df
        resources_pv[r] = resources_pv[r] + used * df
        private_pv[r] = private_pv[r] + (private + setup) * df
        mobilised_pv[r] = mobilised_pv[r] + m * df
        last_value_eur[r] = v
    return value, resources, mobilised, grant, paying


@_jit
def survive(
    rows, hazard, alliance, cumulative_hazard, lifetime_budget, birth, death, t, success_age
):  # pragma: no cover - compiled
    """Which active projects end this step, as `AllianceModel._survive` finds them.

    Adds each project's hazard to its cumulative hazard and sets the death step of
    those that reached their lifetime budget, in place.

    Args:
        rows: The active rows, ascending.
        hazard: Each active project's hazard this step.
        alliance: Whether each active project is an alliance.
        cumulative_hazard: Cumulative hazard, every project (updated).
        lifetime_budget: Lifetime budget, every project.
        birth: Birth step, every project.
        death: Death step, every project (updated).
        t: This step.
        success_age: Age in steps at which an alliance is a success.

    Returns:
        The mask of active rows that ended, then the rows of the alliances that
        became a success and of those that failed, ascending.
    """
    k = rows.size
    ended = np.empty(k, dtype=np.bool_)
    successes = np.empty(k, dtype=rows.dtype)
    failures = np.empty(k, dtype=rows.dtype)
    n_successes = 0
    n_failures = 0
    for i in range(k):
        r = rows[i]
        cumulative = cumulative_hazard[r] + hazard[i]
        cumulative_hazard[r] = cumulative
        ends = cumulative >= lifetime_budget[r]
        ended[i] = ends
        if ends:
            death[r] = t
        if alliance[i]:
            age = t - birth[r] + 1
            if age == success_age:
                successes[n_successes] = r
                n_successes += 1
            if ends and age < success_age:
                failures[n_failures] = r
                n_failures += 1
    return ended, successes[:n_successes], failures[:n_failures]


@_jit
def record_flows(
    territory,
    alliance,
    resources,
    mobilised,
    value_rows,
    value_territory,
    value,
    profile,
    member_profile,
    member_share,
    value_eur,
    resources_eur,
    mobilised_eur,
    active_projects,
    active_alliances,
    value_by_lead_profile_eur,
    value_by_profile_eur,
):  # pragma: no cover - compiled
    """A step's sums by territory and by profile, as `Recorder.record`'s `bincount`s make them.

    Each sum adds its terms in the order of the rows, from zero, as `np.bincount`
    does; the outputs (this step's row of each recorded array) are overwritten.

    Args:
        territory: Each active project's territory.
        alliance: Whether each active project is an alliance.
        resources: Each active project's resources this step.
        mobilised: Each active project's mobilised resources this step.
        value_rows: The rows that produced value (active, then ended ones persisting).
        value_territory: The territory of each of `value_rows`.
        value: The value of each of `value_rows`.
        profile: The lead's profile, every project.
        member_profile: Members' profiles, every project, shape (rows, slots);
            an empty slot holds the number of profiles.
        member_share: Members' shares of the value, every project.
        value_eur: Value by territory (out).
        resources_eur: Resources by territory (out).
        mobilised_eur: Mobilised resources by territory (out).
        active_projects: Active projects by territory (out).
        active_alliances: Active alliances by territory (out).
        value_by_lead_profile_eur: Value by the lead's profile (out).
        value_by_profile_eur: Value by member profile, in proportion to shares (out).
    """
    value_eur[:] = 0.0
    resources_eur[:] = 0.0
    mobilised_eur[:] = 0.0
    active_projects[:] = 0
    active_alliances[:] = 0
    value_by_lead_profile_eur[:] = 0.0
    n_profiles = value_by_profile_eur.size
    by_member = np.zeros(n_profiles + 1)  # the last bin takes the empty slots
    slots = member_profile.shape[1]
    for i in range(value_rows.size):  # each sum in the order of the rows
        r = value_rows[i]
        value_eur[value_territory[i]] += value[i]
        value_by_lead_profile_eur[profile[r]] += value[i]
        for s in range(slots):
            by_member[member_profile[r, s]] += value[i] * member_share[r, s]
    value_by_profile_eur[:] = by_member[:n_profiles]
    for i in range(territory.size):
        c = territory[i]
        resources_eur[c] += resources[i]
        mobilised_eur[c] += mobilised[i]
        active_projects[c] += 1
        if alliance[i]:
            active_alliances[c] += 1


@_jit
def relieve(
    rows,
    territory,
    domain,
    alliance,
    value,
    organisations,
    fragility,
    fragility_initial,
    alliance_relief,
    relief_rate,
    half_saturation,
    recovery,
):  # pragma: no cover - compiled
    """Fragilities after a step's relief, as `AllianceModel._relieve` and `relieve_fragility`.

    The value of the step is summed by (territory, domain) cell in the order of
    the rows, all projects and alliances apart, as `np.bincount` sums it; then each
    cell is relieved and recovers. The alliances' relief is added to
    `alliance_relief` in place.

    Args:
        rows: The active rows.
        territory: Each active project's territory.
        domain: Every project's domain.
        alliance: Whether each active project is an alliance.
        value: Each active project's value this step.
        organisations: Organisations per territory.
        fragility: Fragilities, shape (t, domains).
        fragility_initial: Fragilities at the start, same shape.
        alliance_relief: Fragility relieved by alliances so far (updated).
        relief_rate: Share of a need met per step at saturation `rho`.
        half_saturation: Value per organisation at half the relief rate.
        recovery: Rate at which fragilities return to their initial level.

    Returns:
        The new fragilities.
    """
    n_territories, n_domains = fragility.shape
    by_cell = np.zeros((n_territories, n_domains))
    by_alliances = np.zeros((n_territories, n_domains))
    for i in range(rows.size):
        c, d = territory[i], domain[rows[i]]
        by_cell[c, d] += value[i]
        if alliance[i]:
            by_alliances[c, d] += value[i]
    out = np.empty_like(fragility)
    for c in range(n_territories):
        for d in range(n_domains):
            f = fragility[c, d]
            v = by_cell[c, d]
            per_organisation = v / organisations[c]
            relief = (relief_rate * per_organisation / (per_organisation + half_saturation)) * f
            share = by_alliances[c, d] / v if v > 0 else 0.0
            alliance_relief[c, d] += relief * share
            x = (f - relief) + recovery * (fragility_initial[c, d] - f)
            out[c, d] = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
    return out


@_jit
def learn(
    successes,
    failures,
    project_territory,
    members,
    trust,
    alliance_successes,
    capital,
    learning_rate,
    pseudo_count,
    capital_gain,
    capital_loss,
    capital_decay,
):  # pragma: no cover - compiled
    """Trust and alliance capital after a step, as `AllianceModel._learn` updates them.

    `alliance_successes` and `capital` are updated in place; trust is returned
    anew, as `territories.update_trust` returns it.

    Args:
        successes: Rows of the alliances that became a success this step.
        failures: Rows of the alliances that failed this step.
        project_territory: Every project's territory.
        members: Every project's members, -1 for empty slots.
        trust: Each territory's trust `T`.
        alliance_successes: Each territory's successes so far (updated).
        capital: Every organisation's alliance capital `A` (updated).
        learning_rate: Trust's learning rate.
        pseudo_count: Trust's pseudo-count `n0`.
        capital_gain: Capital gained per success.
        capital_loss: Capital lost per failure.
        capital_decay: Capital's decay per step.

    Returns:
        The new trust.
    """
    n_territories = trust.size
    s = np.zeros(n_territories)
    f = np.zeros(n_territories)
    for r in successes:
        s[project_territory[r]] += 1.0
    for r in failures:
        f[project_territory[r]] += 1.0
    new_trust = np.empty(n_territories)
    for c in range(n_territories):
        change = learning_rate * (s[c] - f[c]) / (s[c] + f[c] + pseudo_count)
        x = trust[c] + change
        new_trust[c] = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
        alliance_successes[c] += s[c]
    kept = 1.0 - capital_decay
    for i in range(capital.size):
        capital[i] = capital[i] * kept
    # Each member of a success or a failure once, with its counts of each.
    slots = members.shape[1]
    touched = np.empty((successes.size + failures.size) * slots, dtype=np.int64)
    outcome = np.empty(touched.size, dtype=np.bool_)
    k = 0
    for rows, success in ((successes, True), (failures, False)):
        for r in rows:
            for j in range(slots):
                m = members[r, j]
                if m >= 0:
                    touched[k] = m
                    outcome[k] = success
                    k += 1
    order = np.argsort(touched[:k], kind="mergesort")
    i = 0
    while i < k:
        m = touched[order[i]]
        n_success = 0
        n_failure = 0
        while i < k and touched[order[i]] == m:
            if outcome[order[i]]:
                n_success += 1
            else:
                n_failure += 1
            i += 1
        x = capital[m] + (capital_gain * n_success - capital_loss * n_failure)
        capital[m] = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
    return new_trust


@_jit
def refresh_hazards(
    rows,
    deployed,
    paying,
    hazard_state,
    quality,
    diversification,
    diversification_granted,
    hazard,
    base_hazard,
    quality_effect,
    diversification_effect,
    backing_factor,
):  # pragma: no cover - compiled
    """Compute again the stale hazards of the active projects, as `AllianceModel._survive`.

    A project's state is 1 when deployed plus 2 when deployed and paid this step;
    where it differs from `hazard_state` (updated in place) the hazard is stale and
    is computed as `projects.hazard` computes it.

    Args:
        rows: The active rows.
        deployed: Whether each active project is deployed.
        paying: Whether each active project received an instalment this step.
        hazard_state: The state each active hazard was computed in (updated).
        quality: Every project's quality.
        diversification: Every project's diversification.
        diversification_granted: Every project's diversification with its grant.
        hazard: Each active project's hazard per step (updated where stale).
        base_hazard: `h0`.
        quality_effect: `gQ`.
        diversification_effect: `gD`.
        backing_factor: The hazard's factor once deployed.
    """
    for i in range(rows.size):
        granted = paying[i] and deployed[i]
        state = np.int8(deployed[i]) + np.int8(2) * np.int8(granted)
        if state == hazard_state[i]:
            continue
        hazard_state[i] = state
        r = rows[i]
        d = diversification_granted[r] if granted else diversification[r]
        factor = backing_factor if deployed[i] else 1.0
        hazard[i] = (
            base_hazard * math.exp(-quality_effect * quality[r] - diversification_effect * d)
        ) * factor


@_jit
def ally_probability(
    leads,
    territory,
    territory_count,
    engineering,
    trust,
    capital,
    maturity,
    profile,
    profile_offset,
    with_offset,
    intercept,
    per_engineering,
    per_trust,
    per_capital,
    per_maturity,
):  # pragma: no cover - compiled
    """The propensity to ally of starting projects, as `emergence.ally_probability`.

    Args:
        leads: Organisations starting a project.
        territory: Every organisation's territory.
        territory_count: Organisations per territory.
        engineering: Each territory's engineering capacity `E`.
        trust: Each territory's trust `T`.
        capital: Every organisation's alliance capital `A`.
        maturity: Each territory's maturity level.
        profile: Every organisation's profile.
        profile_offset: Logit offset by profile.
        with_offset: Whether any offset is not zero (else it is not added).
        intercept: `b0`.
        per_engineering: `bE`.
        per_trust: `bT`.
        per_capital: `bA`.
        per_maturity: `bm`.

    Returns:
        The probabilities, 0 where the lead is alone in its territory.
    """
    k = leads.size
    probability = np.empty(k)
    for i in range(k):
        o = leads[i]
        t = territory[o]
        x = (
            intercept
            + per_engineering * engineering[t]
            + per_trust * trust[t]
            + per_capital * capital[o]
            + per_maturity * (np.float64(maturity[t]) - 1.0)
        )
        if with_offset:
            x = x + profile_offset[profile[o]]
        probability[i] = 0.0 if territory_count[t] < 2 else 1.0 / (1.0 + math.exp(-x))
    return probability


@_jit
def match_controls(
    backed, eligible, quality, birth, territory, size_class, matches, caliper, penalty, window
):  # pragma: no cover - compiled
    """Nearest-quality controls of the projects backed at a step, as `landmarks.match_controls`.

    The pool is the eligible rows that were not backed, in their order; a backed
    project's candidates are the pool's rows within the caliper, the cohort window
    and its size class, and its controls the `matches` nearest by distance, ties in
    pool order (numpy's stable sort).

    Args:
        backed: Rows backed at this step.
        eligible: Rows eligible at this step, backed ones included.
        quality: Every project's quality.
        birth: Every project's birth step.
        territory: Every project's territory.
        size_class: Each territory's size class.
        matches: Controls per backed project.
        caliper: Largest quality difference.
        penalty: Distance added for a control from another territory.
        window: Largest difference of birth steps.

    Returns:
        The control rows, -1 where fewer qualify, shape (b, matches), and whether
        the nearest is from the backed project's own territory, shape (b,).
    """
    b = backed.size
    pool = np.empty(eligible.size, dtype=np.int64)
    n = 0
    for e in eligible:
        taken = False
        for r in backed:
            if r == e:
                taken = True
                break
        if not taken:
            pool[n] = e
            n += 1
    controls = np.full((b, matches), -1, dtype=np.int64)
    same = np.zeros(b, dtype=np.bool_)
    best_distance = np.empty(matches)
    best_elsewhere = np.empty(matches, dtype=np.bool_)
    for i in range(b):
        row = backed[i]
        home = territory[row]
        q = quality[row]
        kept = 0
        for j in range(n):
            c = pool[j]
            gap = np.abs(quality[c] - q)
            if not (
                gap <= caliper
                and np.abs(birth[c] - birth[row]) <= window
                and size_class[territory[c]] == size_class[home]
            ):
                continue
            elsewhere = territory[c] != home
            distance = gap + penalty * np.float64(elsewhere)
            position = kept  # after every kept one at or below it: ties stay in pool order
            while position > 0 and best_distance[position - 1] > distance:
                position -= 1
            if position >= matches:
                continue
            for s in range(min(kept, matches - 1), position, -1):
                best_distance[s] = best_distance[s - 1]
                best_elsewhere[s] = best_elsewhere[s - 1]
                controls[i, s] = controls[i, s - 1]
            best_distance[position] = distance
            best_elsewhere[position] = elsewhere
            controls[i, position] = c
            kept = min(kept + 1, matches)
        same[i] = kept > 0 and not best_elsewhere[0]
    return controls, same


@_jit
def start_table(
    fragility, engineering, rate_by_profile, fragility_effect, engineering_effect
):  # pragma: no cover - compiled
    """Start probabilities and their integer thresholds, as `emergence.start_probability_table`.

    Args:
        fragility: Each territory's fragilities, shape (t, domains).
        engineering: Each territory's engineering capacity `E`.
        rate_by_profile: `r0 * m_profile`, shape (profiles,).
        fragility_effect: `rF`.
        engineering_effect: `rE`.

    Returns:
        The probabilities, shape (t, profiles), and their thresholds
        (`randomness.threshold_bits`), flattened.
    """
    n_territories, n_domains = fragility.shape
    n_profiles = rate_by_profile.size
    table = np.empty((n_territories, n_profiles))
    thresholds = np.empty(n_territories * n_profiles, dtype=np.uint64)
    for t in range(n_territories):
        mean = _numpy_sum(fragility[t], n_domains) / n_domains
        territory_rate = (1.0 + fragility_effect * mean) * (
            1.0 + engineering_effect * engineering[t]
        )
        for p in range(n_profiles):
            probability = -math.expm1(-(rate_by_profile[p] * territory_rate))
            table[t, p] = probability
            clipped = min(max(probability, 0.0), 1.0)
            thresholds[t * n_profiles + p] = np.uint64(np.ceil(clipped * 2.0**53))
    return table, thresholds


@_jit
def split_by_capacity(
    leads, draws, table, territory_profile, load, capacity
):  # pragma: no cover - compiled
    """The leads free to start and those a busy load stopped, as `emergence.starters`.

    Args:
        leads: Organisations whose draw fell below their start probability.
        draws: Their draws, as floats.
        table: Start probabilities, flattened.
        territory_profile: Every organisation's cell of the table.
        load: Every organisation's active projects.
        capacity: The project capacity `C` (above 0).

    Returns:
        The starting organisations and the forgone starts' organisations.
    """
    k = leads.size
    free = np.empty(k, dtype=np.int64)
    busy = np.empty(k, dtype=np.int64)
    n_free = 0
    n_busy = 0
    for i in range(k):
        o = leads[i]
        room = 1.0 - np.float64(load[o]) / capacity
        if draws[i] < table[territory_profile[o]] * max(room, 0.0):
            free[n_free] = o
            n_free += 1
        else:
            busy[n_busy] = o
            n_busy += 1
    return free[:n_free], busy[:n_busy]


@_jit
def advance_territories(
    engineering,
    baseline,
    grant_eur,
    organisations,
    maturity,
    successes,
    draws,
    commons,
    decay,
    grant_effect,
    grant_half_saturation,
    base_rate,
    engineering_rate,
    commons_rate,
    experience_rate,
    level_factor,
    experience_half_saturation,
    stay_below,
):  # pragma: no cover - compiled
    """Engineering capacity and maturity after one step, as `territories.advance_territories`.

    The commons `K` is the step's new one (it depends on neither).

    Args:
        engineering: `E` before the step.
        baseline: `E_base`.
        grant_eur: Engineering grant of each territory this step.
        organisations: Organisations per territory.
        maturity: Levels 1-4 before the step.
        successes: Cumulative alliance successes `S`.
        draws: One uniform draw per territory ("maturity").
        commons: `K` after this step's update.
        decay: `d_E`.
        grant_effect: `eta`.
        grant_half_saturation: `x_half`, EUR per organisation.
        base_rate: `l0`.
        engineering_rate: `lE`.
        commons_rate: `lK`.
        experience_rate: `lX`.
        level_factor: `g`.
        experience_half_saturation: `S_half`.
        stay_below: `1 - down_probability`: a draw at or above it moves down.

    Returns:
        The new `E` and the new levels.
    """
    n = engineering.size
    new_engineering = np.empty(n)
    new_maturity = np.empty_like(maturity)
    for t in range(n):
        e = engineering[t]
        per_organisation = grant_eur[t] / organisations[t]
        saturation = per_organisation / (per_organisation + grant_half_saturation)
        e = e - decay * (e - baseline[t]) + grant_effect * (1.0 - e) * saturation
        new_engineering[t] = e
        m = maturity[t]
        experience = successes[t] / (successes[t] + experience_half_saturation)
        rate = (
            base_rate + engineering_rate * e + commons_rate * commons + experience_rate * experience
        ) * level_factor ** (np.float64(m) - 1.0)
        p_up = -math.expm1(-rate) if m < 4 else 0.0
        up = draws[t] < p_up
        down = draws[t] >= stay_below and m > 1 and not up
        new_maturity[t] = m + np.int64(up) - np.int64(down)
    return new_engineering, new_maturity


@_jit
def change_load(members, change, load, changed):  # pragma: no cover - compiled
    """Add `change` to every member's load and mark it changed, as `AllianceModel._change_load`.

    Args:
        members: Member slots, -1 where empty, shape (k, slots).
        change: +1 or -1.
        load: Every organisation's active projects (updated).
        changed: Whether each organisation's load changed (updated; one more
            entry, the empty slots' sentinel, stays False).
    """
    k, slots = members.shape
    for i in range(k):
        for s in range(slots):
            m = members[i, s]
            if m >= 0:
                load[m] += change
                changed[m] = True


@_jit
def start_rows(
    start,
    stop,
    step,
    birth,
    death,
    backed_step,
    grant_steps_left,
    backed,
    deployed,
    cumulative_hazard,
    diversification_granted,
    grant_eur_per_step,
    last_value_eur,
    value_pv,
    resources_pv,
    private_pv,
    mobilised_pv,
    fund_pv,
):  # pragma: no cover - compiled
    """Set new rows' birth and state columns to their initial values, as `ProjectTable.add`.

    Args:
        start: First new row.
        stop: One past the last new row.
        step: Their birth step.
        birth: Column set to `step`.
        death: Column set to -1.
        backed_step: Column set to -1.
        grant_steps_left: Column set to 0.
        backed: Column set to False.
        deployed: Column set to False.
        cumulative_hazard: Column set to 0.
        diversification_granted: Column set to 0.
        grant_eur_per_step: Column set to 0.
        last_value_eur: Column set to 0.
        value_pv: Column set to 0.
        resources_pv: Column set to 0.
        private_pv: Column set to 0.
        mobilised_pv: Column set to 0.
        fund_pv: Column set to 0.
    """
    for r in range(start, stop):
        birth[r] = step
        death[r] = -1
        backed_step[r] = -1
        grant_steps_left[r] = 0
        backed[r] = False
        deployed[r] = False
        cumulative_hazard[r] = 0.0
        diversification_granted[r] = 0.0
        grant_eur_per_step[r] = 0.0
        last_value_eur[r] = 0.0
        value_pv[r] = 0.0
        resources_pv[r] = 0.0
        private_pv[r] = 0.0
        mobilised_pv[r] = 0.0
        fund_pv[r] = 0.0
