"""Write a calibration's outputs: the calibrated config group and a Markdown report."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import yaml

from calibration.config import MOMENTS, PRIMARY_MOMENTS, CalibrationConfig, sampled_bounds
from calibration.fit import FitResult
from calibration.jacobian import peel, responses
from calibration.loss import loss
from experiments.storage.files import write_text_atomically
from simulation.dataset import package_version

# A full-range change of the parameter must move some moment by more than this (log
# units), and its posterior 90 % interval must cover less than this share of its bounds
# (its prior's support).
MIN_SENSITIVITY = 0.1
MAX_INTERVAL_SHARE = 0.5
CREDIBLE_MASS = 0.9
POSTERIOR_DRAWS_NAME = "posterior_draws.json"


def _nested(values: dict[str, object]) -> dict:
    """Dotted paths to a nested mapping, as the config tree writes them."""
    tree: dict = {}
    for path, value in values.items():
        node = tree
        *parents, name = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = value
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
            and abs(math.log(max(row["holdout_mean"], 1e-12) / target.value))
            <= math.log1p(target.tolerance)
        )
        rows.append(row)
    return rows


def identification(config: CalibrationConfig, result: FitResult) -> list[dict]:
    """Per parameter: estimate, posterior interval, strongest moment, and a verdict.

    The verdict and the interval come from the same posterior, so they agree: a
    parameter whose 90 % interval covers half its prior range or more is not
    identified, whatever its estimate.
    """
    bounds_of = sampled_bounds(config.calibration)
    rows = []
    for j, name in enumerate(result.names):
        lower, upper, _ = bounds_of[name]
        span = upper - lower
        column = np.abs(result.sensitivity[:, j])
        strongest = MOMENTS[int(np.argmax(column))]
        row = {
            "parameter": name,
            "estimate": float(result.best[j]),
            "lower": lower,
            "upper": upper,
            "sensitivity": float(column.max()),
            "strongest_moment": strongest,
        }
        reasons = []
        if row["sensitivity"] < MIN_SENSITIVITY:
            reasons.append("no moment responds to it")
        if result.posterior is not None:
            low, high = result.posterior.interval(CREDIBLE_MASS)[j]
            row.update(
                interval_low=float(low),
                interval_high=float(high),
                posterior_mean=float(result.posterior.mean[j]),
            )
            if (high - low) / span >= MAX_INTERVAL_SHARE:
                share = (high - low) / span
                reasons.append(f"its {CREDIBLE_MASS:.0%} interval covers {share:.0%} of its prior")
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
        "method": (
            "posterior mode (the draw of highest likelihood), tempered SMC on a "
            "synthetic likelihood"
            if result.posterior is not None
            else "method of simulated moments, scipy differential_evolution"
        ),
        "loss": round(result.loss, 6),
        "seeds": list(settings.seeds),
        "holdout_seeds": list(settings.holdout_seeds),
        "simulations": result.evaluations,
        "j_test": (
            {
                "statistic": round(result.j_test.statistic, 4),
                "dof": result.j_test.dof,
                "p_value": round(result.j_test.p_value, 4),
            }
            if result.j_test is not None
            else None
        ),
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
        _nested({name: float(x) for name, x in zip(result.names, result.best, strict=True)}),
        sort_keys=False,
    )
    text = (
        "# @package _global_\n"
        "# Calibrated parameter set, written by alliance-calibrate: do not edit by hand.\n"
        "# Select with calibrated=<name>; calibrated=none runs the uncalibrated assumptions.\n"
        f"{comment}\n{body}"
    )
    write_text_atomically(path, text)
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


def _figure_posterior(config: CalibrationConfig, result: FitResult, path: Path) -> None:
    """Marginals on the diagonal, pairs below it, in units of each prior's range."""
    bounds_of = sampled_bounds(config.calibration)
    lower = np.array([bounds_of[n][0] for n in result.names])
    upper = np.array([bounds_of[n][1] for n in result.names])
    unit = (result.posterior.draws - lower) / (upper - lower)
    short = [n.split(".")[-1] for n in result.names]
    p = len(short)
    fig, axes = plt.subplots(p, p, figsize=(2.2 * p, 2.2 * p))
    for i in range(p):
        for j in range(p):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(unit[:, i], bins=20, range=(0, 1), color="tab:blue", alpha=0.7)
                ax.axvline((result.best[i] - lower[i]) / (upper[i] - lower[i]), color="black")
            else:
                ax.scatter(unit[:, j], unit[:, i], s=6, alpha=0.5, color="tab:blue")
                ax.set_ylim(0, 1)
            ax.set_xlim(0, 1)
            ax.tick_params(labelsize=6)
            if i == p - 1:
                ax.set_xlabel(short[j], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(short[i], fontsize=8)
    fig.suptitle(
        "Posterior draws, each axis from its prior's lower (0) to upper (1) bound; "
        "line: the calibrated set (mode)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def prior_samples(config: CalibrationConfig, draws: int) -> dict[str, list[float]]:
    """A Latin hypercube over the priors the posterior did not sample, one row per draw."""
    from scipy.stats import qmc

    settings = config.calibration
    sampled = sampled_bounds(settings)
    names = [name for name in settings.priors if name not in sampled]
    if not names:
        return {}
    unit = qmc.LatinHypercube(d=len(names), seed=settings.optimiser_seed).random(draws)
    return {
        name: [settings.priors[name].quantile(u) for u in unit[:, j]]
        for j, name in enumerate(names)
    }


def write_posterior_set(config: CalibrationConfig, result: FitResult, folder: Path) -> Path:
    """Write `calibrated=posterior`: its draws, and the config option that reads them.

    Draw `i` holds every parameter the posterior sampled (the free ones, and the
    uncertain ones with joint priors) at posterior draw `i` and, for every uncertain
    parameter it did not sample, row `i` of a Latin hypercube over its prior.

    Args:
        config: The calibration config.
        result: Its result, with a posterior.
        folder: The `configs/calibrated/` folder.

    Returns:
        The path of `posterior.yaml`.
    """
    import json

    draws = {
        name: [float(x) for x in result.posterior.draws[:, j]]
        for j, name in enumerate(result.names)
    }
    # Jointly sampled priors are in the posterior draws already.
    uncertain = prior_samples(config, len(result.posterior.draws))
    record = {
        "calibrated_set": config.calibration.name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "package_version": package_version(),
        "draws": len(result.posterior.draws),
        "calibrated": draws,
        "uncertain": uncertain,
        "priors": {
            name: {"lower": p.lower, "upper": p.upper, "shape": p.shape, "source": p.source}
            for name, p in config.calibration.priors.items()
        },
    }
    write_text_atomically(folder / POSTERIOR_DRAWS_NAME, json.dumps(record, indent=1) + "\n")
    paths = [*draws, *uncertain]
    body = yaml.safe_dump(
        _nested({path: f"${{posterior_draw:{path},${{draw}}}}" for path in paths}),
        sort_keys=False,
    )
    which = (
        "# runs calibrated parameters of posterior draw N and, for the parameters no moment\n"
        f"# pins down, prior sample N; values in {POSTERIOR_DRAWS_NAME}.\n"
        if uncertain
        else "# runs posterior draw N of every sampled parameter (the free ones and the\n"
        f"# uncertain ones, sampled jointly); values in {POSTERIOR_DRAWS_NAME}.\n"
    )
    text = (
        "# @package _global_\n"
        "# Posterior draws, written by alliance-calibrate: do not edit by hand.\n"
        f"# alliance-run calibrated=posterior draw=N (N in 0..{len(result.posterior.draws) - 1})\n"
        f"{which}"
        "draw: 0\n"
        f"{body}"
    )
    path = folder / "posterior.yaml"
    write_text_atomically(path, text)
    return path


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
    has_posterior = result.posterior is not None
    if has_posterior:
        _figure_posterior(config, result, folder / "posterior.png")
    moments = moment_table(config, result)
    params = identification(config, result)
    lines = [
        f"# Calibration report: `{settings.name}`",
        "",
        f"Written by `alliance-calibrate` on {dt.date.today().isoformat()}, package "
        f"version {package_version()}.",
        "",
        "**Moments.** The observed frugality, durability and value leverage at the "
        "evaluated experiment's scale, the backed projects' social value per euro of all "
        "resources (`sroi`, an anchor outside the field's three figures: published SROI "
        "ratios), and the territory maturity shares "
        f"{settings.maturity_observation_year:g} years after the start: "
        f"{len(MOMENTS) - 1} independent moments (the four shares sum to 1) for "
        f"{len(settings.parameters)} free parameters"
        + (
            f", with {len(result.names) - len(settings.parameters)} uncertain ones sampled "
            "jointly from their priors in the posterior."
            if settings.joint_priors
            else "."
        ),
        "",
        "**Method.** Stage 1, simulated moments: the tolerance-scaled squared log-ratio to "
        "the targets, averaged over the first "
        f"{settings.optimiser_replicates} seeds, minimised by "
        "`scipy.optimize.differential_evolution` (popsize "
        f"{settings.popsize}, at most {settings.maxiter} generations, seed "
        f"{settings.optimiser_seed}). Stage 2, the posterior: a Gaussian synthetic "
        "likelihood of the reported figures (sampling covariance of single worlds at the "
        f"stage-1 optimum over {len(settings.covariance_seeds)} seeds"
        + (
            ", scaled by the Hartlap factor `(n - 1) / (n - k - 2)` so that its inverse is unbiased"
            if settings.debias_precision
            else ""
        )
        + ", plus the rounding "
        "of each reported figure; `calibration/likelihood.py`), sampled by tempered "
        f"sequential Monte Carlo ({settings.posterior_particles} particles, "
        f"at most {settings.posterior_moves} Metropolis move(s) per stage, until 90 % of "
        f"the particles have moved {settings.posterior_moved_times} time(s); "
        "`calibration/posterior.py`) from a prior uniform on the bounds (in log "
        "coordinates for a log-uniform prior). Every likelihood "
        f"evaluation averages {len(settings.seeds)} fixed seeds (common random numbers). "
        f"The calibrated set (`calibrated={settings.name}`) is the posterior mode (its draw of "
        "highest likelihood; the prior is flat): the default must reproduce the field's "
        "figures, and the mean of this wide, skewed posterior does not "
        "(`calibration/fit.py`); "
        "`calibrated=posterior draw=N` runs draw N.",
        "",
        f"**Result.** Loss {result.loss:.4f} at the calibrated set (below 1 means every "
        "moment is, on average, within its tolerance), "
        f"{result.generations} generations, {result.evaluations} simulations in the "
        f"checkpoint, {result.seconds:.0f} s wall time in the session that wrote this report "
        "(a session that finds its simulations in the checkpoint only replays them).",
        "",
    ]
    if result.j_test is not None:
        test = result.j_test
        verdict = (
            "the over-identifying restriction is rejected at 5 %: the moments cannot all be "
            "matched at once"
            if test.p_value < 0.05
            else "no evidence against the over-identifying restriction at 5 %"
        )
        lines += [
            "## Over-identification: Hansen's J test",
            "",
            f"J = {test.statistic:.3f} with {test.dof} degree(s) of freedom, p = "
            f"{test.p_value:.3f}: {verdict}. J uses the likelihood's covariance (sampling "
            "noise of one world, simulation noise of the seed average, rounding of the "
            "reported figures).",
            "",
        ]
    lines += [
        "## Fit of each moment",
        "",
        "![moments](moments.png)",
        "",
        f"Fit seeds: {len(settings.seeds)}; hold-out seeds: {len(settings.holdout_seeds)}, "
        "never used in the fit.",
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
    if result.mean_moments is not None:
        at_mean = ", ".join(
            f"{name} {value:.3g}" for name, value in zip(MOMENTS, result.mean_moments, strict=True)
        )
        mean_loss = loss(result.mean_moments, config.targets, settings.share_floor)
        lines += [
            "",
            f"At the posterior mean instead of its mode, on the fit seeds: {at_mean}; loss "
            f"{mean_loss:.4f} against {result.loss:.4f} at the mode. The calibrated set is "
            "the mode: the draw that reproduces the figures most closely.",
        ]
    lines += [
        "",
        "## Calibrated parameters and their uncertainty",
        "",
        f"| parameter | calibrated (posterior mode) | posterior mean | prior (uniform on) | "
        f"{CREDIBLE_MASS:.0%} credible interval | most sensitive moment | identified |",
        "|---|---:|---:|---|---|---|---|",
    ]
    for r in params:
        interval = (
            f"[{r['interval_low']:.4g}, {r['interval_high']:.4g}]" if has_posterior else "n/a"
        )
        verdict = "yes" if r["identified"] else f"**no**: {r['why_not']}"
        mean = f"{r['posterior_mean']:.4g}" if has_posterior else "n/a"
        lines.append(
            f"| `{r['parameter']}` | {r['estimate']:.4g} | {mean} | "
            f"[{r['lower']:g}, {r['upper']:g}] | {interval} | "
            f"{r['strongest_moment']} ({r['sensitivity']:.2f}) | {verdict} |"
        )
    lines += [
        "",
        f"A parameter counts as identified when a full-range change moves some moment by "
        f"more than {MIN_SENSITIVITY} in log units and its {CREDIBLE_MASS:.0%} credible "
        f"interval covers less than {MAX_INTERVAL_SHARE:.0%} of its prior range. Both the "
        "interval and the verdict come from the same posterior draws.",
        "",
    ]
    if has_posterior:
        lines += [
            "## Posterior marginals and pairs",
            "",
            "![posterior](posterior.png)",
            "",
            f"Tempering schedule: {len(result.posterior.temperatures) - 1} stages; Metropolis "
            "acceptance per stage: "
            + ", ".join(f"{a:.2f}" for a in result.posterior.acceptance)
            + f"; {result.posterior.evaluations} likelihood evaluations.",
            "",
        ]
    after = [name for name in settings.priors if name not in sampled_bounds(settings)]
    carried = (
        "Those not named below are sampled jointly with the free parameters in the "
        "posterior, each from its prior, so the moments constrain them where they can; the "
        "calibrated set takes them at the posterior mode, and `calibrated=posterior "
        "draw=N` runs joint draw N. "
        + (
            "Drawn from their priors after the fit instead (no moment responds to them): "
            + ", ".join(f"`{name.split('.')[-1]}`" for name in after)
            + "."
            if after
            else ""
        )
        if settings.joint_priors
        else "No moment pins these down; every run from the posterior draws them from "
        "their prior (`calibrated=posterior draw=N`), and the calibrated set keeps their "
        "defaults."
    )
    lines += [
        "## Parameters carried as uncertain (priors)",
        "",
        carried,
        "",
        "| parameter | default | prior | source |",
        "|---|---:|---|---|",
    ]
    for name, prior in settings.priors.items():
        default = _read(config, name)
        lines.append(
            f"| `{name}` | {default:g} | {prior.shape} on [{prior.lower:g}, {prior.upper:g}] "
            f"| {prior.source} |"
        )
    lines += [
        "",
        "## Identifiability",
        "",
        "![sensitivity](sensitivity.png)",
        "",
        *jacobian_lines(config, result),
    ]
    for extra, title in (
        ("coverage.md", "Coverage of the credible intervals (simulation-based calibration)"),
        ("causal_sensitivity.md", "What drives the causal answer"),
        ("prior_ends.md", "Which unfitted priors move the answer"),
        ("patterns.md", "Held-out patterns"),
        ("predictive.md", "Posterior predictive check"),
    ):
        if (folder / extra).exists():
            lines += [f"## {title}", "", f"See [{extra}]({extra}).", ""]
    text = "\n".join(lines) + "\n"
    path = folder / "calibration.md"
    write_text_atomically(path, text)
    return path


def jacobian_lines(config: CalibrationConfig, result: FitResult) -> list[str]:
    """The moments' Jacobian on the free parameters, and which moments fit which.

    Args:
        config: The calibration config (which sampled parameters are free).
        result: The fit, with its sensitivity matrix.

    Returns:
        Markdown lines: a table of the changes of each log moment per full bound
        range of each free parameter, then the parameters each moment fits on its
        own (`calibration.jacobian.peel`) and those fitted jointly.
    """
    free = len(config.calibration.parameters)
    names = result.names[:free]
    short = [name.rsplit(".", 1)[-1] for name in names]
    matrix = np.asarray(result.sensitivity)[:, :free]
    pattern = responses(matrix, MIN_SENSITIVITY)
    lines = [
        "### The Jacobian on the fitted parameters",
        "",
        "Change of each log moment per full bound range of each free parameter, at the "
        f"calibrated set; in bold where it exceeds {MIN_SENSITIVITY:g}, a response "
        "(`calibration/jacobian.py`).",
        "",
        "| moment | " + " | ".join(f"`{n}`" for n in short) + " |",
        "|---|" + "---:|" * free,
    ]
    for k, moment in enumerate(MOMENTS):
        cells = [f"**{v:.2f}**" if pattern[k, j] else f"{v:.2f}" for j, v in enumerate(matrix[k])]
        lines.append(f"| {moment} | " + " | ".join(cells) + " |")
    fixed, left = peel(pattern)
    own = [f"{MOMENTS[k]} by `{short[j]}`" for k, j in fixed]
    joint = [moment for k, moment in enumerate(MOMENTS) if pattern[k, left].sum() > 1]
    lines += [
        "",
        (
            "Fitted one at a time, each by a moment that responds to no other free parameter "
            "not yet fixed: " + ("; ".join(own) if own else "none") + "."
        ),
        "",
        (
            "Fitted jointly (moments that respond to several of the rest): "
            + (
                f"{', '.join(f'`{short[j]}`' for j in left)} by {', '.join(joint)}."
                if joint
                else "none"
                + (
                    f"; no moment responds to {', '.join(f'`{short[j]}`' for j in left)}."
                    if left
                    else ": the Jacobian is triangular, so each figure is fitted by a "
                    "parameter of its own and none tests another's mechanism."
                )
            )
        ),
        "",
    ]
    return lines


def _read(config: CalibrationConfig, path: str) -> float:
    node: object = config
    for part in path.split("."):
        node = getattr(node, part)
    return float(node)
