"""The `xarray.Dataset` of one run: both worlds' time series and the premium."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from simulation.config import INSTRUMENTS, MATURITY_LEVELS, PROFILES, SIZE_CLASSES, RunConfig
from simulation.premium import MEASURES, PROJECT_TYPES, VIEWS, Decomposition, Premium, plausibility

if TYPE_CHECKING:  # xarray is imported when a dataset is built, the model when it runs
    import xarray as xr

    from simulation.model import AllianceModel

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
    "starts_forgone": (
        "starts_forgone",
        ("territory",),
        "1",
        "Project starts forgone by busy organisations",
        "Organisations of the territory whose draw would have started a project had "
        "they been free, but whose active projects left no room (model.emergence."
        "project_capacity; always 0 without a capacity): the crowding-out of starts",
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
        "Social value created per step by member profile",
        "Social value created during the step, each project's value credited to all its "
        "members in proportion to the resources each commits per step (own and mobilised); "
        "sums over profiles to the value created",
    ),
    "value_by_lead_profile_eur": (
        "value_by_lead_profile",
        ("profile",),
        "EUR",
        "Social value created per step by lead profile",
        "Social value created during the step, each project's whole value credited to its "
        "lead organisation's profile",
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
    "the fund divided by with it (present values); > 1 means more frugal",
    "durability": "Restricted mean survival time of projects with the fund divided by "
    "without it (Kaplan-Meier, censored at the horizon; from the landmark of backing in "
    "the matched view, from birth otherwise)",
    "leverage": "Per euro (present value) the fund paid out through all instruments, by "
    "measure: value (social value), resources (private resources: members' own and "
    "mobilised resources and set-up costs) and net (value minus resources); observed: "
    "the backed projects' totals; matched: the backed projects' excess over matched "
    "controls after the landmark; effect_on_backed: their excess over their "
    "counterfactual twins; causal: the treated world's excess over its counterfactual. "
    "NaN where nothing was paid or backed",
}

_DIAGNOSTICS: dict[str, tuple[str, str]] = {
    "backed_projects": (
        "1",
        "Projects the fund backed with an innovation grant (the treated group of the "
        "observed, matched and effect-on-backed views)",
    ),
    "comparable_projects": (
        "1",
        "Unbacked projects started during the fund period in a territory with a backed "
        "project (the observed view's comparison group)",
    ),
    "matched_share": ("1", "Share of backed projects with at least one matched control"),
    "matched_same_territory_share": (
        "1",
        "Share of backed projects whose nearest matched control comes from their own territory",
    ),
    "twins_found_share": (
        "1",
        "Share of backed projects with a twin (same lead, same birth step) in the "
        "counterfactual world",
    ),
    "twins_same_members_share": (
        "1",
        "Share of backed projects whose counterfactual twin has exactly the same members",
    ),
}

_DECOMPOSITION: dict[str, tuple[tuple[str, ...], str, str]] = {
    "selection_frugality": (
        (),
        "Selection factor of observed frugality",
        "Observed frugality divided by the effect on the backed projects: the part of "
        "the observed figure due to which projects were backed (observed = "
        "effect_on_backed x selection)",
    ),
    "selection_durability": (
        (),
        "Selection factor of observed durability",
        "Observed durability divided by the effect on the backed projects (observed = "
        "effect_on_backed x selection)",
    ),
    "selection_leverage": (
        ("measure",),
        "Selection term of observed leverage",
        "Observed minus effect-on-backed leverage, per euro paid: what the backed "
        "projects would have produced (value) or used (resources) without the fund, "
        "i.e. their deadweight (observed = effect_on_backed + selection)",
    ),
    "spillover_leverage": (
        ("measure",),
        "Spill-over term of causal leverage",
        "Causal minus effect-on-backed leverage, per euro paid: what the fund changed "
        "outside the projects it backed (causal = effect_on_backed + spillover)",
    ),
}


@functools.cache
def package_version() -> str:
    """Installed version of this package, or "unknown" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alliance-premium")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def mesa_version() -> str:
    """Installed version of Mesa (read once: the package metadata takes a millisecond)."""
    from importlib.metadata import version

    return version("mesa")


def config_json(config: RunConfig) -> str:
    """The resolved configuration as canonical JSON (sorted keys)."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_hash(config: RunConfig) -> str:
    """A short hash of the resolved configuration and the package version.

    Two runs with the same hash give the same numbers; a sweep re-runs a job whose
    stored hash differs from its current one (a YAML default or the model changed).
    """
    text = f"{package_version()}\n{config_json(config)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_dataset(
    treated: AllianceModel,
    counterfactual: AllianceModel,
    premium: dict[str, Premium],
    decomposition: Decomposition,
    diagnostics: dict[str, float],
) -> xr.Dataset:
    """Assemble the dataset of one run.

    Args:
        treated: The world with the fund, after running.
        counterfactual: The same world without the fund, after running.
        premium: The premium in each of `VIEWS`.
        decomposition: Selection and spill-over terms.
        diagnostics: Scalars of `_DIAGNOSTICS` (group sizes, matching and twin shares).

    Returns:
        The dataset, with units and descriptions on every variable.
    """
    import xarray as xr

    config = treated.config
    scenario = config.scenario
    worlds = (treated, counterfactual)
    records = [treated.recorder.as_dict(), counterfactual.recorder.as_dict()]
    # Variables as (dims, data, attrs): the dataset takes them as they are, where
    # data arrays would each be aligned against the others (most of the assembly's time).
    data_vars: dict[str, tuple] = {}

    def add(name, data, dims, units, long_name, description) -> None:
        attrs = {"units": units, "long_name": long_name, "description": description}
        data_vars[name] = (dims, data, attrs)

    for key, (name, dims, units, long_name, description) in _SERIES.items():
        add(
            name,
            np.stack([r[key] for r in records]),
            ("world", "time", *dims),
            units,
            long_name,
            description,
        )
    for ratio_name in ("frugality", "durability"):
        add(
            f"premium_{ratio_name}",
            [getattr(premium[v], ratio_name) for v in VIEWS],
            ("view",),
            "1",
            f"Alliance premium: {ratio_name}",
            _PREMIUM[ratio_name],
        )
    add(
        "premium_leverage",
        [[premium[v].leverage.measure(m) for m in MEASURES] for v in VIEWS],
        ("view", "measure"),
        "1",
        "Alliance premium: leverage",
        _PREMIUM["leverage"],
    )
    for name, (dims, long_name, description) in _DECOMPOSITION.items():
        value = getattr(decomposition, name)
        data = [value[m] for m in MEASURES] if dims else value
        add(name, data, dims, "1", long_name, description)
    for name, count in diagnostics.items():
        units, description = _DIAGNOSTICS[name]
        add(name, count, (), units, name.replace("_", " ").capitalize(), description)

    checks = [plausibility(m.projects) for m in worlds]
    add(
        "value_below_resources_share",
        np.stack([c["value_below_resources_share"] for c in checks]),
        ("world", "project_type"),
        "1",
        "Share of projects creating less than they use",
        "Share of projects whose social value (present value) is below the resources they used",
    )
    add(
        "value_per_eur_of_resources",
        np.stack([c["value_per_eur"] for c in checks]),
        ("world", "project_type"),
        "1",
        "Mean social value per euro of resources",
        "Mean over projects of social value per euro of resources used (present values)",
    )

    discounted = "discounted to the start at accounting.discount_rate_per_year"
    present_values = {
        "value_pv": ("value_created_pv", "Present value of social value created"),
        "resources_pv": ("resources_used_pv", "Present value of resources used"),
        "private_pv": (
            "private_resources_pv",
            "Present value of private resources used",
        ),
        "mobilised_pv": ("resources_mobilised_pv", "Present value of resources mobilised"),
    }
    for column, (name, long_name) in present_values.items():
        add(
            name,
            [m.projects.column(column).sum() for m in worlds],
            ("world",),
            "EUR",
            long_name,
            f"{long_name} by every project over the horizon, {discounted}",
        )
    data_vars["private_resources_pv"][2]["description"] += (
        "; private resources are everything not paid by the fund: members' own and "
        "mobilised resources and set-up costs"
    )
    add(
        "fund_invested_pv",
        [invested_pv(m) for m in worlds],
        ("world",),
        "EUR",
        "Present value of fund payouts",
        f"Everything the fund paid out through all instruments, {discounted}",
    )
    budget = config.fund.budget_eur
    paid = float(treated.recorder.fund_spending_eur.sum())
    extra_value = float(
        treated.projects.column("value_pv").sum() - counterfactual.projects.column("value_pv").sum()
    )
    add("fund_budget", budget, (), "EUR", "Fund budget", "The budget the fund was given")
    add(
        "budget_paid_share",
        paid / budget if budget > 0 else np.nan,
        (),
        "1",
        "Share of the budget paid out",
        "Money the fund paid out over the run (undiscounted) divided by its budget; the "
        "rest stayed in the innovation pool or in grants to projects that ended early",
    )
    add(
        "value_per_eur_budgeted",
        extra_value / budget if budget > 0 else np.nan,
        (),
        "1",
        "Extra social value per euro budgeted",
        "The treated world's extra social value over its counterfactual (present value) "
        "per euro of budget, paid out or not",
    )
    add(
        "projects_started",
        [m.projects.size for m in worlds],
        ("world",),
        "1",
        "Projects started",
        "Projects started over the horizon, solo and alliance",
    )
    forgone = [int(m.recorder.starts_forgone.sum()) for m in worlds]
    add(
        "starts_displaced",
        forgone[0] - forgone[1],
        (),
        "1",
        "Project starts displaced by the fund",
        "Starts forgone by busy organisations in the world with the fund minus those "
        "forgone without it (model.emergence.project_capacity; 0 without a capacity): "
        "the crowding-out of starts, to set against the extra projects started "
        "(projects_started, treated minus counterfactual)",
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
                "description": "observed: backed vs comparable projects from birth (naive "
                "evaluation); matched: from the landmark of backing, against matched "
                "eligible controls; effect_on_backed: backed projects vs their "
                "counterfactual twins; causal: treated world vs its counterfactual",
            },
        ),
        "measure": (
            "measure",
            list(MEASURES),
            {
                "long_name": "Leverage measure",
                "description": "value: social value per euro paid; resources: private "
                "resources per euro paid; net: value minus resources",
            },
        ),
        "project_type": (
            "project_type",
            list(PROJECT_TYPES),
            {
                "long_name": "Project type",
                "description": "solo: one organisation; alliance: a lead and at least one partner",
            },
        ),
    }
    add(
        "discount_factor",
        treated.discount,
        ("time",),
        "1",
        "Discount factor",
        "Factor applied to a flow at this step to count it at the start "
        "(accounting.discount_rate_per_year and accounting.discount_schedule)",
    )
    # Dimension coordinates first, then the others, in the order data arrays gave them.
    coords = {name: coords[name] for name in sorted(coords, key=lambda n: coords[n][0] != n)}
    dataset = xr.Dataset(data_vars, coords=coords)
    dataset.attrs = {
        "title": "Alliance premium simulation",
        "scenario": scenario.name,
        "strategy": config.fund.strategy.name,
        "seed": config.seed,
        "package_version": package_version(),
        "mesa_version": mesa_version(),
        "config_json": config_json(config),
        "config_hash": config_hash(config),
        "discount_rate_per_year": config.accounting.discount_rate_per_year,
        "discount_schedule": config.accounting.discount_schedule,
        "placebo": int(config.fund.placebo),
    }
    return dataset


def invested_pv(model: AllianceModel) -> float:
    """Present value of everything the fund paid out in a model's run, euro."""
    return float((model.recorder.fund_spending_eur.sum(axis=1) * model.discount).sum())
