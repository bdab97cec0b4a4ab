r"""Check the posterior's coverage by simulation-based calibration; write coverage.md.

    python -m experiments.calibrating.coverage          # 24 truths, the small world below
    python -m experiments.calibrating.coverage --truths 40 scenario.n_organisations=10000
    python -m experiments.calibrating.coverage --truths 20 \
        calibration.posterior_particles=128 'calibration.covariance_seeds=[3000,...,3023]'

The default calibration on the default world costs about half an hour, so the check
runs on a small world (27 territories, 1,500 organisations, 5 years, a 2-year
fund), with fewer particles (48), seeds (4) and covariance worlds (12) than the
real calibration and no extra draws beyond the particles, unless overridden (the
third command restores the calibration's particles and covariance worlds: about
30 minutes). It checks the method (the likelihood and the sampler), not the
default world's particular posterior. Every parameter the calibration samples
jointly (25) is drawn as a truth and covered by an interval. The report goes to
the calibration's `report_dir` (`docs/calibration`).
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from scipy import stats

from calibration.config import CalibrationConfig
from calibration.coverage import simulation_based_calibration
from experiments.config.refusal import is_config_error, schema_keys
from experiments.config.run_checks import exit_refused
from experiments.config.schema import PROJECT_ROOT, load_calibration_config
from experiments.process.startup import calibration_worker_setup
from experiments.storage.files import write_text_atomically

REDUCED = [
    "scenario.n_territories=27",
    "scenario.n_organisations=1500",
    "scenario.years=5",
    "fund.years=2",
    "fund.ticket_eur=5000",
    "accounting.rmst_horizon_years=3",
    "calibration.maturity_observation_year=3",
    "calibration.posterior_particles=48",
    "calibration.posterior_draws=0",
    "calibration.seeds=[1000,1001,1002,1003]",
    "calibration.covariance_seeds=[3000,3001,3002,3003,3004,3005,3006,3007,3008,3009,3010,3011]",
]
PROGRAM = "python -m experiments.calibrating.coverage"
# Rank histograms a row of the figure.
PANELS_PER_ROW = 6


def main() -> None:
    """Run the check and write its report and rank histogram."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", type=int, default=24)
    parser.add_argument("overrides", nargs="*", help="alliance-calibrate overrides")
    args = parser.parse_args()
    overrides = [*REDUCED, *args.overrides]
    try:
        config = load_calibration_config(overrides)
    except Exception as error:
        if not is_config_error(error):
            raise
        exit_refused(PROGRAM, error, args.overrides, schema_keys(CalibrationConfig))
    folder = PROJECT_ROOT / config.calibration.report_dir
    start = time.perf_counter()
    result = simulation_based_calibration(
        config,
        args.truths,
        progress=lambda line: print(line, flush=True),
        worker_setup=calibration_worker_setup,
    )
    seconds = time.perf_counter() - start
    n = result.covered.size
    low, high = stats.binom.interval(0.95, n, result.mass)
    short = [name.split(".")[-1] for name in result.names]

    columns = min(PANELS_PER_ROW, len(short))
    rows = -(-len(short) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns, 2.4 * rows), sharey=True, squeeze=False
    )
    for j, ax in enumerate(axes.ravel()):
        if j >= len(short):
            ax.set_axis_off()
            continue
        ax.hist(result.ranks[:, j], bins=5, range=(0, 1), color="tab:blue", alpha=0.7)
        ax.axhline(len(result.ranks) / 5, color="black", lw=1)
        ax.set_title(short[j], fontsize=8)
        ax.set_xlabel("rank of the truth", fontsize=7)
    fig.suptitle("Simulation-based calibration: ranks should be uniform (line)", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "coverage.png", dpi=100)
    plt.close(fig)

    lines = [
        "# Coverage of the posterior's credible intervals",
        "",
        f"Written by `python -m experiments.calibrating.coverage --truths {args.truths}"
        + (f" {' '.join(args.overrides)}" if args.overrides else "")
        + f"` in {seconds:.0f} s. Overrides of the calibration config: `{' '.join(overrides)}`.",
        "",
        "Simulation-based calibration (Talts et al. 2018; `calibration/coverage.py`): for "
        "each synthetic truth drawn from the prior, the field's data are the moments of one "
        "world at the truth, rounded as the field rounds them; the posterior is then "
        "sampled exactly as `alliance-calibrate` does.",
        "",
        f"**{result.rate:.0%} of {n} {result.mass:.0%} credible intervals hold their truth** "
        f"({len(result.covered)} truths x {len(short)} parameters); a correct posterior "
        f"gives {result.mass:.0%}, and with {n} intervals anything in "
        f"[{low / n:.0%}, {high / n:.0%}] is consistent with it (binomial 95 %).",
        "",
        "| parameter | coverage |",
        "|---|---:|",
    ]
    for j, name in enumerate(result.names):
        lines.append(f"| `{name}` | {result.covered[:, j].mean():.0%} |")
    lines += ["", "![ranks](coverage.png)", ""]
    write_text_atomically(folder / "coverage.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
