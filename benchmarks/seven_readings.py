"""The field's "coefficient 7" under its two readings: the key answers side by side.

    python benchmarks/seven_readings.py --seeds 5     # about 2 minutes on 2 cores

Reading A (the calibrated set's): 7 is the backed projects' social value per euro
the fund paid (observed view, `value` measure). Reading B: 7 is the partners'
private resources drawn into the backed projects per euro the fund paid (observed
view, `resources` measure: co-financing, the French "effet de levier").

Under B the calibrated set is re-fitted in the one parameter the reading changes:
`scenario.money_scale`, found by root-finding so that the observed co-financing
averages 7 over the seeds (`uniform`, the calibration's strategy). Value per euro
of resources stays pinned by the SROI anchor (`productivity`), and frugality,
durability and the maturity shares do not move with the money scale (docs/model.md
9.5), so their fits stand. Prints, for each reading and strategy, means over seeds:
the observed value and co-financing leverage, the causal net leverage (extra value
minus extra private resources, per fund euro) and the net social benefit; and the
strategy with the largest net social benefit (docs/model.md 8.6).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import brentq

STRATEGIES = (
    "uniform",
    "concentrated",
    "maturity_matched",
    "small_territories",
    "structural_heavy",
)


def figures(overrides: list[str], seeds: int, strategy: str = "uniform") -> dict[str, float]:
    """Means over seeds of one strategy's key figures."""
    from experiments.appraisal.flows import money_flows
    from experiments.config.schema import load_config
    from simulation.run import run

    rows = []
    for seed in range(seeds):
        data = run(load_config([f"fund/strategy={strategy}", f"seed={seed}", *overrides]))
        leverage = data.premium_leverage
        rows.append(
            (
                float(leverage.sel(view="observed", measure="value")),
                float(leverage.sel(view="observed", measure="resources")),
                float(leverage.sel(view="causal", measure="net")),
                float(money_flows(data).net) / 1e6,
            )
        )
    mean = np.mean(rows, axis=0)
    return dict(zip(("value", "cofinancing", "causal_net", "net_benefit"), mean, strict=True))


def refit_scale(seeds: int, measure: str, overrides: tuple[str, ...] = ()) -> float:
    """The money scale at which an observed leverage averages 7 over the seeds.

    Args:
        seeds: Seeds 0..seeds-1 of `uniform`, the calibration's strategy.
        measure: `value` (reading A) or `cofinancing` (reading B).
        overrides: Other overrides held while the scale is found.
    """

    def gap(log_scale: float) -> float:
        scale = float(np.exp(log_scale))
        return figures([*overrides, f"scenario.money_scale={scale}"], seeds)[measure] - 7.0

    return float(np.exp(brentq(gap, np.log(0.02), np.log(50.0), xtol=1e-3)))


def main() -> None:
    """Print the table."""
    from experiments.config.schema import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    readings = {
        "A: value per fund EUR = 7 (calibrated)": load_config().scenario.money_scale,
        "B: co-financing per fund EUR = 7": refit_scale(args.seeds, "cofinancing"),
    }
    print(
        "| reading | money scale | strategy | observed value leverage | observed co-financing "
        "| causal net leverage | net social benefit (MEUR) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for reading, scale in readings.items():
        best, best_value = "", -np.inf
        for strategy in STRATEGIES:
            f = figures([f"scenario.money_scale={scale}"], args.seeds, strategy)
            if f["net_benefit"] > best_value:
                best, best_value = strategy, f["net_benefit"]
            print(
                f"| {reading} | {scale:.3f} | {strategy} | {f['value']:.2f} "
                f"| {f['cofinancing']:.2f} | {f['causal_net']:.2f} | {f['net_benefit']:.2f} |"
            )
        print(f"| {reading} | | **largest net social benefit: {best}** | | | | |")


if __name__ == "__main__":
    main()
