import numpy as np

from simulation import AllianceModel
from simulation.landmarks import (
    MATCHES,
    QUALITY_CALIPER,
    TERRITORY_PENALTY,
    Landmarks,
    match_controls,
)

from .conftest import small_config
from .test_premium import table

# territories 0 and 1 are small, 2 is large
SIZE_CLASS = np.array([0, 0, 2])


def test_controls_are_nearest_in_quality_preferring_the_own_territory():
    q = 0.6
    projects = table(
        [
            dict(territory=0, birth=4, quality=q),  # 0: backed
            dict(territory=0, birth=4, quality=q - 0.8 * QUALITY_CALIPER),  # own, far-ish
            dict(territory=1, birth=4, quality=q - 0.2 * TERRITORY_PENALTY),  # peer, closer
            dict(territory=1, birth=4, quality=q - 0.02 - 2 * TERRITORY_PENALTY),  # peer, far
            dict(territory=0, birth=4, quality=q - 1.1 * QUALITY_CALIPER),  # outside caliper
            dict(territory=0, birth=10, quality=q),  # outside the cohort window
            dict(territory=2, birth=4, quality=q),  # other size class
            dict(territory=0, birth=3, quality=q - 0.001),  # own, nearest
        ]
    )
    controls, same = match_controls(projects, SIZE_CLASS, np.array([0]), np.arange(1, 8))
    assert MATCHES == 3
    # own territory 7 first; then 2 (closer than the penalty), then 1
    np.testing.assert_array_equal(controls, [[7, 2, 1]])
    assert same.tolist() == [True]


def test_a_backed_project_without_candidates_stays_unmatched():
    projects = table([dict(territory=2, birth=0, quality=0.9), dict(territory=0, quality=0.9)])
    controls, same = match_controls(projects, SIZE_CLASS, np.array([0]), np.array([1]))
    np.testing.assert_array_equal(controls, [[-1, -1, -1]])
    assert same.tolist() == [False]


def test_the_model_records_a_landmark_for_every_backed_project():
    model = AllianceModel(small_config(seed=1, budget_eur=5e5)).run()
    landmarks = model.landmarks.arrays()
    p = model.projects
    np.testing.assert_array_equal(np.sort(landmarks["backed"]), np.flatnonzero(p.column("backed")))
    np.testing.assert_array_equal(landmarks["step"], p.backed_step[landmarks["backed"]])
    controls = landmarks["controls"]
    found = controls[controls >= 0]
    assert found.size > 0
    # controls were alive, unbacked alliances at the landmark, old enough to be eligible
    step = np.broadcast_to(landmarks["step"][:, None], controls.shape)[controls >= 0]
    assert p.alliance[found].all()
    assert ((p.death[found] < 0) | (p.death[found] >= step)).all()
    assert ((p.backed_step[found] < 0) | (p.backed_step[found] > step)).all()
    assert (step - p.birth[found] >= model.config.fund.proof_of_concept_steps).all()
    # snapshots are what had accumulated before the landmark
    assert (landmarks["value_pv"][:, 0] <= p.value_pv[landmarks["backed"]]).all()


def test_no_backing_means_no_landmarks():
    assert Landmarks().arrays()["backed"].size == 0
