import numpy as np
import pytest

from calibration.posterior import (
    next_temperature,
    reflect,
    sample_posterior,
    systematic_resample,
)


def test_smc_recovers_a_known_posterior():
    mean, sd = np.array([0.3, 2.0]), np.array([0.05, 0.3])

    def log_likelihood(theta):
        return -0.5 * (((theta - mean) / sd) ** 2).sum(axis=1)

    posterior = sample_posterior(
        log_likelihood,
        np.array([0.0, 0.0]),
        np.array([1.0, 5.0]),
        ["a", "b"],
        particles=400,
        moves=3,
        seed=1,
        progress=lambda _: None,
    )
    assert (np.abs(posterior.mean - mean) < 0.2 * sd).all()
    np.testing.assert_allclose(posterior.draws.std(axis=0), sd, rtol=0.2)
    assert posterior.temperatures[0] == 0.0 and posterior.temperatures[-1] == 1.0
    low, high = posterior.interval(0.9).T
    assert (low < mean).all() and (mean < high).all()


def test_the_sampler_is_repeatable():
    def log_likelihood(theta):
        return -0.5 * ((theta[:, 0] - 0.5) / 0.1) ** 2

    runs = [
        sample_posterior(log_likelihood, np.zeros(1), np.ones(1), ["a"], 64, 1, 7, lambda _: None)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].draws, runs[1].draws)


def test_the_next_temperature_halves_the_effective_sample_size():
    loglik = np.random.default_rng(0).normal(0.0, 5.0, 1000)
    beta = next_temperature(loglik, 0.0, 500)
    w = np.exp(beta * loglik - (beta * loglik).max())
    w /= w.sum()
    assert 1.0 / np.sum(w**2) == pytest.approx(500, rel=0.01)
    assert next_temperature(np.zeros(10), 0.3, 5) == 1.0


def test_systematic_resampling_follows_the_weights():
    weights = np.array([0.5, 0.25, 0.25, 0.0])
    chosen = systematic_resample(weights, np.random.default_rng(0))
    assert sorted(np.bincount(chosen, minlength=4)) == [0, 1, 1, 2]
    assert 3 not in chosen


def test_reflection_folds_points_back_into_the_box():
    lower, upper = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    x = np.array([[1.2, 0.5], [-0.3, 3.5], [0.4, 2.0]])
    np.testing.assert_allclose(reflect(x, lower, upper), [[0.8, 1.5], [0.3, 2.5], [0.4, 2.0]])


def test_more_draws_than_particles_are_moved_at_the_posterior():
    def log_likelihood(theta):
        return -0.5 * ((theta[:, 0] - 0.5) / 0.1) ** 2

    posterior = sample_posterior(
        log_likelihood, np.zeros(1), np.ones(1), ["a"], 64, 5, 3, lambda _: None, draws=150
    )
    assert posterior.draws.shape == (150, 1)
    assert len(np.unique(posterior.draws)) > 100  # not copies of 64 particles
    assert abs(posterior.mean[0] - 0.5) < 0.03


def test_particles_count_as_moved_after_the_steps_asked():
    from calibration.posterior import _resample_and_move

    rng = np.random.default_rng(0)
    theta = rng.random((50, 3))
    flat = np.zeros(50)
    every = np.full(50, 1 / 50)
    steps = {}
    for times in (1, 3):
        _, _, rate, used = _resample_and_move(
            theta,
            flat,
            every,
            50,
            1.0,
            np.zeros(3),
            np.ones(3),
            10,
            0.5,
            rng,
            lambda t: np.zeros(len(t)),
            times,
        )
        assert rate == 1.0  # a flat likelihood accepts every step
        steps[times] = used // 50
    assert steps == {1: 1, 3: 3}
