"""The `xarray.Dataset` of one run: both worlds' time series and the premium."""

from __future__ import annotations

import dataclasses
import json
from importlib.metadata import PackageNotFoundError, version

import mesa
import numpy as np
import xarray as xr

from simulation.config import INSTRUMENTS, MATURITY_LEVELS, PROFILES, SIZE_CLASSES, RunConfig
from simulation.model import AllianceModel
from simulation.premium import VIEWS, Premium

WORLDS: tuple[str, ...] = ("treated", "counterfactual")

# name in Recorder -> (dataset name, dimensions after (world, time), units, long name,
# description)
_SERIES: dict[str, tuple[str, tuple[str, ...], str, str, str]] = {
    "value_eur": (
        "value_created",
        ("territory",),
        "EUR",
        "Social value created per step",
        "Social value created during the step (euro-equivalent, undiscounted), by the "
        "projects of the territory, including value persisting after a project ended",
    ),
    "resources_eur": (
        "resources_used",
        ("territory",),
        "EUR",
        "Resources used per step",
        "Resources used by the territory's projects during the step: members' human "
        "(valued at the wage) and financial resources, mobilised resources, fund "
        "grants and set-up costs",
    ),
    "mobilised_eur": (
        "resources_mobilised",
        ("territory",),
        "EUR",
        "Resources mobilised per step",
        "Idle resources (volunteers, skills sponsorship, co-funding) that alliances "
        "mobilised during the step",
    ),
    "active_projects": (
        "active_projects",
        ("territory",),
        "1",
        "Active projects",
        "Projects that ran during the step, solo and alliance",
    ),
    "active_alliances": (
        "active_alliances",
        ("territory",),
        "1",
        "Active alliances",
        "Alliance projects (at least one partner) that ran during the step",
    ),
    "engineering": (
        "engineering_capacity",
        ("territory",),
        "1",
        "Engineering capacity",
        "Territorial engineering capacity E in [0, 1] at the end of the step",
    ),
    "trust": ("trust", ("territory",), "1", "Trust", "Trust T in [0, 1] at the end of the step"),
    "maturity": (
        "maturity",
        ("territory",),
        "1",
        "Maturity level",
        "Territory maturity level (1 first steps, 2 skills, 3 sustain, 4 new model)",
    ),
    "value_by_profile_eur": (
        "value_by_profile",
        ("profile",),
        "EUR",
        "Social value created per step by lead profile",
        "Social value created during the step by projects led by each profile",
    ),
    "maturity_share": (
        "maturity_share",
        ("maturity_level",),
        "1",
        "Share of territories by maturity level",
        "Share of territories at each maturity level at the end of the step",
    ),
    "commons": (
        "knowledge_commons",
        (),
        "1",
        "Knowledge commons",
        "Knowledge commons K in [0, 1] at the end of the step",
    ),
    "fund_spending_eur": (
        "fund_spending",
        ("instrument",),
        "EUR",
        "Fund spending per step",
        "Money the fund paid out during the step, by instrument",
    ),
}

_PREMIUM: dict[str, str] = {
    "frugality": "Mean over projects of resources used per unit of social value, without "
    "alliance engineering divided by with it (present values); > 1 means more frugal",
    "durability": "Restricted mean survival time of projects with alliance engineering "
    "divided by without it (Kaplan-Meier, censored at the horizon)",
    "leverage": "Present value of social value created plus resources mobilised, per "
    "euro (present value) the fund paid out through all instruments (observed: by the "
    "backed projects; causal: the treated world's extra over its counterfactual); "
    "NaN where nothing was invested",
}


_COUNTS: dict[str, str] = {
    "backed_projects": "Projects the fund backed during its investment period (the "
    "observed premium's treated group)",
    "comparable_projects": "Unbacked projects started in the same period (the observed "
    "premium's comparison group)",
}


def package_version() -> str:
    """Installed version of this package, or "unknown" when it is not installed."""
    try:
        return version("alliance-premium")
    except PackageNotFoundError:
        return "unknown"


def config_json(config: RunConfig) -> str:
    """The resolved configuration as canonical JSON (sorted keys)."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def build_dataset(
    treated: AllianceModel,
    counterfactual: AllianceModel,
    premium: dict[str, Premium],
    counts: dict[str, int],
) -> xr.Dataset:
    """Assemble the dataset of one run.

    Args:
        treated: The world with the fund, after running.
        counterfactual: The same world without the fund, after running.
        premium: The premium in each of `VIEWS`.
        counts: Scalar counts to store (backed and comparable projects).

    Returns:
        The dataset, with units and descriptions on every variable.
    """
    config = treated.config
    scenario = config.scenario
    records = [treated.recorder.as_dict(), counterfactual.recorder.as_dict()]
    data_vars: dict[str, xr.DataArray] = {}
    for key, (name, dims, units, long_name, description) in _SERIES.items():
        data_vars[name] = xr.DataArray(
            np.stack([r[key] for r in records]),
            dims=("world", "time", *dims),
            attrs={"units": units, "long_name": long_name, "description": description},
        )
    for ratio, description in _PREMIUM.items():
        data_vars[f"premium_{ratio}"] = xr.DataArray(
            [getattr(premium[view], ratio) for view in VIEWS],
            dims=("view",),
            attrs={
                "units": "1",
                "long_name": f"Alliance premium: {ratio}",
                "description": description,
            },
        )
    discounted = "discounted to the start at accounting.discount_rate_per_year"
    present_values = {
        "value_pv": ("value_created_pv", "Present value of social value created"),
        "resources_pv": ("resources_used_pv", "Present value of resources used"),
        "mobilised_pv": ("resources_mobilised_pv", "Present value of resources mobilised"),
    }
    for column, (name, long_name) in present_values.items():
        data_vars[name] = xr.DataArray(
            [m.projects.column(column).sum() for m in (treated, counterfactual)],
            dims=("world",),
            attrs={
                "units": "EUR",
                "long_name": long_name,
                "description": f"{long_name} by every project over the horizon, {discounted}",
            },
        )
    data_vars["fund_invested_pv"] = xr.DataArray(
        [invested_pv(m) for m in (treated, counterfactual)],
        dims=("world",),
        attrs={
            "units": "EUR",
            "long_name": "Present value of fund payouts",
            "description": f"Everything the fund paid out through all instruments, {discounted}",
        },
    )
    data_vars["projects_started"] = xr.DataArray(
        [m.projects.size for m in (treated, counterfactual)],
        dims=("world",),
        attrs={
            "units": "1",
            "long_name": "Projects started",
            "description": "Projects started over the horizon, solo and alliance",
        },
    )
    for name, count in counts.items():
        data_vars[name] = xr.DataArray(
            count,
            attrs={
                "units": "1",
                "long_name": name.replace("_", " ").capitalize(),
                "description": _COUNTS[name],
            },
        )

    time = np.arange(1, scenario.n_steps + 1)
    coords = {
        "world": (
            "world",
            list(WORLDS),
            {
                "long_name": "World",
                "description": "treated: with the fund; counterfactual: the same world "
                "(same seed, same draws) without it",
            },
        ),
        "time": (
            "time",
            time,
            {"units": "1", "long_name": "Step", "description": "End of step (one quarter)"},
        ),
        "year": (
            "time",
            time / scenario.steps_per_year,
            {"units": "year", "long_name": "Years since the start of the simulation"},
        ),
        "territory": (
            "territory",
            np.arange(scenario.n_territories),
            {"long_name": "Territory", "description": "Territory index within the run"},
        ),
        "size_class": (
            "territory",
            [SIZE_CLASSES[i] for i in treated.territories.size_class],
            {"units": "1", "long_name": "Territory size class", "description": "Drawn per seed"},
        ),
        "profile": (
            "profile",
            list(PROFILES),
            {"long_name": "Lead organisation profile", "description": "Who leads the project"},
        ),
        "maturity_level": (
            "maturity_level",
            list(MATURITY_LEVELS),
            {
                "units": "1",
                "long_name": "Maturity level",
                "description": "1 first steps, 2 skills, 3 sustain, 4 new model",
            },
        ),
        "instrument": (
            "instrument",
            list(INSTRUMENTS),
            {"long_name": "Fund instrument", "description": "The fund's three instruments"},
        ),
        "view": (
            "view",
            list(VIEWS),
            {
                "long_name": "Premium view",
                "description": "observed: backed vs comparable projects; causal: treated "
                "world vs its counterfactual",
            },
        ),
    }
    dataset = xr.Dataset(data_vars, coords=coords)
    dataset.attrs = {
        "title": "Alliance premium simulation",
        "scenario": scenario.name,
        "strategy": config.fund.strategy.name,
        "seed": config.seed,
        "package_version": package_version(),
        "mesa_version": mesa.__version__,
        "config_json": config_json(config),
        "discount_rate_per_year": config.accounting.discount_rate_per_year,
    }
    return dataset


def invested_pv(model: AllianceModel) -> float:
    """Present value of everything the fund paid out in a model's run, euro."""
    return float((model.recorder.fund_spending_eur.sum(axis=1) * model.discount).sum())
