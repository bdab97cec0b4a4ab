"""`alliance-run`: simulate a scenario and its counterfactual, write the dataset.

alliance-run                                   # default scenario and strategy
alliance-run fund/strategy=small_territories fund.budget_eur=5e6 seed=3
alliance-run scenario=national
alliance-run -m fund/strategy=uniform,concentrated seed=0,1,2   # a sweep
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

import hydra
import xarray as xr
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from experiments.files import discard_empty_run_dir, write_netcdf_atomically
from experiments.progress import progress_bar
from experiments.provenance import git_commit
from experiments.schema import CONFIG_DIR, JobConfig, check_draw, register, validated_or_exit
from experiments.summary import summary
from simulation import ConfigError, RunConfig, run

DATASET_NAME = "dataset.nc"
ERROR_NAME = "error.txt"
log = logging.getLogger(__name__)

register()


def run_with_progress(config: RunConfig) -> xr.Dataset:
    """`run(config)`, with a progress bar on stderr once it has taken a second.

    The default world takes a tenth of a second and shows nothing; the national
    scenario shows the quarters simulated in both worlds, with an ETA.
    """
    total = 2 * config.scenario.n_steps
    with progress_bar(total, "simulating (treated + no-fund world)", "quarter") as bar:
        return run(config, on_step=bar.update)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> None:
    """Run one job: validate, simulate, write `dataset.nc` into the run directory.

    Args:
        cfg: The config Hydra composed from `configs/` and the command line.
    """
    hydra_config = HydraConfig.get()
    run_dir = Path(hydra_config.runtime.output_dir)
    job = validated_or_exit(cfg, JobConfig, "alliance-run")
    calibrated = hydra_config.runtime.choices.get("calibrated", "none")
    try:
        check_draw(job, calibrated)
    except ConfigError as error:
        discard_empty_run_dir(run_dir)
        print(f"alliance-run: {error}", file=sys.stderr)
        sys.exit(2)
    path = run_dir / DATASET_NAME
    if path.exists():
        # Re-running a sweep skips the jobs that already finished.
        print(f"already complete: {path}")
        return
    try:
        if hydra_config.mode == RunMode.MULTIRUN:
            dataset = run(job.run_config())
        else:
            dataset = run_with_progress(job.run_config())
    except Exception:
        if hydra_config.mode != RunMode.MULTIRUN:
            raise
        # One failed job must not stop a sweep: record it for alliance-collect.
        (run_dir / ERROR_NAME).write_text(traceback.format_exc())
        log.exception("job failed; the sweep goes on")
        return
    dataset.attrs["command"] = " ".join(["alliance-run", *sys.argv[1:]])
    dataset.attrs["hydra_overrides"] = " ".join(hydra_config.overrides.task)
    dataset.attrs["calibrated_set"] = calibrated
    if job.draw is not None:
        dataset.attrs["posterior_draw"] = job.draw
    dataset.attrs["git_commit"] = git_commit()
    if job.sensitivity is not None:
        dataset.attrs["sensitivity_design"] = json.dumps(job.sensitivity.description())
        dataset.attrs["sensitivity_sample"] = job.sensitivity.sample
    (run_dir / ERROR_NAME).unlink(missing_ok=True)
    write_netcdf_atomically(dataset, path)
    print(summary(dataset))
    print(f"\ndataset: {path}")
    log.info("wrote %s", path)
