"""Speed of sweeps from the command line: run, re-run, merge, and one run's start-up.

    python benchmarks/sweeps.py                 # 1,002-run strategy comparison (about 2 min)
    python benchmarks/sweeps.py --seeds 20      # a quicker 120-run version
    python benchmarks/sweeps.py --merge 10000   # also a 10,000-run merge (about 4 GB on disk)

Prints a Markdown table: wall time, runs per second, CPU time per run (user +
system, the command and the processes it waited for) and peak memory (the
largest process, from getrusage) of each step. Every step is a fresh command, as
a user runs it, in a scratch folder. Then the sweep's profile: its serial parts
(the main process's start-up and planning, the workers' start-up), the compute
per job and the share of it spent writing the job's files, and what they
predict for 16 workers (`scaling_profile`), and the same runs' compute floor
(in-process compute over the cores) and a plain `multiprocessing.Pool.map` of
them, the two yardsticks a sweep is judged against.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(*command: str, cwd: Path) -> tuple[float, float, float]:
    """Run a command; return its wall time (s), peak memory (MB) and CPU time (s).

    The peak is GNU time's maximum resident set size: the largest of the command
    and the worker processes it waited for. The files of earlier steps are
    flushed to disk first, so that their writing does not slow this one. The CPU
    time is GNU time's user + system time, the waited-for processes included.
    """
    os.sync()
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M %U %S", *command],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak, user, system = result.stderr.strip().splitlines()[-1].split()
    return seconds, int(peak) / 1024, float(user) + float(system)


STRATEGIES = (
    "none",
    "uniform",
    "small_territories",
    "maturity_matched",
    "concentrated",
    "structural_heavy",
)


def planned(seeds: int, sweep_dir: Path) -> tuple[float, list]:
    """Plan a strategy comparison in this process: (seconds, the jobs to run).

    The main process's serial work: composing each of the 6 arms once, then
    validating, hashing and packing every job.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    from experiments.config.schema import CONFIG_DIR, register
    from experiments.sweep.execute import make_tasks
    from experiments.sweep.plan import plan_sweep

    register()
    jobs = [[f"fund/strategy={s}", f"seed={i}"] for s in STRATEGIES for i in range(seeds)]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        master = compose("config", return_hydra_config=True)
        with open_dict(master):
            master.hydra.sweep.dir = str(sweep_dir)
        loader = GlobalHydra.instance().config_loader()
        start = time.perf_counter()
        plan = plan_sweep(jobs, master, lambda o: loader.load_sweep_config(master, o))
        make_tasks(plan.to_run, 0)
        return time.perf_counter() - start, plan.to_run


def worker_start_seconds(runs: int) -> float:
    """Spawning one pool worker of a `runs`-run sweep and its set-up, on an idle core (median of 3).

    The set-up is the sweep's (`execute.worker_setup`): the imports a task needs,
    and, for a sweep of a dozen runs a worker or more, the compiled kernels' loading.
    """
    import multiprocessing

    from experiments.sweep.execute import WORKER_MODULES, worker_setup

    context = multiprocessing.get_context("spawn")
    setup = worker_setup(os.cpu_count() or 1, runs)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        with context.Pool(1, initializer=setup, initargs=WORKER_MODULES) as pool:
            pool.apply(int)
            times.append(time.perf_counter() - start)
    return sorted(times)[1]


def compute_seconds_per_job(jobs: list) -> tuple[float, float]:
    """Compute per job in a pool worker, as in a sweep: jobs sharing counterfactuals, files.

    The worker is set up as the sweep's are (`execute.worker_setup`: on the compiled
    kernels when each of the cores' workers has a dozen runs or more).

    Returns:
        The seconds per job (files included) and, of them, the seconds writing its
        files (`Outcome.write_seconds`: dataset, run.log, job.json).
    """
    import multiprocessing

    from experiments.sweep.execute import WORKER_MODULES, worker_setup
    from experiments.sweep.worker import run_task

    context = multiprocessing.get_context("spawn")
    setup = worker_setup(os.cpu_count() or 1, len(jobs))
    with context.Pool(1, initializer=setup, initargs=WORKER_MODULES) as pool:
        pool.apply(int)  # started
        os.sync()
        start = time.perf_counter()
        outcomes = pool.apply(run_task, (jobs,))
        seconds = (time.perf_counter() - start) / len(jobs)
        return seconds, sum(o.write_seconds for o in outcomes) / len(jobs)


def _run_one(config) -> None:
    """One run as a plain `Pool.map` task would do it: simulate and measure, no files."""
    from simulation.run import run

    run(config)


def floor_and_pool_seconds(jobs: list) -> tuple[float, float]:
    """The sweep's compute floor and a plain `multiprocessing.Pool.map` of the same runs.

    The floor is the in-process compute of every run (`simulation.run`, treated
    and counterfactual worlds, no files, this process already started, on the
    kernels the sweep's workers use: `execute.worker_setup`) divided by the cores.
    The `Pool.map` is what a user would write without the project's launcher: a
    pool of one process a core mapping `run` over the runs' configs (a plain
    process: numpy's kernels).
    """
    import multiprocessing

    from experiments.process.startup import init_simulation_worker, warm_kernels
    from experiments.sweep.execute import worker_setup
    from simulation import kernel
    from simulation.run import run

    configs = [spec.config.run_config() for spec in jobs]
    if worker_setup(os.cpu_count() or 1, len(jobs)) is init_simulation_worker:
        kernel.runs_many_worlds()
        warm_kernels()
    run(configs[0])  # warm
    start = time.perf_counter()
    for config in configs:
        run(config)
    floor = (time.perf_counter() - start) / (os.cpu_count() or 1)
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(os.cpu_count()) as pool:
        pool.map(_run_one, configs, chunksize=1)
    return floor, time.perf_counter() - start


def scaling_profile(
    runs: int, sweep_seconds: float, rerun_seconds: float, scratch: Path
) -> list[str]:
    """The serial and parallel parts of a sweep, measured here, and what they predict elsewhere.

    A sweep of `n` jobs on `w` workers takes about `A + max(P, S) + n t / w`:
    the main process's start-up `A` (imports, composing the sweep), its planning
    `P` (arms composed once, then every job validated and hashed), the workers'
    start-up `S` (overlapping `P`: they start first), and `t` the compute of one
    job in a worker, files included. The model is checked against the 2-core
    sweep measured above, then evaluated for 16 workers.
    """
    planned(2, scratch / "warm")  # imports and Hydra's caches, as in a real sweep
    small_seconds, _ = planned(10, scratch / "plan-small")
    large_seconds, jobs = planned(runs // 6, scratch / "plan-large")
    per_job = (large_seconds - small_seconds) / (runs - 60)
    arms = small_seconds - 60 * per_job
    start_up = rerun_seconds - large_seconds  # A: the re-run only starts and plans
    workers = worker_start_seconds(runs)
    # 10 seeds x 6 arms: each seed's arms share one counterfactual, as in the sweep
    per_run, writing = compute_seconds_per_job([job for job in jobs if job.config.seed < 10])

    def predicted(n: int, w: int) -> float:
        planning = arms + n * per_job
        return start_up + max(planning, workers) + n * per_run / w

    lines = [
        f"main process start-up A: {start_up:.2f} s (a complete sweep's re-run minus planning)",
        f"planning P: {arms:.2f} s for the 6 arms + {per_job * 1e3:.2f} ms per job "
        f"({large_seconds:.2f} s for {runs:,} jobs)",
        f"worker start-up S (spawn + imports, idle core): {workers:.2f} s",
        f"compute per job in a worker t (shared counterfactuals and files included): "
        f"{per_run * 1e3:.0f} ms",
        f"per-job write share: {writing * 1e3:.1f} ms of the job writing its files "
        f"(dataset.nc, run.log, job.json), {writing / (per_run - writing):.1%} of its compute",
        f"model A + max(P, S) + n t / w for the {runs:,}-run sweep on 2 workers: "
        f"{predicted(runs, 2):.1f} s (measured: {sweep_seconds:.1f} s)",
    ]
    for n in (runs, 10 * runs):
        two, sixteen = predicted(n, 2), predicted(n, 16)
        lines.append(
            f"predicted {n:,} runs: {two:.1f} s on 2 workers, {sixteen:.1f} s on 16: "
            f"{two / sixteen:.1f}x for 8x the cores"
        )
    return lines


def synthetic_sweep(source: Path, target: Path, copies: int) -> int:
    """`copies` x the runs of `source`, as new seeds: a big sweep to merge.

    Each copy is a run of its own as collect checks it: its dataset says its seed
    and overrides (rewritten with `write_run_file`), and its job.json records its
    folder and checksum.
    """
    from experiments.sweep.runfile import open_run, write_run_file

    count = 0
    for record_file in sorted(source.rglob("job.json")):
        record = json.loads(record_file.read_text())
        dataset = open_run(record_file.parent / "dataset.nc")
        first = int(record["seed"])
        for copy in range(copies):
            seed = first + 1_000_000 * copy
            overrides = [o for o in record["overrides"] if not o.startswith("seed=")]
            overrides.append(f"seed={seed}")
            subdir = f"copy{copy}/{record_file.parent.relative_to(source).as_posix()}"
            folder = target / subdir
            folder.mkdir(parents=True)
            dataset.attrs.update(seed=seed, hydra_overrides=" ".join(overrides), job_folder=subdir)
            digest = write_run_file(dataset, folder / "dataset.nc")
            new = {**record, "seed": seed, "overrides": overrides, "folder": subdir}
            (folder / "job.json").write_text(json.dumps({**new, "dataset": digest}))
            count += 1
    return count


def main() -> None:
    """Run the steps and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=167, help="seeds per strategy (167: 1,002)")
    parser.add_argument("--merge", type=int, default=0, help="also merge this many runs")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    sweep = scratch / "sweep"
    runs = 6 * args.seeds
    rows = []
    try:
        command = [
            str(BIN / "alliance-run"),
            "-m",
            "+experiment=strategy_comparison",
            f"seed=range(0,{args.seeds})",
            f"hydra.sweep.dir={sweep}",
        ]
        seconds, peak, cpu = timed(*command, cwd=scratch)
        rows.append((f"sweep of {runs:,} runs (strategy_comparison)", seconds, runs, cpu, peak))
        seconds, peak, cpu = timed(*command, cwd=scratch)
        rows.append((f"re-run of the complete sweep ({runs:,} skipped)", seconds, 0, cpu, peak))
        seconds, peak, cpu = timed(str(BIN / "alliance-collect"), str(sweep), cwd=scratch)
        rows.append((f"alliance-collect, {runs:,} runs", seconds, runs, cpu, peak))
        one = [
            timed(str(BIN / "alliance-run"), f"hydra.run.dir={scratch}/one{i}", cwd=scratch)
            for i in range(5)
        ]
        seconds = sorted(s for s, _, _ in one)[2]
        cpu = sorted(c for _, _, c in one)[2]
        single = ("one alliance-run, default world (median of 5)", seconds, 1, cpu, one[0][1])
        profile = scaling_profile(runs, rows[0][1], rows[1][1], scratch)
        floor, pool = floor_and_pool_seconds(planned(args.seeds, scratch / "plan")[1])
        profile.append(
            f"the same {runs:,} runs: compute floor (in-process compute / {os.cpu_count()} "
            f"cores) {floor:.1f} s, so the sweep is {rows[0][1] / floor:.2f}x its floor; "
            f"a plain multiprocessing Pool.map of `run` over their configs (no files) "
            f"{pool:.1f} s, the sweep takes {rows[0][1] / pool:.2f}x its time"
        )
        if args.merge:  # last: writing its 4-GB file would slow the steps after it
            big = scratch / "big"
            count = synthetic_sweep(sweep, big, -(-args.merge // runs))
            seconds, peak, cpu = timed(str(BIN / "alliance-collect"), str(big), cwd=scratch)
            rows.append((f"alliance-collect, {count:,} runs", seconds, count, cpu, peak))
        rows.append(single)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print()
    print("| step | wall time (s) | runs/s | CPU per run (ms) | peak memory (MB) |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, count, cpu, peak in rows:
        rate_text = f"{count / seconds:.1f}" if count else "-"
        cpu_text = f"{cpu / count * 1e3:.1f}" if count else "-"
        wall = f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"
        print(f"| {name} | {wall} | {rate_text} | {cpu_text} | {peak:.0f} |")
    print()
    for line in profile:
        print(f"- {line}")


if __name__ == "__main__":
    main()
