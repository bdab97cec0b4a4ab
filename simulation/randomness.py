"""Keyed random numbers that make common random numbers exact.

The treated and the counterfactual world must see the same random number for the
same event (this organisation, at this step, deciding whether to start a project)
even when the fund has changed which other events happen. A sequential generator
cannot promise that: one extra draw shifts every later one. So each mechanism gets
a 64-bit key from the model's seeded `numpy.random.Generator` (Mesa's `rng`), and
every draw is a pure function of (key, step, entity, slot), mixed with the
SplitMix64 finaliser (Steele, Lea and Flood, 2014). The same function serves the
vectorised model and the per-agent reference implementation, which is what lets
the two agree number for number.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SLOT = np.uint64(0xD1B54A32D192ED03)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53

MECHANISMS: tuple[str, ...] = (
    "emergence",
    "mode",
    "partners",
    "domain",
    "lifetime",
    "maturity",
)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    x = (x ^ (x >> np.uint64(30))) * _MUL1
    x = (x ^ (x >> np.uint64(27))) * _MUL2
    return x ^ (x >> np.uint64(31))


class RandomStreams:
    """Counter-based uniform draws, one independent stream per mechanism.

    Args:
        rng: The model's seeded generator; only its first draws are used, to make
            one key per mechanism.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        keys = rng.integers(0, 2**63, size=len(MECHANISMS), dtype=np.uint64)
        self._keys = dict(zip(MECHANISMS, keys, strict=True))

    def uniform(self, mechanism: str, step: int, entities: np.ndarray, slot: int = 0) -> np.ndarray:
        """Uniform numbers in [0, 1), one per entity.

        Args:
            mechanism: One of `MECHANISMS`.
            step: The step (or birth step) the draw belongs to.
            entities: Integer ids (organisation or territory indices).
            slot: Distinguishes several draws for the same entity and step.

        Returns:
            Array of float64 with the shape of `entities`.
        """
        # One-element arrays, not scalars: numpy warns on scalar uint64 overflow.
        key, step_, slot_ = np.array([self._keys[mechanism], step, slot], dtype=np.uint64)[:, None]
        base = _mix(key + step_ * _GOLDEN + slot_ * _SLOT)
        ids = np.asarray(entities, dtype=np.uint64)
        bits = _mix(_mix(ids * _GOLDEN + base) ^ base)
        return (bits >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def uniform_slots(
        self, mechanism: str, step: int, entities: np.ndarray, slots: int
    ) -> np.ndarray:
        """`uniform` for slots 0..slots-1 at once: the same numbers, in one array.

        Args:
            mechanism: One of `MECHANISMS`.
            step: The step the draws belong to.
            entities: Integer ids, shape (k,).
            slots: Number of slots.

        Returns:
            Shape (k, slots); column `j` equals `uniform(mechanism, step, entities, j)`.
        """
        # One-element arrays, not scalars: numpy warns on scalar uint64 overflow.
        key, step_ = np.array([self._keys[mechanism], step], dtype=np.uint64)[:, None]
        slot_ = np.arange(slots, dtype=np.uint64)
        base = _mix(key + step_ * _GOLDEN + slot_ * _SLOT)[None, :]
        ids = np.asarray(entities, dtype=np.uint64)[:, None]
        bits = _mix(_mix(ids * _GOLDEN + base) ^ base)
        return (bits >> np.uint64(11)).astype(np.float64) * _TO_UNIT
