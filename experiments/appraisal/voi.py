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

How many draws the per-parameter values need (`draws_needed`): a bin's mean
advantage of the best arm over the runner-up is known to its standard error,
`sd / sqrt(draws / bins)`; no parameter can be worth more than the EVPI, so the
EVPPI can be told from zero only once that error is below the EVPI:
`draws >= bins (sd / EVPI)^2`. With 100 draws of the default appraisal the EVPI is
about 108 kEUR and the advantage's spread about 1.3 MEUR: every EVPPI reads 0, and
some 1,200 draws would be needed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# The most bins `evppi` uses (its default: about the square root of the draws).
MAX_BINS = 10
# Below this many draws, the bins of `evppi` hold fewer than 10 draws each.
MIN_DRAWS = 100


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
    bins = bins or int(np.clip(round(np.sqrt(n)), 2, MAX_BINS))
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


def draws_needed(benefit: np.ndarray, bins: int = MAX_BINS) -> int:
    """Parameter draws needed before a per-parameter EVPPI can be told from zero.

    Args:
        benefit: Net benefits `[arm, state]`, states being parameter draws.
        bins: The bins of `evppi` at that size.

    Returns:
        `bins (sd / EVPI)^2`, with `sd` the spread over draws of the best arm's
        advantage over the runner-up (arms ranked by mean), rounded up to two
        significant digits; 0 when the EVPI is 0 (no information would change the
        choice) or there is one arm.
    """
    benefit = np.asarray(benefit, dtype=float)
    value = evpi(benefit)
    if benefit.shape[0] < 2 or value <= 0 or benefit.shape[1] < 2:
        return 0
    order = np.argsort(-benefit.mean(axis=1))
    spread = float(np.std(benefit[order[0]] - benefit[order[1]], ddof=1))
    needed = bins * (spread / value) ** 2
    if needed <= 0:
        return 0
    step = 10 ** max(0, math.floor(math.log10(needed)) - 1)
    return int(math.ceil(needed / step) * step)
