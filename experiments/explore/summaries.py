"""What the explorer shows, as functions of the seeds' dataset (`compute.combine`).

Every function takes the dataset with a `seed` dimension and returns a table or a
DataArray; the app draws them, and a notebook can call them on the dataset the
explorer lets one download. Intervals are the 5-95 % quantiles over the seeds
(with one seed, the interval is the point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

RATIOS = {
    "frugality": ("premium_frugality", {}),
    "durability": ("premium_durability", {}),
    "leverage": ("premium_leverage", {"measure": "value"}),
}
VIEW_NAMES = {
    "observed": "observed (what a field evaluation sees)",
    "matched": "matched comparison",
    "effect_on_backed": "effect on the backed projects",
    "causal": "causal (against the no-fund world)",
}
SIZE_ORDER = ("small", "medium", "large")


def band(values: xr.DataArray, dim: str = "seed") -> xr.Dataset:
    """Mean and 5-95 % quantiles over a dimension, NaN left out.

    Computed with numpy on the array's values: the same calls xarray's `mean`
    (NaN-skipping) and `quantile` make, in the same memory layout, so the same
    numbers to the last bit without xarray's alignment around each of them (a
    page calls this about 20 times; `tests/test_explore_summaries.py` checks it
    against xarray's own reductions).

    Args:
        values: Any array with the dimension.
        dim: The dimension to summarise.

    Returns:
        `mean`, `low` and `high`, without that dimension.
    """
    axis = values.get_axis_num(dim)
    data = np.asarray(values.values)
    # A ratio with no comparison group is NaN in every seed (a placebo's frugality,
    # a fund that backed nothing): summarise a stand-in, then put the NaN back, so
    # numpy warns of no empty slice.
    some = ~np.isnan(data).all(axis=axis)
    filled = np.where(np.expand_dims(some, axis), data, 0.0)
    # Without a NaN left, numpy's quantile runs over the whole array at once and gives
    # the same numbers as its NaN-skipping one, which runs slice by slice (60x slower).
    quantile = np.nanquantile if np.isnan(filled).any() else np.quantile
    low, high = quantile(np.moveaxis(filled, axis, -1), [0.05, 0.95], axis=-1)
    mean = np.nanmean(filled, axis=axis)
    dims = tuple(d for d in values.dims if d != dim)
    coords = {name: c for name, c in values.coords.items() if dim not in c.dims}
    return xr.Dataset(
        {
            name: (dims, np.where(some, stat, np.nan), values.attrs)
            for name, stat in (("mean", mean), ("low", low), ("high", high))
        },
        coords=coords,
    )


def premium_table(dataset: xr.Dataset) -> pd.DataFrame:
    """The premium in every view: one row per ratio and view, with its interval.

    Returns:
        Columns `ratio`, `view`, `mean`, `low`, `high`; leverage is social value
        per euro paid by the fund.
    """
    rows = []
    for ratio, (variable, selection) in RATIOS.items():
        summary = band(dataset[variable].sel(selection))
        for view in dataset.view.values:
            point = summary.sel(view=view)
            rows.append(
                {
                    "ratio": ratio,
                    "view": str(view),
                    "mean": float(point["mean"]),
                    "low": float(point["low"]),
                    "high": float(point["high"]),
                }
            )
    return pd.DataFrame(rows)


def value_over_time(dataset: xr.Dataset) -> xr.Dataset:
    """Social value per step in both worlds and the extra value, over the seeds.

    Returns:
        For `treated`, `counterfactual` and `extra` (treated - counterfactual):
        `<name>_mean`, `<name>_low`, `<name>_high` on `time`, in EUR per step.
    """
    value = dataset.value_created.sum("territory")
    series = {
        "treated": value.sel(world="treated", drop=True),
        "counterfactual": value.sel(world="counterfactual", drop=True),
    }
    series["extra"] = series["treated"] - series["counterfactual"]
    out = xr.Dataset(coords={"time": dataset.time, "year": dataset.year})
    for name, values in series.items():
        summary = band(values)
        for stat in ("mean", "low", "high"):
            out[f"{name}_{stat}"] = summary[stat].assign_attrs(units="EUR per step")
    return out


def by_size(dataset: xr.Dataset, variable: str) -> xr.Dataset:
    """A territory variable's mean by territory size class, in both worlds, over time.

    Args:
        dataset: The seeds' dataset.
        variable: `engineering_capacity` or `maturity`.

    Returns:
        `mean`, `low`, `high` over seeds, on (world, size_class, time).
    """
    # Each seed draws its own world, so its own size classes: a mask per seed.
    values, classes = dataset[variable], dataset.size_class
    present = [s for s in SIZE_ORDER if bool((classes == s).any("territory").all())]
    grouped = xr.concat(
        [values.where(classes == size).mean("territory") for size in present],
        dim=pd.Index(present, name="size_class"),
    )
    return band(grouped)


def territory_map(dataset: xr.Dataset, quantity: str) -> xr.DataArray:
    """One number per territory of the first seed's world, for the territory grid.

    Each seed draws its own world (territory 5 may be small in one and large in
    another), so territories are shown for one world, not averaged over seeds.

    Args:
        dataset: The seeds' dataset.
        quantity: `engineering_capacity` (treated world, last step) or
            `extra_value` (present value of treated - counterfactual value, EUR).

    Returns:
        A DataArray on `territory`, with the `size_class` coordinate.
    """
    world = dataset.isel(seed=0)
    if quantity == "engineering_capacity":
        values = world.engineering_capacity.sel(world="treated").isel(time=-1)
        return values.assign_attrs(long_name="engineering capacity", units="1")
    if quantity == "extra_value":
        extra = world.value_created.sel(world="treated") - world.value_created.sel(
            world="counterfactual"
        )
        present = (extra * world.discount_factor).sum("time")
        return present.assign_attrs(long_name="extra social value (present value)", units="EUR")
    msg = f"quantity = {quantity!r}; allowed: 'engineering_capacity', 'extra_value'"
    raise ValueError(msg)


def headline(dataset: xr.Dataset) -> dict[str, float]:
    """The few numbers a saved strategy is compared by (means over the seeds).

    Returns:
        Extra social value (present value, EUR), fund money paid (present value,
        EUR), causal and observed leverage, causal durability, and the share of
        the budget paid.
    """
    pv = dataset.value_created_pv
    extra = (pv.sel(world="treated") - pv.sel(world="counterfactual")).mean("seed")
    leverage = dataset.premium_leverage.sel(measure="value")
    return {
        "extra_value_eur": float(extra),
        "fund_paid_eur": float(dataset.fund_invested_pv.sel(world="treated").mean("seed")),
        "leverage_causal": float(leverage.sel(view="causal").mean("seed")),
        "leverage_observed": float(leverage.sel(view="observed").mean("seed")),
        "durability_causal": float(dataset.premium_durability.sel(view="causal").mean("seed")),
        "budget_paid_share": float(dataset.budget_paid_share.mean("seed")),
    }
