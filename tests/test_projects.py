import numpy as np

from simulation.config import ProductionConfig, SurvivalConfig
from simulation.projects import diversification, hazard, value_per_eur


def test_zero_quality_gives_no_frugality_gain():
    cfg = ProductionConfig(frugality_gain=3.0)
    fragility = np.array([0.2, 0.7])
    solo = value_per_eur(np.zeros(2), fragility, cfg)
    np.testing.assert_array_equal(solo, cfg.productivity * (0.5 + fragility))
    assert (value_per_eur(np.full(2, 0.5), fragility, cfg) > solo).all()


def test_hazard_falls_with_quality_diversification_and_backing():
    cfg = SurvivalConfig()
    base = hazard(np.array([0.0]), np.array([0.0]), np.array([False]), cfg)[0]
    assert base == cfg.base_hazard
    assert hazard(np.array([0.5]), np.array([0.0]), np.array([False]), cfg)[0] < base
    assert hazard(np.array([0.0]), np.array([0.5]), np.array([False]), cfg)[0] < base
    backed = hazard(np.array([0.0]), np.array([0.0]), np.array([True]), cfg)[0]
    assert backed == base * cfg.backing_hazard_factor


def test_diversification_is_zero_for_one_source_and_grows_with_spread():
    one = diversification(np.array([[5.0, 0.0, 0.0, 0.0]]))[0]
    two = diversification(np.array([[5.0, 5.0, 0.0, 0.0]]))[0]
    four = diversification(np.array([[5.0, 5.0, 5.0, 5.0]]))[0]
    assert one == 0.0
    assert two == 0.5
    assert four == 0.75


def dirty_table(capacity: int = 8):
    """An empty table whose reserve holds garbage, as reused memory may."""
    from dataclasses import fields

    from simulation.projects import ProjectTable

    table = ProjectTable.empty(max_members=3, capacity=capacity)
    for f in fields(table):
        if f.name != "size":
            getattr(table, f.name)[...] = 7
    return table


def test_blank_rows_hold_their_initial_values_whatever_the_reserve_held():
    from simulation.config import PROFILES

    table = dirty_table()
    rows = table.add_blank(3)
    assert table.size == 3 and rows == slice(0, 3)
    for name in ("death", "backed_step"):
        assert (table.column(name) == -1).all()
    assert (table.column("members") == -1).all()
    assert (table.column("member_profile") == len(PROFILES)).all()
    assert not table.column("backed").any()
    assert (table.column("value_pv") == 0).all() and (table.column("birth") == 0).all()


def test_added_projects_start_unbacked_alive_and_with_nothing_accumulated():
    from dataclasses import fields

    from simulation.projects import NewProjects

    table = dirty_table()
    new = NewProjects(**{f.name: np.zeros(2) for f in fields(NewProjects)})
    new.members = np.zeros((2, 3), dtype=np.int64)
    new.member_share = np.zeros((2, 3))
    new.member_profile = np.zeros((2, 3), dtype=np.int8)
    rows = table.add(new, step=5)
    np.testing.assert_array_equal(rows, [0, 1])
    assert (table.column("birth") == 5).all()
    assert (table.column("death") == -1).all() and (table.column("backed_step") == -1).all()
    assert not table.column("backed").any() and not table.column("deployed").any()
    for name in ("cumulative_hazard", "grant_steps_left", "value_pv", "fund_pv", "last_value_eur"):
        assert (table.column(name) == 0).all(), name


def _owner(array: np.ndarray) -> object:
    """The object that owns an array's memory, past its views."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    owner = array.base
    return owner.obj if isinstance(owner, memoryview) else owner


def test_large_columns_are_mapped_without_numpys_huge_page_advice():
    import mmap

    from simulation.projects import _MAPPED_FROM, ProjectTable, _empty

    large = _empty((_MAPPED_FROM // 8 + 1, 2), np.int64)
    assert isinstance(_owner(large), mmap.mmap)
    assert large.flags.writeable and large.flags.c_contiguous
    assert large.shape == (_MAPPED_FROM // 8 + 1, 2) and large.dtype == np.int64
    assert _owner(_empty((16,), np.float64)) is None  # small: numpy's own allocation

    table = ProjectTable.empty(max_members=4, capacity=_MAPPED_FROM // 8)
    assert isinstance(_owner(table.value_pv), mmap.mmap)
    rows = table.add_blank(3)
    table.value_pv[rows] = 1.5
    table._grow(2 * table.capacity)  # the rows in use move to new mapped columns
    assert isinstance(_owner(table.value_pv), mmap.mmap)
    np.testing.assert_array_equal(table.column("value_pv"), [1.5, 1.5, 1.5])
    np.testing.assert_array_equal(table.column("members"), -1)
