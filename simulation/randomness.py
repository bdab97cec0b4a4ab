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

import functools
from types import ModuleType

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SLOT = np.uint64(0xD1B54A32D192ED03)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_MASK64 = 2**64 - 1  # Python integers wrap as uint64 do once masked with it
_TO_UNIT = 2.0**-53
_UNIT_BITS = 11  # a draw keeps the top 53 of its 64 bits
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
# Organisations hashed per block by `draws_below`: its temporaries (two uint64
# arrays and a mask) stay in the core's cache instead of streaming through memory.
BLOCK = 32_768

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


def _mix_int(x: int) -> int:
    """`_mix` on one Python integer in [0, 2^64): the same bits, without numpy's dispatch."""
    x = ((x ^ (x >> 30)) * int(_MUL1)) & _MASK64
    x = ((x ^ (x >> 27)) * int(_MUL2)) & _MASK64
    return x ^ (x >> 31)


def _mix_inplace(x: np.ndarray, scratch: np.ndarray) -> None:
    """`_mix` computed in `x` itself, with `scratch` (same shape) as its only temporary."""
    for shift, multiplier in zip(_SHIFTS, (_MUL1, _MUL2, None), strict=True):
        np.right_shift(x, shift, out=scratch)
        np.bitwise_xor(x, scratch, out=x)
        if multiplier is not None:
            np.multiply(x, multiplier, out=x)


def threshold_bits(probability: np.ndarray) -> np.ndarray:
    """Integer thresholds `T` such that `uniform < p` exactly when `top53 < T`.

    A draw is `u = k 2^-53` with `k` its top 53 bits, so `u < p` if and only if
    `k < p 2^53`, and, `k` being an integer, if and only if `k < ceil(p 2^53)`.
    Scaling by a power of two is exact, so the comparison in integers gives the
    same answer as the comparison in floats, bit for bit.

    Args:
        probability: Probabilities (any shape); values outside [0, 1] are clipped.

    Returns:
        uint64 thresholds, same shape.
    """
    scaled = np.ceil(np.clip(probability, 0.0, 1.0) * 2.0**53)
    return scaled.astype(np.uint64)


@functools.lru_cache(maxsize=1)
def _ids_times_golden(n: int) -> np.ndarray:
    """`id * golden` of the entities `0..n-1`, computed once per world size.

    Kept for the last size asked, so a world and its counterfactual share one
    array (10 MB in a national world). Read only.
    """
    ids_golden = np.arange(n, dtype=np.uint64) * _GOLDEN
    ids_golden.flags.writeable = False
    return ids_golden


@functools.lru_cache(maxsize=4096)
def _base_bits(key: int, step: int, slot: int) -> np.uint64:
    """`RandomStreams._base` of one mechanism's key, remembered.

    The treated world and its counterfactual (the same seed, so the same keys)
    ask for the same ones.
    """
    return np.uint64(_mix_int((key + step * int(_GOLDEN) + slot * int(_SLOT)) & _MASK64))


class RandomStreams:
    """Counter-based uniform draws, one independent stream per mechanism.

    Args:
        rng: The model's seeded generator; only its first draws are used, to make
            one key per mechanism.
        kernels: The compiled kernels (`kernel.select`), or None for numpy's: the
            same draws either way.
    """

    def __init__(self, rng: np.random.Generator, kernels: ModuleType | None = None) -> None:
        self.kernels = kernels
        keys = rng.integers(0, 2**63, size=len(MECHANISMS), dtype=np.uint64)
        self._keys = dict(zip(MECHANISMS, keys, strict=True))
        self._int_keys = {mechanism: int(key) for mechanism, key in self._keys.items()}
        self._scratch = (np.empty(BLOCK, dtype=np.uint64), np.empty(BLOCK, dtype=np.uint64))

    def _base(self, mechanism: str, step: int, slot: int = 0) -> np.uint64:
        """The per-(mechanism, step, slot) part of every draw's hash.

        Computed on Python integers masked to 64 bits, which wrap exactly as
        uint64 arithmetic does: the same number as `_mix` on arrays, in a few
        hundred nanoseconds instead of a dozen numpy calls.
        """
        return _base_bits(self._int_keys[mechanism], step, slot)

    def draws_below(
        self,
        mechanism: str,
        step: int,
        probability: np.ndarray,
        index: np.ndarray,
        thresholds: np.ndarray | None = None,
    ) -> np.ndarray:
        """Entities `0..n-1` whose draw falls below their probability: `uniform(...) < p`.

        The same answer as `uniform(mechanism, step, arange(n)) < probability[index]`,
        bit for bit, in one pass over blocks that stay in cache: the entities'
        `id * golden` is computed once per world size, each draw is hashed in
        place, and compared in integers (`threshold_bits`) without making floats.

        Args:
            mechanism: One of `MECHANISMS`.
            step: The step the draws belong to.
            probability: A small table of probabilities (read flattened).
            index: For each entity, its position in the flattened table, shape (n,).
            thresholds: `threshold_bits(probability).ravel()`, when the caller
                has them already.

        Returns:
            The entities whose draw is below their probability, ascending.
        """
        n = index.size
        if thresholds is None:
            thresholds = threshold_bits(probability).ravel()
        base = self._base(mechanism, step)
        if self.kernels is not None:
            found = np.empty(n, dtype=np.int64)
            return found[: self.kernels.draws_below(base, thresholds, index, found)]
        ids_golden = _ids_times_golden(n)
        below = np.empty(n, dtype=bool)
        x_all, scratch_all = self._scratch
        unit = np.uint64(_UNIT_BITS)
        for start in range(0, n, BLOCK):
            stop = min(n, start + BLOCK)
            x, scratch = x_all[: stop - start], scratch_all[: stop - start]
            np.add(ids_golden[start:stop], base, out=x)
            _mix_inplace(x, scratch)
            np.bitwise_xor(x, base, out=x)
            _mix_inplace(x, scratch)
            np.right_shift(x, unit, out=x)
            np.take(thresholds, index[start:stop], out=scratch)
            np.less(x, scratch, out=below[start:stop])
        return np.flatnonzero(below)

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
        return self.uniforms((mechanism,), step, entities, slot)[0]

    def uniforms(
        self, mechanisms: tuple[str, ...], step: int, entities: np.ndarray, slot: int = 0
    ) -> np.ndarray:
        """`uniform` for several mechanisms at once: the same numbers, in one pass.

        Args:
            mechanisms: Some of `MECHANISMS`.
            step: The step (or birth step) the draws belong to.
            entities: Integer ids, shape (k,).
            slot: Distinguishes several draws for the same entity and step.

        Returns:
            Shape (len(mechanisms), *entities.shape); row `i` equals
            `uniform(mechanisms[i], step, entities, slot)`.
        """
        base = np.array([self._base(m, step, slot) for m in mechanisms], dtype=np.uint64)[:, None]
        if self.kernels is not None and np.ndim(entities) == 1:
            return self.kernels.unit_draws(entities, base[:, 0])
        ids = np.asarray(entities, dtype=np.uint64)
        ids_golden = np.multiply(ids.ravel(), _GOLDEN)
        return _unit_draws(ids_golden[None, :], base).reshape(len(mechanisms), *ids.shape)

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
        ids_golden = np.multiply(np.asarray(entities, dtype=np.uint64), _GOLDEN)
        return _unit_draws(ids_golden[:, None], self.bases(mechanism, step, slots)[None, :])

    def bases(self, mechanism: str, step: int, slots: int) -> np.ndarray:
        """The bases (`_base`) of slots 0..slots-1 of one mechanism and step.

        Args:
            mechanism: One of `MECHANISMS`.
            step: The step the draws belong to.
            slots: Number of slots.

        Returns:
            uint64, shape (slots,).
        """
        if self.kernels is not None:
            return self.kernels.slot_bases(self._keys[mechanism], step, slots)
        return np.array([self._base(mechanism, step, slot) for slot in range(slots)], np.uint64)


def _unit_draws(ids_golden: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Uniform draws `mix(mix(id * golden + base) ^ base)`, top 53 bits, in [0, 1).

    Args:
        ids_golden: `id * golden` of the entities, broadcast against `base`.
        base: Per-(mechanism, step, slot) bases (`RandomStreams._base`).

    Returns:
        float64, of the broadcast shape; hashed in place, with one temporary.
    """
    bits = np.add(ids_golden, base)
    scratch = np.empty_like(bits)
    _mix_inplace(bits, scratch)
    np.bitwise_xor(bits, base, out=bits)
    _mix_inplace(bits, scratch)
    np.right_shift(bits, np.uint64(_UNIT_BITS), out=bits)
    draws = bits.astype(np.float64)
    return np.multiply(draws, _TO_UNIT, out=draws)
