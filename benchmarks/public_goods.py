"""Do per-euro causal figures depend on the world's arbitrary size? A Markdown report.

    python benchmarks/public_goods.py              # 5 seeds, every case (about 2 min on 2 cores)
    python benchmarks/public_goods.py --seeds 10

Every case runs the calibrated default configuration (`experiments.load_config`,
exactly what `alliance-run` runs) with the overrides shown, over the same seeds,
and reports the causal leverage per euro paid in its three measures (mean over
seeds, with the standard error). Three checks, as in docs/model.md section 8.4:

1. doubling the world (territories and organisations) together with the budget
   changes each per-euro causal measure by less than 10 %;
2. at a fixed 1.5 MEUR, the national scenario's causal value leverage is at most
   twice the default world's;
3. each instrument alone, at default and national scale.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

DOUBLED = ["scenario.n_territories=162", "scenario.n_organisations=20000", "fund.budget_eur=3e6"]
CASES: dict[str, list[str]] = {
    "default world, uniform, 1.5 MEUR": [],
    "doubled world, uniform, 3 MEUR": DOUBLED,
    "national, uniform, 1.5 MEUR": ["scenario=national"],
}
for _instrument in ("engineering", "innovation", "structural"):
    CASES[f"default world, {_instrument} only"] = [f"fund/strategy={_instrument}_only"]
    CASES[f"national, {_instrument} only"] = [
        f"fund/strategy={_instrument}_only",
        "scenario=national",
    ]
MEASURES = ("value", "net", "resources")


def causal(job: tuple[str, int]) -> tuple[str, int, list[float], float]:
    """Causal leverage by measure, and the share of the budget paid, of one case and seed."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from experiments import load_config
    from simulation import run

    case, seed = job
    dataset = run(load_config([*CASES[case], f"seed={seed}"]))
    leverage = dataset.premium_leverage.sel(view="causal")
    return (
        case,
        seed,
        [float(leverage.sel(measure=m)) for m in MEASURES],
        float(dataset.budget_paid_share),
    )


def main() -> None:
    """Run every case over the seeds and print the tables and checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    jobs = [(case, seed) for case in CASES for seed in range(args.seeds)]
    results: dict[str, list[list[float]]] = {case: [] for case in CASES}
    paid: dict[str, list[float]] = {case: [] for case in CASES}
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        for case, _seed, values, share in pool.map(causal, jobs):
            results[case].append(values)
            paid[case].append(share)
    print(f"Causal leverage per EUR paid, mean over {args.seeds} seeds (standard error)\n")
    print("| case | value | net | resources | budget paid |")
    print("|---|---:|---:|---:|---:|")
    means = {}
    for case, rows in results.items():
        array = np.array(rows)
        means[case] = array.mean(axis=0)
        errors = array.std(axis=0, ddof=1) / np.sqrt(len(rows))
        cells = [f"{m:.2f} ({e:.2f})" for m, e in zip(means[case], errors, strict=True)]
        print(f"| {case} | {' | '.join(cells)} | {np.mean(paid[case]):.0%} |")
    base = means["default world, uniform, 1.5 MEUR"]
    doubled = means["doubled world, uniform, 3 MEUR"]
    national = means["national, uniform, 1.5 MEUR"]
    print("\nChecks")
    for i, name in enumerate(MEASURES):
        change = doubled[i] / base[i] - 1
        verdict = "pass" if abs(change) < 0.10 else "FAIL"
        print(f"- doubling world and budget, {name}: {change:+.1%} ({verdict}: |change| < 10 %)")
    ratio = national[0] / base[0]
    verdict = "pass" if ratio <= 2 else "FAIL"
    print(f"- national / default causal value leverage at 1.5 MEUR: {ratio:.2f} ({verdict}: <= 2)")


if __name__ == "__main__":
    main()
