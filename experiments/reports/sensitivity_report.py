"""The sensitivity report: which calibrated parameters drive the premium.

Written by `alliance-report` for a merged sensitivity sweep (a `sample`
dimension): `sensitivity.csv` (one row per output and parameter) and a
self-contained `report.html` with a figure and a plain-language verdict.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from experiments.config.sensitivity import OUTPUTS, analyse
from experiments.reports.html import page, png
from experiments.reports.html import table as html_table


def _short(path: str) -> str:
    return path.split(".")[-1]


def figure_indices(indices: pd.DataFrame, method: str) -> str:
    """One panel per output: each parameter's index with its 95 % interval."""
    measures = (
        [("S1", "first order S1"), ("ST", "total ST")]
        if method == "sobol"
        else [("mu_star", "mu*")]
    )
    outputs = list(dict.fromkeys(indices["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(3.2 * len(outputs), 3.8), sharey=True)
    for ax, output in zip(np.atleast_1d(axes), outputs, strict=True):
        rows = indices[indices["output"] == output]
        positions = np.arange(len(rows))
        height = 0.8 / len(measures)
        for k, (column, label) in enumerate(measures):
            ax.barh(
                positions + k * height,
                rows[column],
                height=height,
                xerr=rows[f"{column}_conf"],
                label=label,
                alpha=0.8,
            )
        ax.set_yticks(positions + height * (len(measures) - 1) / 2)
        ax.set_yticklabels([_short(p) for p in rows["parameter"]])
        ax.set_title(OUTPUTS[output], fontsize=9)
        ax.set_xlabel("Sobol index (share of variance)" if method == "sobol" else "mu* (units)")
    np.atleast_1d(axes)[0].invert_yaxis()
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(f"Sensitivity of the premium to the calibrated parameters ({method})")
    fig.tight_layout()
    return png(fig)


def verdict(indices: pd.DataFrame, method: str) -> str:
    """A plain-language paragraph: what drives each output, and what does not matter."""
    measure = "ST" if method == "sobol" else "mu_star"
    sentences = []
    for output, rows in indices.groupby("output", sort=False):
        ranked = rows.sort_values(measure, ascending=False)
        top = ranked.iloc[0]
        drivers = ranked[ranked["influence"] >= 0.2]["parameter"].map(_short).tolist()
        label = OUTPUTS[output]
        sentence = f"{label[0].upper()}{label[1:]} is driven mostly by {_short(top['parameter'])}"
        if len(drivers) > 1:
            sentence += f" (also {', '.join(drivers[1:])})"
        sentences.append(sentence + ".")
    negligible = [
        _short(p)
        for p, rows in indices.groupby("parameter", sort=False)
        if (rows["influence"] < 0.05).all()
    ]
    if negligible:
        sentences.append(
            f"Within their calibration bounds, {', '.join(negligible)} barely move any output."
        )
    if method == "sobol":
        sentences.append(
            "S1 is the share of variance a parameter explains alone, ST includes its "
            "interactions; intervals are 95 % bootstrap intervals."
        )
    return " ".join(sentences)


def write_sensitivity_report(dataset: xr.Dataset, folder: Path) -> Path:
    """Write `report.html` and `sensitivity.csv` for a merged sensitivity sweep.

    Args:
        dataset: A merged sweep with a `sample` dimension.
        folder: Output folder.

    Returns:
        The HTML file's path.

    Raises:
        ValueError: The sweep is incomplete or does not match its design.
    """
    indices = analyse(dataset)
    design = json.loads(dataset.attrs["sensitivity_design"])
    method = design["method"]
    folder.mkdir(parents=True, exist_ok=True)
    indices.to_csv(folder / "sensitivity.csv", index=False)
    bounds = pd.DataFrame(
        [
            {"parameter": p, "lower": low, "upper": high}
            for p, (low, high) in design["parameters"].items()
        ]
    )
    skipped = sorted(set(OUTPUTS) - set(indices["output"]))
    note = (
        f"<p>Not analysed (some runs gave no value): {html.escape(', '.join(skipped))}.</p>"
        if skipped
        else ""
    )
    body = f"""<p><b>{html.escape(verdict(indices, method))}</b></p>
<p>Method: {method} (SALib), base samples {design["base_samples"]}, design seed
{design["design_seed"]}; {dataset.sizes["sample"]} design rows x {dataset.sizes["seed"]} seeds
(outputs averaged over seeds, common random numbers across rows); calibrated set:
{html.escape(str(dataset.attrs.get("calibrated_set", "")))}; package version
{html.escape(str(dataset.attrs.get("package_version", "")))}.</p>{note}
<h2>Parameters and bounds</h2>{html_table(bounds)}
<h2>Indices</h2>{html_table(indices)}"""
    path = folder / "report.html"
    path.write_text(
        page("Alliance premium: global sensitivity", body, [figure_indices(indices, method)])
    )
    return path
