"""Posterior predictive check of `calibrated=posterior`; write predictive.md.

    python -m experiments.calibrating.predictive        # 30 draws x 6 seeds, about 3 min
    python -m experiments.calibrating.predictive --draws 100 --seeds 3
    python -m experiments.calibrating.predictive --calibrated-set --seeds 40  # the ceiling

With `--calibrated-set` every world runs the calibrated set itself (no draw): the
share of single worlds that round to a figure then measures the field's own
sampling noise, the ceiling of what any posterior could reach.

World (draw `d`, seed `s`) runs `alliance-run calibrated=posterior draw=d seed=s`
with seeds from 4000, which no calibration uses, and computes the calibration's
moments in it (the field's observed view). The check itself is
`calibration.predictive.predictive_check`.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from calibration.predictive import REPRODUCED_SHARE, predictive_check, predictive_table
from experiments.config.schema import PROJECT_ROOT, load_calibration_config
from experiments.storage.files import write_text_atomically

REPORT = PROJECT_ROOT / "docs" / "calibration" / "predictive.md"
CEILING = PROJECT_ROOT / "docs" / "calibration" / "predictive_calibrated_set.md"
FIRST_SEED = 4000


def one_world(job: tuple[int, int, float]) -> np.ndarray:
    """The moments of posterior draw `draw` in world `seed`."""
    from calibration.moments import simulate_moments
    from experiments import load_config

    draw, seed, year = job
    posterior = ["calibrated=posterior", f"draw={draw}"] if draw >= 0 else []
    return simulate_moments(load_config([*posterior, f"seed={seed}"]), year)


def main() -> None:
    """Run the worlds, check each figure, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument(
        "--calibrated-set", action="store_true", help="run the calibrated set, not draws"
    )
    args = parser.parse_args()
    calibration = load_calibration_config([])
    year = calibration.calibration.maturity_observation_year
    draws = [-1] if args.calibrated_set else list(range(args.draws))
    jobs = [(d, FIRST_SEED + s, year) for d in draws for s in range(args.seeds)]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        moments = np.array(list(pool.map(one_world, jobs)))
    moments = moments.reshape(len(draws), args.seeds, -1)
    rows = predictive_check(moments, calibration.targets, len(calibration.calibration.seeds))
    if args.calibrated_set:
        title = "# Predictive check at the calibrated set: the field's sampling noise"
        command = (
            f"python -m experiments.calibrating.predictive --calibrated-set --seeds {args.seeds}"
        )
        what = f"the calibrated set (`calibrated=default`) in {args.seeds} seeds"
    else:
        title = "# Posterior predictive check"
        command = (
            "python -m experiments.calibrating.predictive "
            f"--draws {args.draws} --seeds {args.seeds}"
        )
        what = f"{args.draws} draws of `calibrated=posterior` x {args.seeds} seeds"
    lines = [
        title,
        "",
        f"Written by `{command}`: {what} "
        f"(from {FIRST_SEED}, used by no calibration), {moments.shape[0] * moments.shape[1]} "
        "worlds, each one replicate of the field's single measurement "
        "(`calibration/predictive.py`). A world reproduces a figure reported as `v` to a "
        "precision `p` when its own figure is within `p / 2` of `v`; the bar is "
        f"{REPRODUCED_SHARE:.0%} of worlds for each figure.",
        "",
        *predictive_table(rows, judged=not args.calibrated_set),
        "",
        summary(rows, judged=not args.calibrated_set),
        "",
    ]
    write_text_atomically(CEILING if args.calibrated_set else REPORT, "\n".join(lines))
    print("\n".join(lines))


def summary(rows: list, judged: bool) -> str:
    """The verdict under the table: the 80 % bar, then what the field's data allow.

    Args:
        rows: The check's rows (`calibration.predictive.PredictiveRow`).
        judged: Whether draws are judged against what a correct posterior gives
            (false for the calibrated set alone, one draw).

    Returns:
        One paragraph.
    """
    failing = [r.moment for r in rows if not r.reproduced]
    if not failing:
        return "Every figure is reproduced by at least 80 % of draws."
    text = (
        f"Below the 80 % bar: {', '.join(failing)}. The maturity shares are reported to "
        "the percent for 81 territories, finer than their sampling noise (a territory is "
        "1.2 %), so their precision column is a strict reading; their tolerance column "
        "is the calibration's own."
    )
    if not judged:
        return text
    allowed = [r.moment for r in rows if not r.reproduced and r.as_data_allow]
    beyond = [r.moment for r in rows if not r.as_data_allow]
    if allowed:
        text += (
            f" Within what a correct posterior gives: {', '.join(allowed)}: one world's "
            "noise around its expectation (the field measured one) leaves no posterior "
            "consistent with the figure able to reach the bar (`calibration/predictive.py`)."
        )
    if beyond:
        text += (
            f" Below even that, by more than two binomial standard errors: "
            f"{', '.join(beyond)}: the draws spread wider than the field's data allow, or "
            "sit off its figure."
        )
    return text


if __name__ == "__main__":
    main()
