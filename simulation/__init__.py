"""Agent-based simulation of the alliance premium.

`run(RunConfig())` simulates a world with the fund and its counterfactual and
returns an `xarray.Dataset`; `AllianceModel` is the Mesa model behind it.
"""

from simulation import mesa_import  # noqa: F401  (first: imports Mesa without its inspection cost)
from simulation.config import ConfigError, RunConfig
from simulation.dataset import package_version
from simulation.model import AllianceModel
from simulation.run import run

__version__ = package_version()
__all__ = ["AllianceModel", "ConfigError", "RunConfig", "__version__", "run"]
