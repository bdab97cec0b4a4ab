import numpy as np

from simulation.randomness import RandomStreams


def streams(seed: int) -> RandomStreams:
    return RandomStreams(np.random.default_rng(seed))


def test_draws_are_uniform_and_independent_across_steps_and_slots():
    s = streams(7)
    ids = np.arange(200_000)
    u = s.uniform("emergence", 3, ids)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005
    assert abs(u.var() - 1 / 12) < 0.002
    for other in (
        s.uniform("emergence", 4, ids),
        s.uniform("emergence", 3, ids, slot=1),
        s.uniform("mode", 3, ids),
    ):
        assert abs(np.corrcoef(u, other)[0, 1]) < 0.01


def test_a_draw_depends_only_on_its_key_not_on_other_entities():
    """Common random numbers: an entity's draw is the same whoever else draws."""
    s = streams(7)
    everyone = s.uniform("partners", 5, np.arange(1000), slot=2)
    some = s.uniform("partners", 5, np.array([999, 3, 500]), slot=2)
    np.testing.assert_array_equal(some, everyone[[999, 3, 500]])


def test_seed_decides_the_numbers():
    ids = np.arange(100)
    np.testing.assert_array_equal(
        streams(1).uniform("lifetime", 0, ids), streams(1).uniform("lifetime", 0, ids)
    )
    assert not np.array_equal(
        streams(1).uniform("lifetime", 0, ids), streams(2).uniform("lifetime", 0, ids)
    )


def test_all_slots_at_once_are_the_same_numbers_as_one_slot_at_a_time():
    streams = RandomStreams(np.random.default_rng(3))
    ids = np.array([0, 5, 17, 999, 2**40])
    table = streams.uniform_slots("partners", 7, ids, 6)
    assert table.shape == (5, 6)
    for slot in range(6):
        np.testing.assert_array_equal(table[:, slot], streams.uniform("partners", 7, ids, slot))


def test_integer_thresholds_compare_exactly_as_the_floats_do():
    from simulation.randomness import threshold_bits

    rng = np.random.default_rng(0)
    k = rng.integers(0, 2**53, size=200_000, dtype=np.uint64)
    u = k.astype(np.float64) * 2.0**-53
    # Random probabilities, and probabilities sitting exactly on a draw or next to it.
    p = np.concatenate([rng.random(100_000), u[:50_000], np.nextafter(u[50_000:100_000], 1.0)])
    p = np.concatenate([p, [0.0, 1.0, 1.0 - 2.0**-53, 2.0**-53, 1e-300]])
    k = np.resize(k, p.size)
    u = k.astype(np.float64) * 2.0**-53
    np.testing.assert_array_equal(k < threshold_bits(p), u < p)


def test_draws_below_gives_the_floats_comparison_bit_for_bit():
    """Blocked, in place, in integers: the same organisations as `uniform < p`."""
    from simulation.randomness import BLOCK

    s = streams(11)
    n = 2 * BLOCK + 123  # whole blocks and a partial one
    rng = np.random.default_rng(1)
    table = np.concatenate([rng.random(40) * 0.1, [0.0, 1.0]])
    index = rng.integers(0, table.size, size=n)
    for step in (0, 7):
        expected = np.flatnonzero(s.uniform("emergence", step, np.arange(n)) < table[index])
        np.testing.assert_array_equal(s.draws_below("emergence", step, table, index), expected)


def test_uniforms_of_several_mechanisms_equal_the_hash_on_arrays_bit_for_bit():
    """`uniforms` (one pass, keys hashed on Python integers) against the formula on arrays."""
    from simulation.randomness import _GOLDEN, _SLOT, MECHANISMS, _mix

    s = streams(11)
    ids = np.array([0, 1, 7, 2**40, 123_456_789], dtype=np.int64)
    for step, slot in ((0, 0), (39, 0), (2**33, 5)):
        both = s.uniforms(MECHANISMS, step, ids, slot)
        for i, mechanism in enumerate(MECHANISMS):
            key, step_, slot_ = np.array([s._keys[mechanism], step, slot], dtype=np.uint64)
            with np.errstate(over="ignore"):
                base = _mix(np.array([key + step_ * _GOLDEN + slot_ * _SLOT]))[0]
            bits = _mix(_mix(ids.astype(np.uint64) * _GOLDEN + base) ^ base)
            expected = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
            np.testing.assert_array_equal(both[i], expected)
            np.testing.assert_array_equal(s.uniform(mechanism, step, ids, slot), expected)
    assert s.uniforms(("mode",), 3, ids.reshape(5, 1)).shape == (1, 5, 1)
