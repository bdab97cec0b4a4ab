"""Where a step of the national world goes, against a kernel that only streams its bytes.

    python benchmarks/step_profile.py                   # national world (1.25 M organisations)
    python benchmarks/step_profile.py --organisations 100000
    ALLIANCE_KERNEL=compiled python benchmarks/step_profile.py --organisations 10000

Runs one world (the treated one: the fund acts) and times each phase of every
step (on the compiled kernels under `ALLIANCE_KERNEL=compiled`, loaded before the
world starts, as a sweep's worker has them) by wrapping the functions
`AllianceModel.step` calls, then prints a Markdown table: milliseconds per
step and share of the step for each phase, organisation-steps per second, peak
memory. Beside it, the memory floor: a
numpy kernel that reads and writes the bytes a step must touch (`--bytes`, 72
per organisation: profile, territory, alliance capital and the active projects'
columns) and nothing else, so that "the model is N times its floor" is measured
on this machine, not assumed.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from collections import defaultdict

import numpy as np

PHASES = {
    # phase: (object in simulation.model's namespace or the model, attribute)
    "fund allocation": ("fund", "allocate"),
    "territories (engineering, commons, maturity)": ("module", "advance_territories"),
    "who starts (and starts forgone)": ("module", "starters"),
    "emergence (with whom, quality, resources)": ("module", "emerge"),
    "new rows in the project table": ("projects", "add"),
    "fund backs alliances": ("fund", "back_projects"),
    "shared pillars (resources from members' loads)": ("model", "_share_pillars"),
    "production (value, resources)": ("model", "_produce"),
    "survival (hazard, deaths)": ("model", "_survive"),
    "learning (trust, capital)": ("model", "_learn"),
    "recording": ("recorder", "record"),
}


def timed(function, phase: str, totals: dict):
    """`function`, adding its wall time to `totals[phase]`."""

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[phase] += time.perf_counter() - start

    return wrapper


def profile_world(n_organisations: int) -> tuple[dict, float, int]:
    """Per-phase seconds over one world's steps, the steps' total and the step count."""
    import simulation.model as module
    from simulation.config import RunConfig, ScenarioConfig

    scenario = ScenarioConfig(
        n_territories=max(81, n_organisations // 1000), n_organisations=n_organisations
    )
    from experiments.process.startup import warm_kernels

    warm_kernels()  # the compiled kernels' loading, where they run, is not a step's
    totals: dict = defaultdict(float)
    originals = {
        name: getattr(module, name) for _, (where, name) in PHASES.items() if where == "module"
    }
    for phase, (where, name) in PHASES.items():
        if where == "module":
            setattr(module, name, timed(originals[name], phase, totals))
    try:
        model = module.AllianceModel(RunConfig(scenario=scenario))
        for phase, (where, name) in PHASES.items():
            owner = model if where == "model" else getattr(model, where, None)
            if owner is not None and where != "module":
                setattr(owner, name, timed(getattr(owner, name), phase, totals))
        start = time.perf_counter()
        model.run()
        steps_total = time.perf_counter() - start
    finally:
        for name, function in originals.items():
            setattr(module, name, function)
    return dict(totals), steps_total, scenario.n_steps


def streaming_floor(n_organisations: int, n_steps: int, bytes_per_organisation: int) -> float:
    """Seconds for a numpy kernel that reads and writes `bytes_per_organisation` per step.

    Half the bytes are read from float64 columns and added into the other half
    in place: every byte is touched once a step and no temporary is made.
    """
    n_columns = max(2, bytes_per_organisation // 8)
    columns = [np.ones(n_organisations) for _ in range(n_columns)]
    start = time.perf_counter()
    for _ in range(n_steps):
        for j in range(0, n_columns - 1, 2):
            np.add(columns[j], columns[j + 1], out=columns[j])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=1_250_000)
    parser.add_argument(
        "--bytes", type=int, default=72, help="bytes a step must touch per organisation"
    )
    args = parser.parse_args()

    totals, steps_total, n_steps = profile_world(args.organisations)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    floor = streaming_floor(args.organisations, n_steps, args.bytes)
    per_step = 1e3 / n_steps
    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, numpy {np.__version__}")
    print(f"{args.organisations:,} organisations, {n_steps} steps, one world\n")
    print("| phase | ms per step | share of the step |")
    print("|---|---|---|")
    for phase in PHASES:
        seconds = totals.get(phase, 0.0)
        print(f"| {phase} | {seconds * per_step:.3f} | {seconds / steps_total:.0%} |")
    other = steps_total - sum(totals.values())
    print(
        f"| the rest (step dispatch, gathers between phases) | {other * per_step:.3f} "
        f"| {other / steps_total:.0%} |"
    )
    print(f"| **all steps** | **{steps_total * per_step:.3f}** | 100% |")
    print()
    print(
        f"- organisation-steps per second: {args.organisations * n_steps / steps_total / 1e6:.1f} M"
    )
    print(f"- peak memory: {peak:,.0f} MB")
    print(
        f"- streaming floor ({args.bytes} bytes per organisation-step): {floor:.2f} s for the "
        f"world's steps; the model takes {steps_total:.2f} s, {steps_total / floor:.1f}x the floor"
    )


if __name__ == "__main__":
    main()
