"""The configs of the project's sweeper and launcher, where Hydra composes them.

`store` puts `hydra/sweeper=alliance` and `hydra/launcher=alliance` in Hydra's
ConfigStore; `alliance-run`'s config (`configs/config.yaml`) selects the sweeper,
so every composition of it needs them (`experiments.config.schema.register`
stores them first). The classes they name are in
`hydra_plugins.alliance_sweeps.sweeps`. This module imports nothing of the
project, so that composing a config does not import the sweeps.
"""

# No `from __future__ import annotations`: Hydra's plugin scan executes this module
# outside sys.modules, where dataclasses cannot resolve string annotations.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class AllianceSweeperConf:
    """`hydra/sweeper=alliance`: the basic sweeper's settings."""

    _target_: str = "hydra_plugins.alliance_sweeps.sweeps.AllianceSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


@dataclass
class AllianceLauncherConf:
    """`hydra/launcher=alliance`: where the sweep's tasks run.

    Attributes:
        backend: local (this machine's cores), submitit_local, slurm, or ray.
        n_jobs: Local processes; -1 for one per core.
        runs_per_task: Jobs per task at most; 0 for one counterfactual group per task.
        submitit: submitit's executor parameters (slurm and submitit_local).
        ray: Ray's settings (`address`: null starts a local cluster).
    """

    _target_: str = "hydra_plugins.alliance_sweeps.sweeps.AllianceLauncher"
    backend: str = "local"
    n_jobs: int = -1
    runs_per_task: int = 0
    submitit: dict[str, Any] = field(default_factory=dict)
    ray: dict[str, Any] = field(default_factory=dict)


def store() -> None:
    """Store `hydra/sweeper=alliance` and `hydra/launcher=alliance` in Hydra's ConfigStore."""
    config_store = ConfigStore.instance()
    config_store.store(
        group="hydra/sweeper", name="alliance", node=AllianceSweeperConf, provider="alliance"
    )
    config_store.store(
        group="hydra/launcher", name="alliance", node=AllianceLauncherConf, provider="alliance"
    )
