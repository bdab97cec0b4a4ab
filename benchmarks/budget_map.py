"""The budget map: which strategy is best at which budget, and under which assumption.

    python benchmarks/budget_map.py              # 6 budgets x 3 values x 5 strategies x 8 seeds:
                                                 # 720 runs, about 2 minutes on 2 cores
    python benchmarks/budget_map.py --dataset multirun/budget_map/collected.nc   # analyse only
    python benchmarks/budget_map.py --csv budget_map.csv    # then: alliance-report
                                     # multirun/appraisal --budget-map budget_map.csv

Sweeps the fund's budget (`fund.budget_eur`, log spaced from 0.75 to 15 MEUR) and the
strategies, crossed with the uncertain parameter the recommendation hinges on most
(by default the engineering grant half-saturation at its prior's lower bound, the
default and its upper bound; `--appraisal collected.nc` picks it from a posterior
sweep's switching values against every strategy, `switching.most_influential`), in
the calibrated set as `alliance-run` composes it. The sweep is `alliance-run -m`
with `--jobs` worker processes, merged by `alliance-collect`; the analysis is
`experiments.appraisal.budget_map` (net social benefit from
`experiments.appraisal.flows.money_flows`). Prints, as Markdown: the best strategy
per budget and parameter value with its share of seeds won, the switching budgets
and parameter values, each strategy's gross value per EUR budgeted and share paid at
the largest budget, and the recommendation with its conditions in one sentence.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from seven_readings import STRATEGIES  # the five strategies that pay

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARAMETER = "model.engineering.grant_half_saturation_eur_per_organisation"


def budgets(count: int, low: float = 0.75e6, high: float = 15e6) -> list[float]:
    """`count` budgets log spaced from `low` to `high`, rounded to two significant digits."""
    return [float(f"{b:.2g}") for b in np.geomspace(low, high, count)]


def prior_levels(key: str) -> list[float]:
    """The prior's lower bound, middle (geometric for a log-uniform prior) and upper bound."""
    calibration = yaml.safe_load((ROOT / "configs/calibration/default.yaml").read_text())
    prior = calibration.get("priors", {}).get(key) or calibration["parameters"].get(key)
    if prior is None:
        msg = f"{key} has no prior in configs/calibration/default.yaml; give --levels"
        raise ValueError(msg)
    low, high = float(prior["lower"]), float(prior["upper"])
    log = prior.get("shape") == "log_uniform"
    middle = float(np.sqrt(low * high)) if log else (low + high) / 2
    return [low, float(f"{middle:.3g}"), high]


def influential(appraisal: Path) -> str:
    """The parameter a posterior sweep's recommendation hinges on most."""
    import xarray as xr

    from experiments.appraisal.robustness import net_benefit, recommend, robustness
    from experiments.appraisal.states import outcomes, state_parameters
    from experiments.appraisal.switching import most_influential, switching_against_arms

    with xr.open_dataset(appraisal) as dataset:
        result = outcomes(dataset)
        recommended, _ = recommend(robustness(result))
        table = switching_against_arms(net_benefit(result), state_parameters(dataset), recommended)
    name = most_influential(table)
    if name is None:
        msg = f"{appraisal} has no parameter uncertainty (sweep posterior draws)"
        raise ValueError(msg)
    return name


def sweep(folder: Path, key: str, levels: list[float], args: argparse.Namespace) -> float:
    """Run and merge the sweep into `folder`; return the wall time (s)."""
    overrides = [
        f"fund/strategy={','.join(args.strategies)}",
        f"fund.budget_eur={','.join(f'{b:.0f}' for b in budgets(args.budgets))}",
        f"{key}={','.join(f'{v:g}' for v in levels)}",
        f"seed=range(0,{args.seeds})",
        f"hydra.launcher.n_jobs={args.jobs}",
        f"hydra.sweep.dir={folder}",
    ]
    start = time.perf_counter()
    subprocess.run([BIN / "alliance-run", "-m", *overrides], check=True, cwd=folder.parent)
    subprocess.run([BIN / "alliance-collect", str(folder)], check=True, cwd=folder.parent)
    return time.perf_counter() - start


def markdown(frame, index: bool = True) -> str:
    """A table as Markdown, numbers with four significant digits."""
    frame = frame.reset_index() if index else frame
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in frame.values]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    """Run the sweep (or read one) and print the budget map."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--budgets", type=int, default=6, help="log spaced, 0.75 to 15 MEUR")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--parameter", default=None, help=f"default {DEFAULT_PARAMETER}")
    parser.add_argument("--levels", type=float, nargs="+", help="default: the prior's ends, middle")
    parser.add_argument("--appraisal", type=Path, help="a posterior sweep to pick the parameter")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--dir", type=Path, help="sweep folder (default: a temporary one)")
    parser.add_argument("--dataset", type=Path, help="a merged budget sweep: analyse only")
    parser.add_argument("--figure", type=Path, help="write the budget map's figure (PNG)")
    parser.add_argument(
        "--csv", type=Path, help="write the map's table (for alliance-report --budget-map)"
    )
    args = parser.parse_args()

    import xarray as xr

    from experiments.appraisal.budget_map import budget_outcomes, budget_table, switches
    from experiments.reports import report_text

    key = args.parameter or (influential(args.appraisal) if args.appraisal else DEFAULT_PARAMETER)
    seconds = None
    with tempfile.TemporaryDirectory() as scratch:
        source = args.dataset
        if source is None:
            folder = args.dir or Path(scratch) / "budget_map"
            folder.mkdir(parents=True, exist_ok=True)
            seconds = sweep(folder, key, args.levels or prior_levels(key), args)
            source = folder / "collected.nc"
        with xr.open_dataset(source) as dataset:
            outcomes = budget_outcomes(dataset, key)
    if args.csv:
        outcomes.to_csv(args.csv, index=False)
    print(f"Parameter crossed with the budget: {key}\n")
    print(markdown(budget_table(outcomes).rename_axis("budget")))
    for along in ("budget_eur", "level"):
        found = switches(outcomes, along)
        if not found.empty:
            print(f"\nSwitches along {along}:\n")
            print(markdown(found, index=False))
    largest = outcomes[outcomes["budget_eur"] == outcomes["budget_eur"].max()]
    print(f"\nAt {largest['budget_eur'].iloc[0] / 1e6:g} MEUR:\n")
    columns = ["level", "arm", "probability_best", "value_per_budget_eur", "paid_share"]
    print(markdown(largest[columns], index=False))
    arm, along_budget, along_level = report_text.budget_conditions(outcomes)
    print(
        "\n"
        + report_text.condition_sentence(
            arm, along_budget, (key, along_level) if along_level else None
        )
    )
    if args.figure:
        import base64

        from experiments.reports.report import figure_budget_map

        args.figure.write_bytes(base64.b64decode(figure_budget_map(outcomes, key, 4)))
    if seconds is not None:
        print(f"\nSweep and merge: {seconds:.0f} s ({args.jobs} worker processes).")


if __name__ == "__main__":
    main()
