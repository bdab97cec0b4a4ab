"""One `alliance-run` outside a sweep, once composed: simulate, write `dataset.nc`, summarise.

It imports neither Hydra nor the command line, so that `alliance-run`'s helper
process (`experiments.process.forked`), which imports what this module needs
while the command composes, runs it without importing Hydra too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from experiments.process.progress import progress_bar
from experiments.reports.summary import summary
from experiments.storage.files import write_netcdf_atomically
from simulation import RunConfig, run

if TYPE_CHECKING:
    import xarray as xr


def run_with_progress(config: RunConfig) -> xr.Dataset:
    """`run(config)`, with a progress bar on stderr once it has taken a second.

    The default world takes a tenth of a second and shows nothing; the national
    scenario shows the quarters simulated in both worlds, with an ETA.
    """
    total = 2 * config.scenario.n_steps
    with progress_bar(total, "simulating (treated + no-fund world)", "quarter") as bar:
        return run(config, on_step=bar.update)


def run_and_write(config: RunConfig, provenance: dict[str, object], path: Path) -> str:
    """Simulate, add the job's provenance to the dataset, write it, and summarise it.

    Args:
        config: The run configuration.
        provenance: The attributes the job adds (`experiments.sweep.jobs.provenance`).
        path: The dataset's file (NetCDF-4, written atomically).

    Returns:
        The run's summary (`experiments.reports.summary`).
    """
    dataset = run_with_progress(config)
    dataset.attrs.update(provenance)
    write_netcdf_atomically(dataset, path)
    return summary(dataset)
