"""Which unfitted priors move the answer: each at its prior's two ends; writes prior_ends.md.

    python -m experiments.calibrating.prior_ends          # 19 priors x 2 ends x 4 strategies
    python -m experiments.calibrating.prior_ends --seeds 5

Issue 25 asks that every parameter whose prior moves the recommended strategy or the
causal net leverage be either fitted or shown, by a test, not to move them. This is
the one-at-a-time half of that check: every uncertain parameter of the calibration
(`priors:` in `configs/calibration/default.yaml`) is set to each end of its prior in
turn, every other parameter at the calibrated set, and the strategies are run on the
same worlds (seeds) as at the calibrated set itself. A prior is **inert** when, at
both ends, the causal net leverage of every strategy moves by less than
`THRESHOLD` and the strategy with the largest mean net social benefit stays the one
the calibrated set gives; otherwise it is a **driver**: a parameter the answer rests
on that the field's figures do not pin down. `tests/test_prior_ends.py` re-runs the
inert ones. The global half, over the posterior's joint draws, is
`experiments.calibrating.causal_sensitivity` (first-order indices); one at a time at
the mode, this check cannot see interactions.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from experiments.config.schema import PROJECT_ROOT
from experiments.storage.files import write_text_atomically

# The strategies that can lead (structural_heavy is best in no posterior draw, 9.5).
STRATEGIES = ("uniform", "small_territories", "maturity_matched", "concentrated")
THRESHOLD = 0.10  # a change of the causal net leverage below 10 % does not move the answer
REPORT = PROJECT_ROOT / "docs" / "calibration" / "prior_ends.md"
CALIBRATION = PROJECT_ROOT / "configs" / "calibration" / "default.yaml"


def priors() -> dict[str, tuple[float, float]]:
    """Each uncertain parameter of the default calibration with its prior's two ends."""
    import yaml

    spec = yaml.safe_load(CALIBRATION.read_text())["priors"]
    return {key: (float(p["lower"]), float(p["upper"])) for key, p in spec.items()}


def one_run(job: tuple[str | None, float | None, str, int]) -> tuple[float, float]:
    """One strategy in one world, one parameter (or none) moved from the calibrated set.

    Returns:
        The causal net leverage and the net social benefit in MEUR
        (`experiments.appraisal.flows`).
    """
    from experiments import load_config
    from experiments.appraisal.flows import money_flows
    from simulation import run

    key, value, strategy, seed = job
    overrides = [f"fund/strategy={strategy}", f"seed={seed}"]
    if key is not None:
        overrides.append(f"{key}={value!r}")
    dataset = run(load_config(overrides))
    net_leverage = float(dataset.premium_leverage.sel(view="causal", measure="net"))
    return net_leverage, float(money_flows(dataset).net) / 1e6


@dataclass(frozen=True)
class Point:
    """The answer at one setting, averaged over the seeds.

    Attributes:
        net_leverage: Each strategy's mean causal net leverage, in `STRATEGIES` order.
        net_benefit: Each strategy's mean net social benefit, MEUR.
    """

    net_leverage: np.ndarray
    net_benefit: np.ndarray

    @property
    def best(self) -> str:
        """The strategy with the largest mean net social benefit."""
        return STRATEGIES[int(np.argmax(self.net_benefit))]


def points(
    settings: list[tuple[str | None, float | None]], seeds: list[int], workers: int
) -> dict[tuple[str | None, float | None], Point]:
    """Run every strategy on every seed at each setting (parameter, value; None: the set)."""
    jobs = [(k, v, s, seed) for k, v in settings for s in STRATEGIES for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one_run, jobs, chunksize=4))
    else:
        results = [one_run(job) for job in jobs]
    shaped = np.array(results).reshape(len(settings), len(STRATEGIES), len(seeds), 2)
    means = shaped.mean(axis=2)
    return {setting: Point(means[i, :, 0], means[i, :, 1]) for i, setting in enumerate(settings)}


def moves(point: Point, base: Point) -> tuple[float, bool]:
    """The largest relative change of a strategy's net leverage, and whether the best changed."""
    change = np.max(np.abs(point.net_leverage / base.net_leverage - 1.0))
    return float(change), point.best != base.best


def main() -> None:
    """Run every prior at its two ends and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="worlds (seeds 0 to n-1)")
    args = parser.parse_args()
    ends = priors()
    seeds = list(range(args.seeds))
    settings = [(None, None)] + [(k, v) for k, pair in ends.items() for v in pair]
    found = points(settings, seeds, os.cpu_count() or 1)
    base = found[(None, None)]

    rows, drivers = [], []
    for key, (low, high) in ends.items():
        cells, driver = [], False
        for value in (low, high):
            change, flips = moves(found[(key, value)], base)
            driver |= change >= THRESHOLD or flips
            cells.append(f"{change:.0%}, {found[(key, value)].best}")
        if driver:
            drivers.append(key)
        verdict = "**driver**" if driver else "inert"
        rows.append(f"| `{key}` | {low:g} to {high:g} | {cells[0]} | {cells[1]} | {verdict} |")
    inert = [k for k in ends if k not in drivers]
    lines = [
        "# Which unfitted priors move the answer",
        "",
        f"Written by `python -m experiments.calibrating.prior_ends --seeds {args.seeds}`: each "
        "uncertain parameter of the default calibration at each end of its prior, every "
        f"other at the calibrated set; {len(STRATEGIES)} strategies ({', '.join(STRATEGIES)}) "
        f"on seeds 0-{args.seeds - 1}, {len(settings) * len(STRATEGIES) * len(seeds)} runs "
        "(`experiments/calibrating/prior_ends.py`).",
        "",
        "At the calibrated set: causal net leverage "
        + ", ".join(f"{s} {v:.2f}" for s, v in zip(STRATEGIES, base.net_leverage, strict=True))
        + f"; the largest mean net social benefit: **{base.best}** "
        f"({base.net_benefit.max():.2f} MEUR).",
        "",
        "Each end: the largest change of a strategy's causal net leverage against the "
        "calibrated set, and the strategy with the largest mean net social benefit there. "
        f"Inert: below {THRESHOLD:.0%} at both ends and the same best strategy; otherwise a "
        "driver.",
        "",
        "| prior | range | at its lower end | at its upper end | verdict |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Inert ({len(inert)}), re-run by `tests/test_prior_ends.py`: "
        + ", ".join(f"`{k}`" for k in inert)
        + ".",
        "",
        f"Drivers ({len(drivers)}), which no field figure pins down: "
        + ", ".join(f"`{k}`" for k in drivers)
        + ". One at a time at the calibrated set, with a few worlds: a driver here moves the "
        "answer at least there; an inert prior may still matter jointly with others "
        "(the posterior's draws: `causal_sensitivity.md`).",
        "",
    ]
    write_text_atomically(REPORT, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
