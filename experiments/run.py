"""`alliance-run`: simulate a scenario and its counterfactual, write the dataset.

alliance-run                                   # default scenario and strategy
alliance-run fund/strategy=small_territories fund.budget_eur=5e6 seed=3
alliance-run scenario=national
alliance-run -m fund/strategy=uniform,concentrated seed=0,1,2   # a sweep
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.files import write_netcdf_atomically
from experiments.schema import CONFIG_DIR, register, validated_or_exit
from experiments.summary import summary
from simulation import run
from simulation.config import RunConfig

DATASET_NAME = "dataset.nc"
log = logging.getLogger(__name__)

register()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> None:
    """Run one job: validate, simulate, write `dataset.nc` into the run directory.

    Args:
        cfg: The config Hydra composed from `configs/` and the command line.
    """
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    config = validated_or_exit(cfg, RunConfig, "alliance-run")
    dataset = run(config)
    dataset.attrs["command"] = " ".join(["alliance-run", *sys.argv[1:]])
    dataset.attrs["hydra_overrides"] = " ".join(HydraConfig.get().overrides.task)
    dataset.attrs["calibrated_set"] = HydraConfig.get().runtime.choices.get("calibrated", "none")
    path = write_netcdf_atomically(dataset, run_dir / DATASET_NAME)
    print(summary(dataset))
    print(f"\ndataset: {path}")
    log.info("wrote %s", path)
