"""Agent-based simulation of the alliance premium.

`run(RunConfig())` simulates a world with the fund and its counterfactual and
returns an `xarray.Dataset`; `AllianceModel` is the Mesa model behind it.

Importing the package imports only what its configuration needs: Mesa (its model
and agent classes, `simulation.mesa_import`) when the model is first used, and
xarray when a run builds its dataset. `AllianceModel` and `__version__` are
looked up on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation import mesa_import  # noqa: F401  (first: Mesa's model classes, on use)
from simulation.config import ConfigError, RunConfig
from simulation.run import run

if TYPE_CHECKING:
    from simulation.model import AllianceModel

__version__: str
__all__ = ["AllianceModel", "ConfigError", "RunConfig", "__version__", "run"]


def __getattr__(name: str) -> object:
    """`AllianceModel` and `__version__`, imported or read on first use."""
    if name == "AllianceModel":
        from simulation.model import AllianceModel

        value: object = AllianceModel
    elif name == "__version__":
        from simulation.dataset import package_version

        value = package_version()
    else:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    globals()[name] = value
    return value
