"""Crowding-out: organisations' pillars copied into every project against shared with a capacity.

    python benchmarks/crowding_out.py --seeds 5     # about 1 minute on 2 cores

Runs the calibrated set (as `alliance-run` composes it) for `uniform` and
`concentrated`, once with the rule of earlier versions (an organisation brings all
of its pillars to each of its projects, no capacity:
`model.production.shared_pillars=false model.emergence.project_capacity=0`) and once
with the calibrated set's rule (pillars shared, its capacity, printed in the row),
and prints, averaged over seeds: the extra social value per fund euro (gross),
the net social benefit (extra value minus fund money paid minus extra private
resources, present values), the extra projects the fund's world starts and the
starts it displaces (docs/model.md, 7.10).
"""

from __future__ import annotations

import argparse

import numpy as np

RULES = {
    "copied, no capacity (earlier versions)": [
        "model.production.shared_pillars=false",
        "model.emergence.project_capacity=0",
    ],
    "shared, C = {capacity:.1f} (calibrated set)": [],
}


def main() -> None:
    """Print one line per rule and strategy."""
    from experiments.appraisal.flows import money_flows
    from experiments.config.schema import load_config
    from simulation.run import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(
        "| pillars | strategy | value per fund EUR | net social benefit (MEUR) "
        "| extra projects started | starts displaced |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for label, overrides in RULES.items():
        rule = label.format(capacity=load_config(overrides).model.emergence.project_capacity)
        for strategy in ("uniform", "concentrated"):
            rows = []
            for seed in range(args.seeds):
                data = run(load_config([f"fund/strategy={strategy}", f"seed={seed}", *overrides]))
                flows = money_flows(data)
                started = data.projects_started
                rows.append(
                    (
                        float(flows.extra / flows.paid),
                        float(flows.net) / 1e6,
                        int(started.sel(world="treated") - started.sel(world="counterfactual")),
                        int(data.starts_displaced),
                    )
                )
            mean = np.mean(rows, axis=0)
            print(
                f"| {rule} | {strategy} | {mean[0]:.2f} "
                f"| {mean[1]:.2f} | {mean[2]:.1f} | {mean[3]:.1f} |"
            )


if __name__ == "__main__":
    main()
