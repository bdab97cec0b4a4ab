"""Where a sweep job's writing time goes: each step of `write_done`, in a warm worker.

    python benchmarks/job_files.py             # 60 jobs of the strategy comparison
    python benchmarks/job_files.py --seeds 20  # 120

Plans a strategy comparison in a scratch folder, sets this process up as a sweep's
worker is (`init_simulation_worker`: the compiled kernels, warm), runs one
counterfactual group to warm it, then runs the rest as a worker's task does
(`worker.run_task`) with a timer around each step of writing a job's files:
building the `dataset.nc` bytes (and, within it, xarray's CF encoding), their
SHA-256, writing them, the `run.log` summary, and the atomic writes of `run.log`
and `job.json`. Prints milliseconds per job and the write share of the job's
compute, as `benchmarks/sweeps.py` reports it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import sweeps  # this folder's benchmark: its planning


def main() -> None:
    """Time each step of writing a job's files and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per strategy (6 strategies)")
    args = parser.parse_args()

    from experiments.process.startup import init_simulation_worker
    from experiments.reports import summary
    from experiments.sweep import jobs, runfile, worker

    steps = (
        "dataset.nc: build the bytes",
        "  of which xarray's CF encoding",
        "dataset.nc: SHA-256",
        "dataset.nc: write",
        "run.log: the summary",
        "run.log and job.json: atomic writes",
    )
    seconds: dict[str, float] = dict.fromkeys(steps, 0.0)

    def timed(module: object, name: str, step: str) -> None:
        original = getattr(module, name)

        def wrapper(*positional: object, **named: object) -> object:
            start = time.perf_counter()
            try:
                return original(*positional, **named)
            finally:
                seconds[step] += time.perf_counter() - start

        setattr(module, name, wrapper)

    scratch = Path(tempfile.mkdtemp(prefix="job-files-"))
    try:
        _, planned = sweeps.planned(args.seeds, scratch / "sweep")
        init_simulation_worker()
        worker.run_task(planned[:6])  # one counterfactual group: warm
        patched = (
            (runfile, "run_file_bytes"),
            (runfile, "encoded_variables"),
            (runfile.hashlib, "sha256"),
            (runfile.Path, "write_bytes"),
            (summary, "summary"),
            (jobs, "write_text_atomically"),
        )
        for (module, name), step in zip(patched, steps, strict=True):
            timed(module, name, step)
        outcomes = worker.run_task(planned[6:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    count = len(outcomes)
    writing = sum(o.write_seconds for o in outcomes) / count
    compute = sum(o.seconds for o in outcomes) / count - writing
    print(f"{count} jobs; per job:")
    print("| step | ms |")
    print("|---|---:|")
    for step, total in seconds.items():
        print(f"| {step} | {total / count * 1e3:.2f} |")
    print(f"| writing a job's files (write_done) | {writing * 1e3:.2f} |")
    print(f"| the job's compute (shared counterfactual included) | {compute * 1e3:.1f} |")
    print(f"write share: {writing / compute:.1%} of the compute")


if __name__ == "__main__":
    main()
