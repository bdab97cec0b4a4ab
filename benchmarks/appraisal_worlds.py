"""The appraisal's ranking with each posterior draw in a world of its own.

    python benchmarks/appraisal_worlds.py                 # 100 draws, about 1 minute on 2 cores
    python benchmarks/appraisal_worlds.py --seed-offset 1000

The appraisal experiment (`+experiment=appraisal`) crosses 100 posterior draws with
seeds 0 and 1: 200 states of the world, but two worlds (a seed is a whole world: its
territories, organisations and chance events), so a strategy's lead can hang on
those two (docs/model.md 8.5). Here draw `d` runs in world `d + offset` (as
`experiments.calibrating.causal_sensitivity` does), every strategy on the same
world, and the ranking is on the appraisal's own objective: the net social benefit
(extra value minus the fund's money paid minus the partners' extra resources,
present values; `experiments.appraisal.flows.money_flows`). Prints each strategy's
mean net social benefit and its probability of being best, and how often the
leading strategy beats the runner-up.
"""

from __future__ import annotations

import argparse
from multiprocessing import Pool

import numpy as np

# The five funding strategies, as the causal sensitivity over the posterior compares them.
from experiments.calibrating.causal_sensitivity import STRATEGIES


def net_social_benefit(job: tuple[int, str, int]) -> tuple[int, str, float]:
    """One run's net social benefit in MEUR.

    Args:
        job: The posterior draw, the strategy and the world's seed.

    Returns:
        The job's draw and strategy, and its net social benefit.
    """
    from experiments.appraisal.flows import money_flows
    from experiments.config.schema import load_config
    from simulation.run import run

    draw, strategy, seed = job
    overrides = [f"draw={draw}", f"seed={seed}", f"fund/strategy={strategy}"]
    overrides.insert(0, "calibrated=posterior")
    return draw, strategy, float(money_flows(run(load_config(overrides))).net) / 1e6


def main() -> None:
    """Run every strategy on every draw's world and print the ranking."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--seed-offset", type=int, default=0, help="world of draw d: d + offset")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(d, s, d + args.seed_offset) for d in range(args.draws) for s in STRATEGIES]
    with Pool(args.workers) as pool:
        results = pool.map(net_social_benefit, jobs, chunksize=10)
    net = np.zeros((args.draws, len(STRATEGIES)))
    for draw, strategy, value in results:
        net[draw, STRATEGIES.index(strategy)] = value
    best = net.argmax(axis=1)
    print(
        f"{args.draws} posterior draws, draw d in world d + {args.seed_offset}; "
        "net social benefit (MEUR)"
    )
    print("\n| strategy | mean | P(best) |\n|---|---:|---:|")
    for i, strategy in enumerate(STRATEGIES):
        print(f"| {strategy} | {net[:, i].mean():.2f} | {np.mean(best == i):.0%} |")
    # Ranked by probability of being best, ties broken by the mean net benefit.
    wins = np.bincount(best, minlength=len(STRATEGIES))
    leader, runner_up = np.lexsort((-net.mean(axis=0), -wins))[:2]
    share = np.mean(net[:, leader] > net[:, runner_up])
    print(
        f"\n{STRATEGIES[leader]} beats {STRATEGIES[runner_up]} in {share:.0%} of the draws' worlds."
    )


if __name__ == "__main__":
    main()
