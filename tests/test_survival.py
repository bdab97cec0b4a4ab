import numpy as np
import pytest
from scipy import stats

from simulation.survival import kaplan_meier, restricted_mean_survival_time


def test_kaplan_meier_matches_a_hand_computed_case():
    # lifetimes 1, 2, 2+, 3, 4+  (+ = censored)
    # t=1: 5 at risk, 1 event -> S = 4/5
    # t=2: 4 at risk, 1 event (censored one still at risk) -> S = 4/5 * 3/4 = 3/5
    # t=3: 2 at risk, 1 event -> S = 3/5 * 1/2 = 3/10
    times, survival = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    np.testing.assert_array_equal(times, [1, 2, 3])
    np.testing.assert_allclose(survival, [0.8, 0.6, 0.3])


def test_rmst_matches_a_hand_computed_case():
    # area under 1 on [0,1), 0.8 on [1,2), 0.6 on [2,3), 0.3 on [3,3.5)
    rmst = restricted_mean_survival_time([1, 2, 2, 3, 4], [True, True, False, True, False], tau=3.5)
    assert rmst == pytest.approx(1 + 0.8 + 0.6 + 0.3 * 0.5)


def test_rmst_without_censoring_is_the_mean_of_lifetimes_cut_at_tau():
    lifetimes = np.array([1.0, 3.0, 4.0, 9.0])
    rmst = restricted_mean_survival_time(lifetimes, np.ones(4, dtype=bool), tau=5.0)
    assert rmst == pytest.approx(np.minimum(lifetimes, 5.0).mean())


def test_kaplan_meier_agrees_with_scipy():
    """Cross-check against an independent implementation (scipy.stats.ecdf)."""
    rng = np.random.default_rng(0)
    lifetimes = rng.integers(1, 30, size=500).astype(float)
    ended = rng.random(500) < 0.7
    times, survival = kaplan_meier(lifetimes, ended)
    reference = stats.ecdf(
        stats.CensoredData(uncensored=lifetimes[ended], right=lifetimes[~ended])
    ).sf
    np.testing.assert_allclose(survival, reference.evaluate(times), rtol=1e-12)


def test_rmst_of_nothing_is_nan():
    assert np.isnan(restricted_mean_survival_time([], [], tau=3.0))


def test_whole_step_lifetimes_counted_by_step_give_the_sorted_estimate_bit_for_bit(monkeypatch):
    import simulation.survival as survival

    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(1, 2000))
        durations = rng.integers(1, 60, n).astype(float)
        ended = rng.random(n) < 0.6
        weights = None if trial % 2 else rng.random(n) * rng.integers(0, 2, n)
        by_step = kaplan_meier(durations, ended, weights)
        with monkeypatch.context() as m:
            m.setattr(survival, "_BINS", 0)  # every lifetime to the sorted path
            sorted_ = kaplan_meier(durations, ended, weights)
        for a, b in zip(by_step, sorted_, strict=True):
            np.testing.assert_array_equal(a, b)
