"""How far the net answer moves over the range of each money amount the model assumes.

    python benchmarks/money_amounts.py --seeds 4     # about 10 minutes on 2 cores

For each amount (docs/sources.md, section 2, gives the ranges), the model is run at
the low and the high end of its range with everything else at the calibrated set,
and `scenario.money_scale` re-fitted so that the observed value leverage stays 7
(the calibration would re-fit it; value per euro of resources stays pinned by the
SROI anchor). Prints the net social benefit of `uniform` and `concentrated` (MEUR,
means over seeds) at each end, beside the calibrated set's (docs/model.md 7.9).
"""

from __future__ import annotations

import argparse

from seven_readings import figures, refit_scale

# amount: (config key, low, high, where the range comes from)
AMOUNTS = {
    "wage of an FTE (EUR a quarter)": (
        "model.production.wage_eur_per_fte_step",
        6000.0,
        13433.0,
        "volunteer time to the average labour cost (INSEE)",
    ),
    "association grants (EUR a quarter)": (
        "scenario.profiles.association.grants_eur",
        200.0,
        1800.0,
        "subsidies 20 % of association resources (2017) to three times the default",
    ),
    "company societal investment (EUR a quarter)": (
        "scenario.profiles.company.societal_investment_eur",
        604.0,
        1901.0,
        "median to mean company gift (Admical)",
    ),
    "foundation societal investment (EUR a quarter)": (
        "scenario.profiles.foundation.societal_investment_eur",
        750.0,
        6000.0,
        "half to four times the default (no per-project source)",
    ),
    "idle resources of an association (EUR a quarter)": (
        "scenario.profiles.association.idle_eur",
        100.0,
        1600.0,
        "a factor 4 either side (no source)",
    ),
    "set-up cost per member (EUR)": (
        "model.emergence.setup_cost_eur",
        50.0,
        800.0,
        "the calibration's prior (no source)",
    ),
    "fund ticket (EUR)": ("fund.ticket_eur", 5000.0, 60000.0, "docs/sources.md, section 2"),
}
STRATEGIES = ("uniform", "concentrated")


def net_benefits(overrides: list[str], seeds: int) -> list[float]:
    """Net social benefit of each strategy, money scale re-fitted to a leverage of 7."""
    scale = refit_scale(seeds, "value", tuple(overrides))
    held = [*overrides, f"scenario.money_scale={scale}"]
    return [figures(held, seeds, strategy)["net_benefit"] for strategy in STRATEGIES]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    calibrated = net_benefits([], args.seeds)
    print(
        f"calibrated set: net social benefit uniform {calibrated[0]:.2f}, "
        f"concentrated {calibrated[1]:.2f} MEUR\n"
    )
    print(
        "| amount | range | source of the range | uniform, low / high (MEUR) "
        "| concentrated, low / high (MEUR) |"
    )
    print("|---|---|---|---:|---:|")
    for name, (key, low, high, source) in AMOUNTS.items():
        at_low = net_benefits([f"{key}={low}"], args.seeds)
        at_high = net_benefits([f"{key}={high}"], args.seeds)
        print(
            f"| {name} | {low:g} to {high:g} | {source} | {at_low[0]:.2f} / {at_high[0]:.2f} "
            f"| {at_low[1]:.2f} / {at_high[1]:.2f} |"
        )


if __name__ == "__main__":
    main()
