"""Arms and states of the world in a merged sweep, and each run's value-for-money quantities.

An *arm* is one combination of the swept values other than the uncertainty
dimensions (for example `strategy=uniform`, or a strategy and a budget). A
*state of the world* is one combination of the uncertainty dimensions: the seed
(the world's own randomness), the posterior draw (`draw`: the calibrated
parameters and the prior samples of the uncertain ones) and the row of a
sensitivity design (`sample`). Every arm runs in every state with common random
numbers, so arms are compared state by state.

`outcomes` gives, per arm and state, what an SROI or a Green Book appraisal
counts, from the paired worlds: the value created with the fund and without it
(deadweight), the value lost where the fund's world did worse (displacement), the
fund's money budgeted, paid and unspent, the extra private resources used in the
world with the fund (members' own and mobilised resources and set-up costs: the
partners' contribution, for attribution), and the net social benefit: extra value
minus every extra resource used, the fund's money and the private resources
alike (net present value, benefit-cost ratio, cost per EUR of value and payback
year are all on that basis). The gross figures, which count the fund's money
alone, are kept under their own names (`gross_npv_eur`, `value_per_fund_eur`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import xarray as xr

import simulation.libm as libm
from experiments.appraisal.flows import money_flows
from experiments.config.dotted import flatten

# Dimensions of a single run; every other dimension of a merged sweep was swept.
RUN_DIMS = (
    "world",
    "time",
    "territory",
    "profile",
    "maturity_level",
    "instrument",
    "view",
    "measure",
    "project_type",
)
# Swept dimensions that are states of the world rather than arms.
UNCERTAINTY_DIMS = ("seed", "draw", "sample")

# The ratios of `outcomes`, each as sums of means: numerator and denominator variables,
# and whether the numerator must be positive too (a cost per EUR of value).
RATIOS = {
    "benefit_cost_ratio": (
        ("extra_value_eur",),
        ("paid_eur", "extra_private_resources_eur"),
        False,
    ),
    "value_per_fund_eur": (("extra_value_eur",), ("paid_eur",), False),
    "cost_per_eur_of_value": (
        ("paid_eur", "extra_private_resources_eur"),
        ("extra_value_eur",),
        True,
    ),
    "fund_attribution_share": (("paid_eur",), ("paid_eur", "partners_extra_resources_eur"), False),
}


def as_sweep(dataset: xr.Dataset) -> xr.Dataset:
    """A single run's dataset as a sweep of one seed (merged sweeps pass unchanged)."""
    if "seed" in dataset.dims:
        return dataset
    return dataset.expand_dims(seed=[int(dataset.attrs.get("seed", 0))])


def arm_dims(dataset: xr.Dataset) -> list[str]:
    """The swept dimensions that define arms."""
    return [d for d in dataset.dims if d not in RUN_DIMS and d not in UNCERTAINTY_DIMS]


def state_dims(dataset: xr.Dataset) -> list[str]:
    """The swept dimensions that define states of the world."""
    return [d for d in UNCERTAINTY_DIMS if d in dataset.dims]


def arm_labels(dataset: xr.Dataset) -> list[str]:
    """A readable label for each arm, in the order of `stacked`'s `arm` dimension."""
    dims = arm_dims(dataset)
    if not dims:
        return ["all"]
    index = pd.MultiIndex.from_product([dataset[d].values for d in dims], names=dims)
    if len(dims) == 1:
        return [str(values[0]) for values in index]
    return [", ".join(f"{d}={v}" for d, v in zip(dims, values, strict=True)) for values in index]


def per_arm(dataset: xr.Dataset) -> Iterator[tuple[str, xr.Dataset]]:
    """Each arm's part of the sweep, with its label, in the order of `arm_labels`.

    Quantities over time and territory are computed an arm at a time, so that a
    10,000-run sweep never holds its whole time series in memory at once.
    """
    dims = arm_dims(dataset)
    labels = arm_labels(dataset)
    positions = itertools.product(*(range(dataset.sizes[d]) for d in dims))
    for label, position in zip(labels, positions, strict=True):
        yield label, dataset.isel(dict(zip(dims, position, strict=True)))


def over_states(data: xr.DataArray, dataset: xr.Dataset) -> np.ndarray:
    """One arm's values with its state dimensions flattened, in the order of `stacked`."""
    return data.stack(state=state_dims(dataset)).transpose("state", ...).values


def stacked(data: xr.Dataset | xr.DataArray, dataset: xr.Dataset) -> xr.Dataset | xr.DataArray:
    """`data` with its arm dimensions stacked into `arm` and its states into `state`."""
    arms = arm_dims(dataset)
    states = state_dims(dataset)
    data = data.expand_dims(arm=["all"]) if not arms else data.stack(arm=arms)
    data = data.stack(state=states)
    return data.drop_vars(["arm", "state", *arms, *states], errors="ignore").assign_coords(
        arm=arm_labels(dataset), state=np.arange(data.sizes["state"])
    )


def first_config(dataset: xr.Dataset) -> dict:
    """The resolved config of the first run (JSON), for settings shared by every run."""
    for text in np.ravel(dataset["run_config"].values) if "run_config" in dataset else []:
        if text:
            return json.loads(str(text))
    return json.loads(dataset.attrs.get("config_json", "{}"))


def discount_factors(dataset: xr.Dataset) -> xr.DataArray:
    """The discount factor of each step, as the model applied it (recorded in the dataset)."""
    if "discount_factor" in dataset:
        factor = dataset["discount_factor"]
        extra = [d for d in factor.dims if d != "time"]
        return factor.isel({d: 0 for d in extra}, drop=True) if extra else factor
    # Datasets made before the factor was recorded: the constant rate.
    rate = first_config(dataset).get("accounting", {}).get("discount_rate_per_year")
    if rate is None:
        rate = float(dataset.attrs.get("discount_rate_per_year", 0.0))
    # A step's flow is discounted from the step's start; `year` marks its end.
    years = dataset["year"] - dataset["year"][0]
    return years.copy(data=libm.power(1.0 + rate, -years.values))


def payback_year(net_flow: xr.DataArray) -> xr.DataArray:
    """First year at which the cumulative discounted net flow turns non-negative for good.

    Args:
        net_flow: Discounted net flow per step, over `time` (with a `year`
            coordinate): for `outcomes`, extra value minus fund spending minus extra
            private resources.

    Returns:
        The year (from the start of the run), NaN when it never pays back.
    """
    cumulative = net_flow.cumsum("time")
    # Paid back at t when the cumulative flow is >= 0 from t to the end.
    backwards = {"time": slice(None, None, -1)}
    shortfalls_ahead = (cumulative < 0).isel(backwards).cumsum("time").isel(backwards)
    ahead = shortfalls_ahead == 0
    years = net_flow["year"].broadcast_like(ahead)
    first = years.where(ahead).min("time")
    spent = (net_flow < 0).any("time")
    return first.where(spent)


def private_resources(world: xr.Dataset, placebo: bool) -> xr.DataArray:
    """Private resources used per step, summed over territories (EUR, undiscounted).

    The dataset records `resources_used` per step and territory: members' own and
    mobilised resources, set-up costs and the innovation grants the projects used.
    A project uses its grant when the fund is not a placebo (a placebo's grant is
    paid but not used), and the fund's innovation spending of a step is the grants
    it paid in that step, so private resources are `resources_used` minus that
    spending. Grants are not recorded by territory, hence the sum over territories.
    Discounted and summed over time, this is `private_resources_pv` (tested).

    Args:
        world: One world of one run or arm (no `world` dimension).
        placebo: Whether the fund of this world is a placebo.

    Returns:
        The flow over `time` (and any swept dimension of `world`).
    """
    used = world.resources_used.sum("territory")
    if placebo or "fund_spending" not in world:
        return used
    return used - world.fund_spending.sel(instrument="innovation", drop=True)


def outcomes(dataset: xr.Dataset) -> xr.Dataset:
    """Value-for-money quantities per arm and state (EUR are present values, base year 0).

    The net social benefit counts every resource used in the world with the fund
    beyond those used without it as a cost, as the Green Book and SROI count
    every resource's opportunity cost: the fund's money and the extra private
    resources (members' own and mobilised resources and set-up costs). `npv_eur`
    is that net figure; `gross_npv_eur` and `value_per_fund_eur` count the fund's
    money alone.

    Args:
        dataset: A merged sweep, or one run's dataset.

    Returns:
        Variables over (`arm`, `state`), with units and descriptions.
    """
    dataset = as_sweep(dataset)
    treated = dataset.sel(world="treated", drop=True)
    counterfactual = dataset.sel(world="counterfactual", drop=True)
    displaced, payback = _over_time(dataset)
    extra, paid, private = money_flows(dataset)
    budget = dataset.fund_budget
    paid_nominal = dataset.budget_paid_share.fillna(0.0) * budget
    mobilised = treated.resources_mobilised_pv - counterfactual.resources_mobilised_pv
    partners = private.clip(min=0.0)
    cost = paid + private  # every extra EUR used, the fund's and the private ones
    net = extra - cost
    net_text = (
        "Net social benefit (net present value): extra social value minus every extra EUR "
        "used in the world with the fund, the fund's money paid and the extra private "
        "resources (members' own and mobilised resources, set-up costs)"
    )
    variables = {
        "net_social_benefit_eur": (net, "EUR", net_text),
        "npv_eur": (net, "EUR", net_text + "; the same as net_social_benefit_eur"),
        "benefit_cost_ratio": (
            (extra / cost).where(cost > 0),
            "1",
            "Extra social value per extra EUR used, the fund's and the private ones "
            "(present values); NaN where those extra resources are zero or negative (the "
            "world with the fund used no more resources than without it: no cost to "
            "divide by, read the net social benefit)",
        ),
        "cost_per_eur_of_value": (
            (cost / extra).where((extra > 0) & (cost > 0)),
            "1",
            "Extra EUR used (fund money paid and extra private resources) per EUR of extra "
            "social value; NaN where either is zero or negative",
        ),
        "budget_eur": (budget, "EUR", "Fund budget"),
        "paid_eur": (paid, "EUR", "Fund money paid out (present value)"),
        "unspent_eur": (budget - paid_nominal, "EUR", "Budget left unpaid (undiscounted)"),
        "value_with_fund_eur": (
            treated.value_created_pv,
            "EUR",
            "Social value created in the world with the fund (present value)",
        ),
        "deadweight_eur": (
            counterfactual.value_created_pv,
            "EUR",
            "Social value created anyway, in the same world without the fund",
        ),
        "extra_value_eur": (
            extra,
            "EUR",
            "Social value with the fund minus without it (present value)",
        ),
        "displaced_value_eur": (
            displaced,
            "EUR",
            "Value lost, territory by territory and step by step, where the world with the "
            "fund did worse than without it (present value)",
        ),
        "extra_private_resources_eur": (
            private,
            "EUR",
            "Private resources (members' own and mobilised resources, set-up costs: "
            "everything the fund did not pay) used with the fund minus without it (present "
            "value); not clipped: negative where the fund's world used fewer",
        ),
        "extra_mobilised_resources_eur": (
            mobilised,
            "EUR",
            "Of the extra private resources, the mobilised ones (volunteers, skills "
            "sponsorship, co-funding), with the fund minus without it (present value); "
            "not clipped",
        ),
        "partners_extra_resources_eur": (
            partners,
            "EUR",
            "Extra private resources the members and partners put in with the fund (own, "
            "mobilised and set-up; present value), 0 where they put in less",
        ),
        "fund_attribution_share": (
            (paid / (paid + partners)).where(paid > 0),
            "1",
            "Share of the extra value attributed to the fund: its money over its money plus "
            "the partners' extra resources",
        ),
        "gross_npv_eur": (
            extra - paid,
            "EUR",
            "Gross net present value: extra value minus fund money paid, ignoring the extra "
            "private resources",
        ),
        "value_per_fund_eur": (
            (extra / paid).where(paid > 0),
            "1",
            "Gross value per fund EUR: extra social value per EUR of fund money paid, "
            "ignoring the extra private resources (the causal value leverage)",
        ),
        "payback_year": (
            payback,
            "year",
            "First year after which the cumulative discounted extra value covers the fund's "
            "cumulative discounted spending and the extra private resources for good (NaN: "
            "never within the horizon)",
        ),
    }
    # The per-state variables are stacked together, once (the same values as one by
    # one), under stand-in names: an outcome may share its name with an arm dimension
    # (`budget_eur` in a budget sweep), which stacking drops.
    per_state = [name for name, (v, _, _) in variables.items() if "arm" not in v.dims]
    stand_in = {name: f"v{i}" for i, name in enumerate(per_state)}
    unstacked = xr.Dataset({stand_in[name]: variables[name][0] for name in per_state})
    together = stacked(unstacked, dataset) if per_state else xr.Dataset()
    result = xr.Dataset(
        {
            name: (
                together[stand_in[name]].rename(name) if name in stand_in else values
            ).assign_attrs(units=unit, description=text)
            for name, (values, unit, text) in variables.items()
        }
    )
    persistence = first_config(dataset).get("accounting", {}).get("value_persistence_per_step")
    result.attrs = {
        "value_persistence_per_step": persistence if persistence is not None else np.nan,
        "discount_rate_per_year": float(
            first_config(dataset).get("accounting", {}).get("discount_rate_per_year", np.nan)
        ),
        "discount_schedule": str(
            first_config(dataset).get("accounting", {}).get("discount_schedule", "constant")
        ),
    }
    return result


def _over_time(dataset: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Displaced value and payback year per arm and state, computed an arm at a time.

    The payback's net flow is extra value minus fund spending minus extra private
    resources (`private_resources`), step by step.
    """
    displaced, payback = [], []
    for _, part in per_arm(dataset):
        discount = discount_factors(part)  # arms may differ in their accounting
        placebo = bool(first_config(part).get("fund", {}).get("placebo", False))
        treated = part.sel(world="treated", drop=True)
        counterfactual = part.sel(world="counterfactual", drop=True)
        delta = (treated.value_created - counterfactual.value_created).load()
        lost = ((-delta).clip(min=0.0) * discount).sum(("time", "territory"))
        spending = treated.fund_spending.sum("instrument")
        private = private_resources(treated, placebo) - private_resources(counterfactual, False)
        flow = (delta.sum("territory") - spending - private) * discount
        displaced.append(over_states(lost, dataset))
        payback.append(over_states(payback_year(flow), dataset))
    coords = {"arm": arm_labels(dataset), "state": np.arange(len(displaced[0]))}
    return (
        xr.DataArray(np.array(displaced), dims=("arm", "state"), coords=coords),
        xr.DataArray(np.array(payback), dims=("arm", "state"), coords=coords),
    )


def pooled_ratio(outcomes: xr.Dataset, name: str) -> float:
    """A ratio of `outcomes` over its states: the mean numerator over the mean denominator.

    Cost-benefit analysis divides expected present values: the expected extra value
    over the expected extra resources (HM Treasury's Green Book). The mean of the
    states' own ratios is not that figure, and is dominated by the few states whose
    denominator nears 0 (a strategy that saves private resources in some states):
    it can lie above the ratios' 95th percentile.

    Args:
        outcomes: `outcomes(...)` of one arm, over any states.
        name: A ratio of `RATIOS`.

    Returns:
        The pooled ratio over the states where every term is known (a missing run
        leaves its state out of both means); NaN where the mean denominator (and,
        for a cost per EUR of value, the mean numerator) is not positive.
    """
    top, bottom, both_positive = RATIOS[name]
    # Numerator and denominator over the same states: those where every term is known.
    terms = {v: np.asarray(outcomes[v], dtype=float).ravel() for v in {*top, *bottom}}
    known = np.logical_and.reduce([np.isfinite(values) for values in terms.values()])
    if not known.any():
        return float("nan")
    numerator = sum(terms[v][known].mean() for v in top)
    denominator = sum(terms[v][known].mean() for v in bottom)
    if denominator <= 0 or (both_positive and numerator <= 0):
        return float("nan")
    return float(numerator / denominator)


def state_parameters(dataset: xr.Dataset) -> pd.DataFrame:
    """The model parameters that vary between states, one row per state.

    Read from each run's recorded config (`run_config`), for the first arm: the
    posterior draw's calibrated and uncertain values, or a design's row.

    Args:
        dataset: A merged sweep.

    Returns:
        One column per varying numeric parameter (dotted path); empty when the
        states differ only in their seed.
    """
    if "run_config" not in dataset:
        return pd.DataFrame()
    configs = stacked(dataset["run_config"], as_sweep(dataset)).isel(arm=0).values
    rows = [flatten(json.loads(str(text))) if text else {} for text in configs]
    frame = pd.DataFrame(rows).select_dtypes("number").astype(float)
    varying = [c for c in frame.columns if c != "seed" and frame[c].nunique(dropna=True) > 1]
    return frame[varying]
