"""The premium in its four views, for the real fund and a placebo: a Markdown report.

    python benchmarks/premium_views.py                 # 20 seeds (about 1 min on 2 cores)
    python benchmarks/premium_views.py --seeds 40 scenario=national

Runs the calibrated default configuration (`experiments.load_config`, exactly what
`alliance-run` runs) with the given overrides, over seeds 0..N-1, once as
configured and once with `fund.placebo=true`, and prints the mean of every view
and measure with a 95 % interval over seeds (t distribution), then the
decomposition. The figures in the README and docs/model.md section 8 come from
this command.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

VIEWS = ("observed", "matched", "effect_on_backed", "causal")
ROWS = (
    ("frugality", "premium_frugality", {}),
    ("durability", "premium_durability", {}),
    ("leverage: value", "premium_leverage", {"measure": "value"}),
    ("leverage: net", "premium_leverage", {"measure": "net"}),
    ("leverage: resources", "premium_leverage", {"measure": "resources"}),
)
SCALARS = (
    "selection_frugality",
    "selection_durability",
    "matched_share",
    "twins_found_share",
    "budget_paid_share",
    "value_per_eur_budgeted",
    "backed_projects",
)


def figures(job: tuple[tuple[str, ...], int]) -> dict[str, float]:
    """Every figure of one run, by name."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from experiments import load_config
    from simulation import run

    overrides, seed = job
    dataset = run(load_config([*overrides, f"seed={seed}"]))
    result = {}
    for label, name, selection in ROWS:
        for view in VIEWS:
            result[f"{label}|{view}"] = float(dataset[name].sel(view=view, **selection))
    for name in SCALARS:
        result[name] = float(dataset[name])
    for measure in ("value", "net", "resources"):
        result[f"selection_leverage_{measure}"] = float(
            dataset.selection_leverage.sel(measure=measure)
        )
        result[f"spillover_leverage_{measure}"] = float(
            dataset.spillover_leverage.sel(measure=measure)
        )
    treated = dataset.sel(world="treated")
    for kind in ("solo", "alliance"):
        result[f"below_{kind}"] = float(treated.value_below_resources_share.sel(project_type=kind))
    return result


def interval(values: list[float]) -> str:
    """Mean and 95 % interval over seeds, NaN runs left out."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size < 2:
        return "n/a"
    mean = array.mean()
    half = stats.t.ppf(0.975, array.size - 1) * array.std(ddof=1) / np.sqrt(array.size)
    return f"{mean:.2f} [{mean - half:.2f}, {mean + half:.2f}]"


def report(label: str, runs: list[dict[str, float]]) -> None:
    """Print one configuration's table."""
    print(f"\n### {label}\n")
    print("| figure | " + " | ".join(VIEWS) + " |")
    print("|---|" + "---:|" * len(VIEWS))
    for row, _, _ in ROWS:
        cells = [interval([r[f"{row}|{view}"] for r in runs]) for view in VIEWS]
        print(f"| {row} | " + " | ".join(cells) + " |")
    print()
    for name in (
        *SCALARS,
        "selection_leverage_value",
        "spillover_leverage_value",
        "below_solo",
        "below_alliance",
    ):
        print(f"- {name}: {interval([r[name] for r in runs])}")


def main() -> None:
    """Run the configuration and its placebo over the seeds and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("overrides", nargs="*", help="alliance-run overrides")
    args = parser.parse_args()
    arms = {
        "as configured": tuple(args.overrides),
        "placebo (fund.placebo=true)": (*args.overrides, "fund.placebo=true"),
    }
    jobs = [(overrides, seed) for overrides in arms.values() for seed in range(args.seeds)]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = list(pool.map(figures, jobs))
    overrides = " ".join(args.overrides) or "(none)"
    print(f"Calibrated default, overrides {overrides}, seeds 0-{args.seeds - 1}: mean [95 % CI]")
    for i, label in enumerate(arms):
        report(label, results[i * args.seeds : (i + 1) * args.seeds])


if __name__ == "__main__":
    main()
