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
