"""The three money flows of a pair of worlds: the terms of the net social benefit.

Net social benefit = extra social value - fund money paid - extra private resources,
present values (docs/model.md 8.5). One function computes the terms, so that the
appraisal, the report, the run summary and the benchmarks count them alike. It
imports nothing heavy: the run summary calls it at the end of every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import xarray as xr


class MoneyFlows(NamedTuple):
    """Present values in EUR, over the dataset's swept dimensions (none for one run).

    Attributes:
        extra: Social value created with the fund minus without it.
        paid: Fund money paid out, through all instruments.
        private: Private resources used with the fund minus without it (members'
            own and mobilised resources, set-up costs); it can be negative.
    """

    extra: xr.DataArray
    paid: xr.DataArray
    private: xr.DataArray

    @property
    def net(self) -> xr.DataArray:
        """Net social benefit: the extra value minus every extra euro used."""
        return self.extra - self.paid - self.private


def money_flows(dataset: xr.Dataset) -> MoneyFlows:
    """The money flows of a run's dataset or a merged sweep (its `world` dimension paired).

    Args:
        dataset: A dataset with a `world` dimension (treated, counterfactual).

    Returns:
        The three flows.
    """
    treated = dataset.sel(world="treated", drop=True)
    counterfactual = dataset.sel(world="counterfactual", drop=True)
    return MoneyFlows(
        extra=treated.value_created_pv - counterfactual.value_created_pv,
        paid=treated.fund_invested_pv,
        private=treated.private_resources_pv - counterfactual.private_resources_pv,
    )
