"""Simulations per second of the calibration's evaluator, and the full calibration it implies.

    python benchmarks/calibration_evaluator.py              # 16 posterior draws x 20 seeds
    python benchmarks/calibration_evaluator.py --draws 32

A full `alliance-calibrate` is almost all simulations: the default calibration
evaluated 6,400 parameter vectors on its 20 seeds in its posterior stage (128,000
worlds; the sampler decides how many, so this count is the report's) after a
first stage of at most 13 generations of 36 vectors on 6 seeds (2,808 worlds,
computed from the calibration's settings). This benchmark times the calibration's own evaluator
(`calibration.evaluation.Evaluator`: all cores, workers set up as
`alliance-calibrate` sets them up, compiled kernels) on the first posterior draws
of `configs/calibrated/posterior_draws.json` (every sampled parameter) over the
calibration's seeds, with an in-memory checkpoint, and prints simulations per
second and the minutes that the calibration's worlds would take at that rate. The
posterior's draws stand for the later stages of the sampler; its first stages,
drawn from the priors, hold larger and smaller worlds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The likelihood evaluations of the default calibration's posterior stage, as its
# report of 2026-12-07 counts them (the sampler decides how many; 20 worlds each).
POSTERIOR_EVALUATIONS = 6_400


def main() -> None:
    """Time the evaluator on posterior draws and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=16, help="posterior draws evaluated")
    args = parser.parse_args()

    import numpy as np

    from calibration.config import sampled_bounds
    from calibration.evaluation import Checkpoint, Evaluator
    from experiments.config.schema import load_calibration_config
    from experiments.process.startup import calibration_worker_setup

    config = load_calibration_config()
    settings = config.calibration
    paths = list(sampled_bounds(settings))
    saved = json.loads((ROOT / "configs/calibrated/posterior_draws.json").read_text())
    values = {**saved["calibrated"], **saved["uncertain"]}
    thetas = np.array([[values[path][d] for path in paths] for d in range(args.draws)])
    evaluator = Evaluator(
        config.run_config(),
        paths,
        settings.maturity_observation_year,
        Checkpoint(None, "benchmark"),
        settings.workers,
        worker_setup=calibration_worker_setup,
    )
    with evaluator:
        evaluator.moments(thetas[:1], settings.seeds[:2])  # start and warm the workers
        start = time.perf_counter()
        evaluator.moments(thetas, settings.seeds)
        seconds = time.perf_counter() - start
    worlds = args.draws * len(settings.seeds)
    rate = worlds / seconds
    first_stage = (  # differential evolution's initial population and generations, at most
        (settings.maxiter + 1)
        * settings.popsize
        * len(settings.parameters)
        * settings.optimiser_replicates
    )
    posterior = POSTERIOR_EVALUATIONS * len(settings.seeds)
    minutes = (first_stage + posterior) / rate / 60
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {evaluator.workers} workers"
    )
    print()
    print("| worlds | wall time (s) | simulations/s | the default calibration's worlds (min) |")
    print("|---:|---:|---:|---:|")
    print(f"| {worlds:,} | {seconds:.1f} | {rate:.1f} | {minutes:.0f} |")


if __name__ == "__main__":
    main()
