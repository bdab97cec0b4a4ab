"""Organisations' capacity: pillars shared between concurrent projects, starts forgone when busy.

An organisation's pillars (`Population.pillar_eur`) are what it can bring to
projects in one step. Two rules, each off by default (`model.production.
shared_pillars`, `model.emergence.project_capacity`), keep a project the fund
draws into existence, or keeps alive, from creating resources out of nothing:

- **shared pillars**: an organisation that is a member of `n` active projects
  brings `1/n` of its own and idle resources to each, so the resources it
  commits in a step never exceed its pillars; a project's own and mobilised
  resources, and its members' shares of its value, are recomputed every step
  from its members' current loads;
- **project capacity** `C`: an organisation already in `n` active projects
  starts a new one at `max(0, 1 - n / C)` times its start rate, so a busy
  organisation forgoes starts. The forgone starts are counted (`starts_forgone`),
  which measures crowding-out: the extra projects the fund's world starts against
  the starts its busier organisations forgo.

docs/model.md (7.10) argues both rules and the alternatives rejected.
"""

from __future__ import annotations

import numpy as np

from simulation.population import sum_components
from simulation.projects import member_shares


def memberships(members: np.ndarray, n_organisations: int) -> np.ndarray:
    """How many of the given projects each organisation is a member of.

    Args:
        members: Member organisations of the active projects, -1 for empty
            slots, shape (k, slots).
        n_organisations: Number of organisations.

    Returns:
        Counts, shape (n_organisations,).
    """
    present = members[members >= 0]
    return np.bincount(present, minlength=n_organisations)


def free_capacity(load: np.ndarray | int, capacity: float) -> np.ndarray | float:
    """Multiplier of the start rate of an organisation in `load` active projects.

    Args:
        load: Active projects the organisation is a member of.
        capacity: `C`, the number of concurrent projects that leaves no room for
            another; 0 means no limit.

    Returns:
        `max(0, 1 - load / C)`, or 1 without a limit.
    """
    if capacity <= 0:
        return np.ones_like(load, dtype=float) if isinstance(load, np.ndarray) else 1.0
    return np.clip(1.0 - np.asarray(load, dtype=float) / capacity, 0.0, None)


def shared_resources(
    members: np.ndarray,
    quality: np.ndarray,
    load: np.ndarray,
    pillar_eur: np.ndarray,
    mobilisation: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Own and mobilised resources of projects whose members share their pillars.

    Args:
        members: Member organisations, -1 for empty slots, shape (k, slots).
        quality: Each project's alliance quality `Q`, shape (k,).
        load: Active projects of each organisation (every member here counts at
            least this project), shape (n,).
        pillar_eur: The organisations' pillars (`Population.pillar_eur`), shape (n, 5):
            a member brings its own resources (human and financial, added in
            order) and its idle ones.
        mobilisation: `mu`, share of idle resources mobilised per unit of `Q`.

    Returns:
        Own resources and mobilised resources per project (EUR per step), and each
        member's share of the project's value (`projects.member_shares`), shape (k, slots).
    """
    present = members >= 0
    rows = np.where(present, members, 0)
    # Empty slots divide by infinity: they bring nothing.
    divisor = np.where(present, np.maximum(np.take(load, rows), 1), np.inf)
    brought = np.take(pillar_eur, rows, axis=0)
    own = sum_components(brought[:, :, :4]) / divisor
    mobilised = mobilisation * quality[:, None] * brought[:, :, 4] / divisor
    return sum_components(own), sum_components(mobilised), member_shares(own + mobilised)


def solo_own_resources(leads: np.ndarray, load: np.ndarray, pillar_eur: np.ndarray) -> np.ndarray:
    """Own resources of solo projects whose leads share their pillars.

    The own resources `shared_resources` gives a project without partners, bit
    for bit: its lead's own resources over its load (the empty slots add zeros).
    Its mobilised resources are 0 (its quality is 0) and its lead's share of the
    value 1, whatever the loads, as `emergence.emerge` set them at its birth.

    Args:
        leads: Lead organisation of each project, shape (k,).
        load: Active projects of each organisation, shape (n,).
        pillar_eur: The organisations' pillars, shape (n, 5).

    Returns:
        Own resources per project (EUR per step), shape (k,).
    """
    own = sum_components(np.take(pillar_eur, leads, axis=0)[:, :4])
    return own / np.maximum(np.take(load, leads), 1)
