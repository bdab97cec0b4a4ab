"""Work too large to start by accident: a sweep's job count, a world's memory.

**A sweep's size is counted before it is expanded.** Hydra's sweepers turn
`seed=range(0,100000000)` into a list of every job before running any (4.8 GB in
a minute). `sweep_size` multiplies the sizes of the sweep's values from the
command line and the experiment's `hydra.sweeper.params`, reading a `range` by
its bounds, so the count costs nothing whatever the range. Above `LARGE_SWEEP`
jobs, `alliance-run -m` asks for `--allow-large-sweep`; above `MAX_SWEEP` it
refuses. Why 20,000: a job of the default world costs about 0.11 s of compute on
a core, 0.34 ms of planning and a job folder of about 0.45 MB, so 20,000 jobs
are at least 20 minutes on 2 cores and 9 GB of files: as much as one would start
without thinking twice, and 16 times the project's largest documented sweep (the
1,200-run appraisal). The planner holds each job in memory (a few kB), so a
million jobs is the most one process plans.

**A world that would not fit in memory is refused** with the estimate
(`world_bytes`): about 150 MB for the interpreter and libraries, 25 bytes per
organisation and step and 200 bytes per territory and step (both worlds, the
projects and the records; measured on 2026-12-04 with `ru_maxrss`: 140 MB for
the default world, 422 MB for 300,000 organisations, 228 MB for 50 years of
monthly steps, 183 MB for 3,000 territories; the national world's estimate is
1.4 GB against 1.2 GB measured). A sweep on this machine's cores holds one
world per worker at once: the largest worlds it runs, as many as its workers run
tasks at a time, must fit together (`check_workers_fit`).
"""

from __future__ import annotations

import math
from functools import reduce
from pathlib import Path

import yaml

from simulation.config import ConfigError, RunConfig

LARGE_SWEEP = 20_000
MAX_SWEEP = 1_000_000
ALLOW_LARGE_SWEEP = "--allow-large-sweep"
SECONDS_PER_JOB = 0.11  # default world, one core (README, sweep profile)
BASE_BYTES = 150e6
BYTES_PER_ORGANISATION_STEP = 25
BYTES_PER_TERRITORY_STEP = 200


def _values_count(value: object) -> int:
    """How many values one sweep override takes, without listing them."""
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

    if isinstance(value, ChoiceSweep):
        return len(value.list)
    if isinstance(value, RangeSweep):
        start, stop, step = value.start, value.stop, value.step
        if all(isinstance(v, int) for v in (start, stop, step)):
            return len(range(start, stop, step))
        return max(0, math.ceil((stop - start) / step)) if step else 0
    return 1  # an interval or a glob: the sweeper refuses or resolves it


def _experiment_params(config_dir: Path, overrides: list[str]) -> dict[str, str]:
    """The `hydra.sweeper.params` of the experiments the overrides select."""
    params: dict[str, str] = {}
    for override in overrides:
        key, _, name = override.lstrip("+").partition("=")
        if key != "experiment" or not name:
            continue
        path = config_dir / "experiment" / f"{name}.yaml"
        try:
            content = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue  # Hydra names the missing or broken file
        swept = ((content.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
        params.update({str(k): str(v) for k, v in swept.items()})
    return params


def sweep_size(overrides: list[str], config_dir: Path) -> int:
    """The number of jobs a sweep would run, counted without expanding it.

    Args:
        overrides: The command line's overrides.
        config_dir: The config tree (for the experiments' swept values).

    Returns:
        The product of the number of values of every swept key (1 when nothing
        is swept). An override Hydra cannot parse counts as one value: Hydra
        reports it.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    swept = _experiment_params(config_dir, overrides)
    for override in overrides:
        key, _, value = override.partition("=")
        swept[key.lstrip("+~")] = value
    parser = OverridesParser.create()
    counts = []
    for key, value in swept.items():
        if "${" in value:
            continue  # resolved when composed (a sensitivity design's rows: validated)
        try:
            (parsed,) = parser.parse_overrides([f"{key}={value}"])
        except HydraException:
            continue
        if parsed.is_sweep_override():
            counts.append(_values_count(parsed.value()))
    return reduce(lambda a, b: a * b, counts, 1)


def check_sweep_size(jobs: int, allowed: bool) -> None:
    """Refuse a sweep above `MAX_SWEEP` jobs, or above `LARGE_SWEEP` without the flag.

    Args:
        jobs: The sweep's size (`sweep_size`).
        allowed: Whether `--allow-large-sweep` was given.

    Raises:
        ConfigError: Naming the count, its cost and what is allowed.
    """
    hours = jobs * SECONDS_PER_JOB / 3600
    cost = f"at least {hours:,.1f} hours of compute on one core, {jobs * 0.45e-3:,.0f} GB of files"
    if jobs > MAX_SWEEP:
        msg = (
            f"invalid sweep: {jobs:,} jobs ({cost}); allowed: at most {MAX_SWEEP:,} jobs "
            "in one sweep (split it, e.g. by ranges of seeds)"
        )
        raise ConfigError(msg)
    if jobs > LARGE_SWEEP and not allowed:
        msg = (
            f"invalid sweep: {jobs:,} jobs ({cost}); allowed: up to {LARGE_SWEEP:,} jobs, "
            f"or add {ALLOW_LARGE_SWEEP} to run them"
        )
        raise ConfigError(msg)


def world_bytes(config: RunConfig) -> float:
    """Estimated peak memory of one run (treated and counterfactual worlds), in bytes."""
    scenario = config.scenario
    steps = scenario.n_steps
    return (
        BASE_BYTES
        + BYTES_PER_ORGANISATION_STEP * scenario.n_organisations * steps
        + BYTES_PER_TERRITORY_STEP * scenario.n_territories * steps
    )


def available_bytes() -> float | None:
    """Memory available to a new process now (Linux's MemAvailable); None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_world_fits(config: RunConfig, available: float | None = None) -> None:
    """Refuse a run whose estimated memory exceeds the memory available.

    Args:
        config: The run.
        available: Bytes available (default: `available_bytes()`; no check if unknown).

    Raises:
        ConfigError: With the estimate and what is available.
    """
    available = available_bytes() if available is None else available
    needed = world_bytes(config)
    if available is not None and needed > available:
        scenario = config.scenario
        msg = (
            f"invalid config: scenario of {scenario.n_organisations:,} organisations, "
            f"{scenario.n_territories:,} territories and {scenario.n_steps} steps needs about "
            f"{needed / 1e9:.1f} GB of memory; allowed: a world within the {available / 1e9:.1f} "
            "GB available (fewer organisations, territories, years or steps per year)"
        )
        raise ConfigError(msg)


def check_workers_fit(
    configs: list[RunConfig], workers: int, available: float | None = None
) -> None:
    """Refuse a sweep whose workers, each holding a world at once, would not fit in memory.

    Each worker process holds one run at a time (its interpreter and both worlds:
    `world_bytes`); the worst case is the `workers` largest runs at once.

    Args:
        configs: The runs of the sweep still to run.
        workers: Worker processes running tasks at once.
        available: Bytes available (default: `available_bytes()`; no check if unknown).

    Raises:
        ConfigError: With the estimate, what is available, and how many workers fit.
    """
    available = available_bytes() if available is None else available
    if available is None or workers < 1 or not configs:
        return
    sizes = sorted((world_bytes(config) for config in configs), reverse=True)[:workers]
    needed = sum(sizes)
    if needed <= available:
        return
    fitting = next(n for n in range(len(sizes), -1, -1) if sum(sizes[:n]) <= available)
    largest = max(configs, key=world_bytes).scenario
    fewer = (
        f"hydra.launcher.n_jobs={fitting} (the workers that fit)"
        if fitting
        else "a smaller world (fewer organisations, territories, years or steps per year)"
    )
    msg = (
        f"invalid sweep: {len(sizes)} workers at once, each holding a world of up to "
        f"{largest.n_organisations:,} organisations, {largest.n_territories:,} territories and "
        f"{largest.n_steps} steps, need about {needed / 1e9:.1f} GB of memory "
        f"({sizes[0] / 1e9:.1f} GB each at most); allowed: at most the {available / 1e9:.1f} GB "
        f"available: {fewer}"
    )
    raise ConfigError(msg)
