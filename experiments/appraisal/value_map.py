"""The value map: per arm, what the fund buys, each figure with its interval over states."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

# Percentiles of the interval over states of the world (seeds x draws x samples).
LOW, HIGH = 5.0, 95.0


def value_map(outcomes: xr.Dataset) -> pd.DataFrame:
    """Mean and 5-95 % interval over states of every quantity, per arm.

    The interval spans the states of the world, so it holds the world's own
    randomness and, with posterior draws, the parameters' uncertainty: the range
    an SROI practitioner reports, not a confidence interval of the mean.

    Args:
        outcomes: `states.outcomes(dataset)`.

    Returns:
        One row per arm and quantity: mean, p5, p95, states, units, description.
    """
    rows = []
    for arm in outcomes.arm.values:
        for name, variable in outcomes.data_vars.items():
            values = variable.sel(arm=arm).values.astype(float)
            finite = values[np.isfinite(values)]
            rows.append(
                {
                    "arm": str(arm),
                    "quantity": name,
                    "mean": float(finite.mean()) if finite.size else np.nan,
                    "p5": float(np.percentile(finite, LOW)) if finite.size else np.nan,
                    "p95": float(np.percentile(finite, HIGH)) if finite.size else np.nan,
                    "states": int(finite.size),
                    "units": variable.attrs.get("units", ""),
                    "description": variable.attrs.get("description", ""),
                }
            )
    return pd.DataFrame(rows)
