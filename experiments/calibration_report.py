"""Write a calibration's outputs: the calibrated config group and a Markdown report."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import yaml

from calibration.config import MOMENTS, PRIMARY_MOMENTS, CalibrationConfig
from calibration.fit import FitResult
from simulation.dataset import package_version

# A full-range change of the parameter must move some moment by more than this (log
# units), and its bootstrap 95 % interval must cover less than this share of its bounds.
MIN_SENSITIVITY = 0.1
MAX_INTERVAL_SHARE = 0.5


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)


def _nested(values: dict[str, float]) -> dict:
    tree: dict = {}
    for path, value in values.items():
        node = tree
        *parents, name = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = float(value)
    return tree


def moment_table(config: CalibrationConfig, result: FitResult) -> list[dict]:
    """Target, tolerance and simulated mean / sd on fit and hold-out seeds, per moment."""
    rows = []
    for k, name in enumerate(MOMENTS):
        target = config.targets.get(name)
        fit, holdout = result.moments[:, k], result.holdout_moments[:, k]
        row = {
            "moment": name,
            "target": target.value if target else float("nan"),
            "tolerance": target.tolerance if target else float("nan"),
            "fit_mean": float(np.mean(fit)),
            "fit_sd": float(np.std(fit, ddof=1)) if fit.size > 1 else 0.0,
            "holdout_mean": float(np.mean(holdout)),
            "holdout_sd": float(np.std(holdout, ddof=1)) if holdout.size > 1 else 0.0,
        }
        row["holdout_within_tolerance"] = bool(
            target
            and abs(np.log(max(row["holdout_mean"], 1e-12) / target.value))
            <= np.log1p(target.tolerance)
        )
        rows.append(row)
    return rows


def identification(config: CalibrationConfig, result: FitResult) -> list[dict]:
    """Per parameter: estimate, bootstrap interval, strongest moment, and a verdict."""
    settings = config.calibration
    rows = []
    for j, name in enumerate(result.names):
        bounds = settings.parameters[name]
        span = bounds.upper - bounds.lower
        column = np.abs(result.sensitivity[:, j])
        strongest = MOMENTS[int(np.argmax(column))]
        row = {
            "parameter": name,
            "estimate": float(result.best[j]),
            "lower": bounds.lower,
            "upper": bounds.upper,
            "sensitivity": float(column.max()),
            "strongest_moment": strongest,
        }
        reasons = []
        if row["sensitivity"] < MIN_SENSITIVITY:
            reasons.append("no moment responds to it")
        if result.bootstrap.size:
            low, high = np.percentile(result.bootstrap[:, j], [2.5, 97.5])
            row.update(bootstrap_low=float(low), bootstrap_high=float(high))
            if (high - low) / span > MAX_INTERVAL_SHARE:
                reasons.append("bootstrap interval covers most of its bounds")
        row["identified"] = not reasons
        row["why_not"] = "; ".join(reasons)
        rows.append(row)
    return rows


_HEADER_PREFIX = "#| "


def read_calibrated_set(path: Path) -> tuple[dict[str, float], dict]:
    """Read a calibrated set written by `write_calibrated_set`.

    Args:
        path: The calibrated config file.

    Returns:
        (parameter values by dotted path, header with targets, moments and seeds).
    """
    text = path.read_text()
    header = yaml.safe_load(
        "\n".join(
            line[len(_HEADER_PREFIX) :]
            for line in text.splitlines()
            if line.startswith(_HEADER_PREFIX)
        )
    )
    values: dict[str, float] = {}

    def flatten(node: dict, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                flatten(value, f"{prefix}{key}.")
            else:
                values[f"{prefix}{key}"] = value

    flatten(yaml.safe_load(text), "")
    return values, header


def write_calibrated_set(config: CalibrationConfig, result: FitResult, path: Path) -> Path:
    """Write the calibrated parameters as a Hydra config group option, with a header.

    Args:
        config: The calibration config.
        result: Its result.
        path: The file to write (e.g. `configs/calibrated/default.yaml`).

    Returns:
        The path written.
    """
    settings = config.calibration
    header = {
        "calibrated_set": settings.name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "package_version": package_version(),
        "method": "method of simulated moments, scipy differential_evolution",
        "loss": round(result.loss, 6),
        "seeds": list(settings.seeds),
        "holdout_seeds": list(settings.holdout_seeds),
        "simulations": result.evaluations,
        "moments": {
            row["moment"]: {
                "target": row["target"],
                "tolerance": row["tolerance"],
                "fit_mean": round(row["fit_mean"], 4),
                "holdout_mean": round(row["holdout_mean"], 4),
            }
            for row in moment_table(config, result)
        },
    }
    header_lines = yaml.safe_dump(header, sort_keys=False).splitlines()
    comment = "\n".join(f"{_HEADER_PREFIX}{line}" for line in header_lines)
    body = yaml.safe_dump(
        _nested(dict(zip(result.names, result.best, strict=True))), sort_keys=False
    )
    text = (
        "# @package _global_\n"
        "# Calibrated parameter set, written by alliance-calibrate: do not edit by hand.\n"
        "# Select with calibrated=<name>; calibrated=none runs the uncalibrated assumptions.\n"
        f"{comment}\n{body}"
    )
    _atomic_write_text(path, text)
    return path


def _figure_moments(config: CalibrationConfig, result: FitResult, path: Path) -> None:
    rows = moment_table(config, result)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 4]})
    for ax, names, title, unit in (
        (axes[0], PRIMARY_MOMENTS, "Alliance premium (observed view)", "ratio"),
        (axes[1], [m for m in MOMENTS if m.startswith("maturity")], "Maturity shares", "share"),
    ):
        picked = [r for r in rows if r["moment"] in names]
        x = np.arange(len(picked))
        for r, xi in zip(picked, x, strict=True):
            low, high = r["target"] / (1 + r["tolerance"]), r["target"] * (1 + r["tolerance"])
            ax.fill_between([xi - 0.35, xi + 0.35], low, high, color="0.85", lw=0)
            ax.plot([xi - 0.35, xi + 0.35], [r["target"]] * 2, color="black", lw=2)
        ax.errorbar(
            x - 0.1,
            [r["fit_mean"] for r in picked],
            [r["fit_sd"] for r in picked],
            fmt="o",
            color="tab:blue",
            label="fit seeds (mean, sd)",
        )
        ax.errorbar(
            x + 0.1,
            [r["holdout_mean"] for r in picked],
            [r["holdout_sd"] for r in picked],
            fmt="s",
            color="tab:orange",
            label="hold-out seeds (mean, sd)",
        )
        ax.set_xticks(x, [r["moment"] for r in picked])
        ax.set_title(title)
        ax.set_ylabel(unit)
    axes[0].plot([], [], color="black", lw=2, label="target (grey: tolerance)")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Fit of each moment")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _figure_sensitivity(result: FitResult, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.5))
    limit = max(float(np.abs(result.sensitivity).max()), 1e-9)
    image = ax.imshow(result.sensitivity, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    short = [n.split(".")[-1] for n in result.names]
    ax.set_xticks(range(len(short)), short, rotation=35, ha="right")
    ax.set_yticks(range(len(MOMENTS)), MOMENTS)
    for (i, j), value in np.ndenumerate(result.sensitivity):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, label="change of log(moment) per full bound range")
    ax.set_title("Identifiability: sensitivity of each moment to each parameter")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _figure_bootstrap(config: CalibrationConfig, result: FitResult, path: Path) -> None:
    settings = config.calibration
    lower = np.array([settings.parameters[n].lower for n in result.names])
    upper = np.array([settings.parameters[n].upper for n in result.names])
    unit = (result.bootstrap - lower) / (upper - lower)
    short = [n.split(".")[-1] for n in result.names]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for j in range(len(short)):
        axes[0].scatter(unit[:, j], np.full(len(unit), j), color="tab:blue", alpha=0.6, s=18)
    axes[0].scatter(
        (result.best - lower) / (upper - lower),
        range(len(short)),
        marker="|",
        s=300,
        color="black",
        label="estimate",
    )
    axes[0].set_yticks(range(len(short)), short)
    axes[0].set_xlim(0, 1)
    axes[0].set_xlabel("position within bounds (0 = lower, 1 = upper)")
    axes[0].set_title("Bootstrap re-fits (dots) and the estimate")
    axes[0].legend(fontsize=8)
    corr = np.corrcoef(result.bootstrap, rowvar=False) if len(unit) > 2 else np.eye(len(short))
    image = axes[1].imshow(np.nan_to_num(corr), cmap="RdBu_r", vmin=-1, vmax=1)
    axes[1].set_xticks(range(len(short)), short, rotation=35, ha="right")
    axes[1].set_yticks(range(len(short)), short)
    fig.colorbar(image, ax=axes[1], label="correlation over bootstrap re-fits")
    axes[1].set_title("Parameter correlations")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(config: CalibrationConfig, result: FitResult, folder: Path) -> Path:
    """Write `calibration.md` and its PNG figures into `folder`.

    Args:
        config: The calibration config.
        result: Its result.
        folder: Output folder.

    Returns:
        The Markdown file's path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    settings = config.calibration
    _figure_moments(config, result, folder / "moments.png")
    _figure_sensitivity(result, folder / "sensitivity.png")
    has_bootstrap = result.bootstrap.size > 0
    if has_bootstrap:
        _figure_bootstrap(config, result, folder / "bootstrap.png")
    moments = moment_table(config, result)
    params = identification(config, result)
    lines = [
        f"# Calibration report: `{settings.name}`",
        "",
        f"Written by `alliance-calibrate` on {dt.date.today().isoformat()}, package "
        f"version {package_version()}.",
        "",
        "**Method.** Method of simulated moments. The moments are the observed "
        "frugality, durability and leverage at the evaluated experiment's scale, and the "
        f"territory maturity shares {settings.maturity_observation_year:g} years after "
        "the start. They are averaged over "
        f"{len(settings.seeds)} fixed replicate seeds (common random numbers). The loss is "
        "the mean squared log-ratio to the targets, each scaled by its tolerance. It is "
        "minimised by `scipy.optimize.differential_evolution` (global and derivative-free, "
        f"popsize {settings.popsize}, at most {settings.maxiter} generations, seed "
        f"{settings.optimiser_seed}). Uncertainty comes from a bootstrap over seed sets: "
        f"{settings.bootstrap_replicates} re-fits, each on fresh seeds with targets "
        "perturbed within their tolerance (read as a 95 % interval), by "
        f"{settings.bootstrap_steps} Gauss-Newton steps from the optimum.",
        "",
        f"**Result.** Loss {result.loss:.4f} (below 1 means every moment is, on average, "
        f"within its tolerance), {result.generations} generations, {result.evaluations} "
        f"simulations in the checkpoint, {result.seconds:.0f} s wall time in the last session.",
        "",
        "## Fit of each moment",
        "",
        "![moments](moments.png)",
        "",
        "| moment | target | tolerance | fit seeds mean (sd) | hold-out seeds mean (sd) "
        "| hold-out within tolerance |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for r in moments:
        lines.append(
            f"| {r['moment']} | {r['target']:.3g} | {r['tolerance']:.0%} | "
            f"{r['fit_mean']:.3f} ({r['fit_sd']:.3f}) | {r['holdout_mean']:.3f} "
            f"({r['holdout_sd']:.3f}) | {'yes' if r['holdout_within_tolerance'] else 'no'} |"
        )
    lines += [
        "",
        "## Parameters and their uncertainty",
        "",
        "| parameter | estimate | bounds | bootstrap 95 % interval | most sensitive moment "
        "| identified |",
        "|---|---:|---|---|---|---|",
    ]
    for r in params:
        interval = (
            f"[{r['bootstrap_low']:.4g}, {r['bootstrap_high']:.4g}]" if has_bootstrap else "n/a"
        )
        verdict = "yes" if r["identified"] else f"**no**: {r['why_not']}"
        lines.append(
            f"| `{r['parameter']}` | {r['estimate']:.4g} | [{r['lower']:g}, {r['upper']:g}] | "
            f"{interval} | {r['strongest_moment']} ({r['sensitivity']:.2f}) | {verdict} |"
        )
    lines += [
        "",
        f"A parameter counts as identified when a full-range change moves some moment by "
        f"more than {MIN_SENSITIVITY} in log units and its bootstrap interval covers less "
        f"than {MAX_INTERVAL_SHARE:.0%} of its bounds. An unidentified parameter keeps its "
        "estimate in the calibrated set, but the moments do not pin it down: results "
        "that depend on it should be read with its whole interval in mind.",
        "",
        "## Identifiability",
        "",
        "![sensitivity](sensitivity.png)",
        "",
    ]
    if has_bootstrap:
        lines += ["![bootstrap](bootstrap.png)", ""]
    text = "\n".join(lines) + "\n"
    path = folder / "calibration.md"
    _atomic_write_text(path, text)
    return path
