"""Speed and memory of the model, printed as a Markdown table for docs/performance.md.

    python benchmarks/run_benchmarks.py            # all cases
    python benchmarks/run_benchmarks.py default    # one case

Each case runs in its own process, pinned to one thread, so that its peak
resident memory is its own. Figures: best wall time over the repeats, runs per
second, organisation-steps per second (organisations x steps x worlds / time).
A case's kernel (`simulation.kernel`) is numpy's unless it says "compiled": the
compiled default cases are timed as a sweep's worker runs them, once the kernels
are loaded (`experiments.process.startup.warm_kernels`); the national compiled
case pays numba's import and the loading in its one timed run, as a single run
from the command line would.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time

NATIONAL = {"n_territories": 1254, "n_organisations": 1_250_000}
CASES = {
    # name: (scenario overrides, repeats, whole run = treated + counterfactual + dataset?,
    #        kernel)
    "default, one world": ({}, 7, False, "numpy"),
    "default, run()": ({}, 5, True, "numpy"),
    "default, one world, compiled": ({}, 7, False, "compiled"),
    "default, run(), compiled": ({}, 5, True, "compiled"),
    "national, one world": (NATIONAL, 1, False, "numpy"),
    "national, run()": (NATIONAL, 1, True, "numpy"),
    "national, run(), compiled": (NATIONAL, 1, True, "compiled"),
}


def measure(name: str) -> dict:
    """Run one case in this process and return its figures."""
    overrides, repeats, whole, kernel_name = CASES[name]
    os.environ["ALLIANCE_KERNEL"] = kernel_name
    from experiments.process.startup import warm_kernels
    from simulation import AllianceModel, RunConfig, run
    from simulation.config import ScenarioConfig

    config = RunConfig(scenario=ScenarioConfig(**overrides))
    if repeats > 1:
        warm_kernels()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if whole:
            run(config)
        else:
            AllianceModel(config).run()
        times.append(time.perf_counter() - start)
    best = min(times)
    worlds = 2 if whole else 1
    scenario = config.scenario
    org_steps = scenario.n_organisations * scenario.n_steps * worlds
    return {
        "case": name,
        "organisations": scenario.n_organisations,
        "steps": scenario.n_steps,
        "seconds": best,
        "runs_per_second": 1.0 / best,
        "org_steps_per_second": org_steps / best,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Run the cases named on the command line (all by default) and print a table."""
    if len(sys.argv) == 3 and sys.argv[1] == "--in-process":
        print(json.dumps(measure(sys.argv[2])))
        return
    names = sys.argv[1:] or list(CASES)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, one thread per case"
    )
    print()
    print(
        "| case | organisations | steps | wall time (s) | runs/s | org-steps/s | peak memory (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--in-process", name],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {r['case']} | {r['organisations']:,} | {r['steps']} | {r['seconds']:.3f} | "
            f"{r['runs_per_second']:.2f} | {r['org_steps_per_second'] / 1e6:.1f} M | "
            f"{r['peak_memory_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
