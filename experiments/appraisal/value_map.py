"""The value map: per arm, what the fund buys, each figure with its interval over states."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.states import RATIOS, pooled_ratio

# Percentiles of the interval over states of the world (seeds x draws x samples).
LOW, HIGH = 5.0, 95.0


def value_map(outcomes: xr.Dataset) -> pd.DataFrame:
    """Mean and 5-95 % interval over states of every quantity, per arm.

    The interval spans the states of the world, so it holds the world's own
    randomness and, with posterior draws, the parameters' uncertainty: the range
    an SROI practitioner reports, not a confidence interval of the mean. A ratio's
    "mean" is its pooled ratio (`states.pooled_ratio`: the mean value over the mean
    cost), its interval the states' own ratios.

    Args:
        outcomes: `states.outcomes(dataset)`.

    Returns:
        One row per arm and quantity: mean, p5, p95, states, units, description.
    """
    rows = []
    for arm in outcomes.arm.values:
        one = outcomes.sel(arm=arm)
        for name, variable in outcomes.data_vars.items():
            values = variable.sel(arm=arm).values.astype(float)
            finite = values[np.isfinite(values)]
            if name in RATIOS:
                mean = pooled_ratio(one, name) if finite.size else np.nan
            else:
                mean = float(finite.mean()) if finite.size else np.nan
            rows.append(
                {
                    "arm": str(arm),
                    "quantity": name,
                    "mean": mean,
                    "p5": float(np.percentile(finite, LOW)) if finite.size else np.nan,
                    "p95": float(np.percentile(finite, HIGH)) if finite.size else np.nan,
                    "states": int(finite.size),
                    "units": variable.attrs.get("units", ""),
                    "description": variable.attrs.get("description", ""),
                }
            )
    return pd.DataFrame(rows)
