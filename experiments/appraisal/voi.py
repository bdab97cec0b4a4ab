"""Value of information: what knowing an uncertain parameter would be worth, in EUR.

With net benefits `NB[a, s]` of each arm in each state (the net social benefit:
extra value minus the fund's money and the extra private resources,
`robustness.net_benefit`), the expected value of
perfect information is what a decision maker who learnt the state before
choosing would gain on average: `E_s max_a NB - max_a E_s NB` (EVPI). For one
parameter, the expected value of partial perfect information (EVPPI) is the same
with the state known only through that parameter: the states are grouped into
quantile bins of the parameter, and `E_bin max_a E[NB | bin] - max_a E NB`.
Binning is the simplest of the regression estimators (Strong et al. 2014); with
few states per bin the maximum of noisy means biases it upwards, so the report
gives the number of bins and states with it.

The states here are the parameter draws, each averaged over its seeds: the world's
own randomness is not something a field measurement can reveal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def evpi(benefit: np.ndarray) -> float:
    """Expected value of perfect information (EUR) of net benefits `[arm, state]`."""
    benefit = np.asarray(benefit, dtype=float)
    return max(0.0, round(float(benefit.max(axis=0).mean() - benefit.mean(axis=1).max()), 6))


def evppi(benefit: np.ndarray, parameter: np.ndarray, bins: int | None = None) -> float:
    """Expected value of partial perfect information about one parameter (EUR).

    Args:
        benefit: Net benefits `[arm, state]`.
        parameter: The parameter's value in each state.
        bins: Quantile bins (default: about the square root of the states, 2 to 10).

    Returns:
        The EVPPI, between 0 and the EVPI up to the binning's bias.
    """
    benefit = np.asarray(benefit, dtype=float)
    parameter = np.asarray(parameter, dtype=float)
    n = parameter.size
    bins = bins or int(np.clip(round(np.sqrt(n)), 2, 10))
    edges = np.unique(np.quantile(parameter, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, parameter, side="right") - 1, 0, len(edges) - 2)
    known = 0.0
    for b in range(len(edges) - 1):
        members = which == b
        if members.any():
            known += members.mean() * benefit[:, members].mean(axis=1).max()
    # Never below 0 (knowing cannot hurt); float noise around 0 reads as 0.
    return max(0.0, round(float(known - benefit.mean(axis=1).max()), 6))


def value_of_information(benefit: np.ndarray, parameters: pd.DataFrame) -> pd.DataFrame:
    """EVPI, then the EVPPI of each parameter, largest first.

    Args:
        benefit: Net benefits `[arm, state]`, states being parameter draws.
        parameters: Per state (rows), the uncertain parameters' values.

    Returns:
        Rows: "all parameters (EVPI)" first, then one per parameter.
    """
    states = benefit.shape[1]
    rows = [{"parameter": "all parameters (EVPI)", "value_eur": evpi(benefit), "states": states}]
    per = [
        {
            "parameter": name,
            "value_eur": evppi(benefit, parameters[name].to_numpy()),
            "states": states,
        }
        for name in parameters.columns
    ]
    per.sort(key=lambda row: -row["value_eur"])
    return pd.DataFrame(rows + per)
