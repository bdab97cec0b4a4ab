"""One `alliance-run` of the default world against its floor: numpy and its simulation.

    python benchmarks/startup.py              # 9 rounds (about 20 s)
    python benchmarks/startup.py --rounds 21
    python benchmarks/startup.py --importtime # also the slowest imports of one alliance-run

The floor is what any run must pay: an interpreter that imports numpy
(`python -c "import numpy"`) plus the run's own simulation, `run()` of the
composed default configuration timed in a warm process (the median of several).
The two commands run in turn, each round in a fresh scratch folder, so that a
drift in the machine's speed touches both; the figures are medians of wall
times. Issue 23's target: `alliance-run` within 3x of its floor.

`--importtime` prints the top-level imports of one `alliance-run` with `python -X
importtime` (cumulative ms), and where the heavy libraries come in. Both of its
processes print theirs: the command (Hydra, the configuration) and the helper it
forks at start (`experiments.process.forked`: Mesa, pandas, xarray, netCDF4), which
import side by side. The helper is forked only beside a free core (a load average
below the cores minus a half): run this on an otherwise idle machine; the load
averages before and after are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = (
    "numpy",
    "hydra",
    "omegaconf",
    "mesa.model",
    "mesa.discrete_space",
    "pandas",
    "xarray",
    "netCDF4",
    "scipy.spatial",
    "networkx",
)


def simulation_seconds(repeats: int) -> float:
    """Median wall time of `run()` of `alliance-run`'s default configuration, warm."""
    script = (
        "import json, statistics, time\n"
        "from experiments.config.schema import load_config\n"
        "from simulation import run\n"
        "config = load_config()\n"
        "run(config)\n"
        "times = []\n"
        f"for _ in range({repeats}):\n"
        "    start = time.perf_counter()\n"
        "    run(config)\n"
        "    times.append(time.perf_counter() - start)\n"
        "print(json.dumps(statistics.median(times)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def wall(command: list[str], cwd: Path) -> float:
    """Wall time of one command, in `cwd` (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


def rounds(n: int) -> tuple[list[float], list[float]]:
    """`alliance-run` and `python -c "import numpy"` in turn, n times each (after one of each)."""
    runs, numpy = [], []
    for index in range(n + 1):
        folder = Path(tempfile.mkdtemp(prefix="alliance-startup-"))
        try:
            a = wall([str(BIN / "alliance-run")], folder)
            b = wall([sys.executable, "-c", "import numpy"], folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if index:  # the first round warms the file cache
            runs.append(a)
            numpy.append(b)
    return runs, numpy


def importtime(top: int = 12) -> None:
    """The top-level imports of one `alliance-run` (cumulative ms), from `-X importtime`."""
    folder = Path(tempfile.mkdtemp(prefix="alliance-startup-"))
    try:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(BIN / "alliance-run")],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = []  # (cumulative us, depth, name)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(cumulative), depth, name.strip()))
    outer = min(depth for _, depth, _ in rows)
    print(f"\nslowest top-level imports of one alliance-run (python -X importtime, ms; {top}):")
    for cumulative, _, name in sorted(r for r in rows if r[1] == outer)[::-1][:top]:
        print(f"  {cumulative / 1000:7.1f}  {name}")
    print("the heavy libraries (cumulative ms of their own import):")
    for library in HEAVY:
        found = [r for r in rows if r[2] == library]
        figure = f"{found[0][0] / 1000:7.1f}" if found else "    not imported"
        print(f"  {library:20s} {figure}")


def main() -> None:
    """Measure and print the figures of issue 23, item 3."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=9, help="run() repeats, in one process")
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    os.environ.pop("PYTHONPROFILEIMPORTTIME", None)
    before = os.getloadavg()[0]
    simulate = simulation_seconds(args.repeats)
    runs, numpy = rounds(args.rounds)
    run_s, numpy_s = statistics.median(runs), statistics.median(numpy)
    floor = numpy_s + simulate
    print(f"alliance-run (default world), median of {args.rounds}: {run_s:.3f} s")
    print(f'python -c "import numpy", median of {args.rounds}:  {numpy_s:.3f} s')
    print(f"run() of the same world, warm, median of {args.repeats}: {simulate:.3f} s")
    print(f"alliance-run / (numpy + run()): {run_s / floor:.2f}x (target: 3x or less)")
    print(f"load average (1 min): {before:.2f} before, {os.getloadavg()[0]:.2f} after")
    if args.importtime:
        importtime()


if __name__ == "__main__":
    main()
