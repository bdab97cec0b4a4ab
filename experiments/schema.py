"""Register the simulation's typed config with Hydra, so YAML and overrides are checked."""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from simulation.config import RunConfig

# The config tree sits beside the packages (the project is installed editable).
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")


def register() -> None:
    """Store `RunConfig` as the schema `run_schema` that `configs/config.yaml` extends."""
    ConfigStore.instance().store(name="run_schema", node=RunConfig)


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Turn a composed Hydra config into a validated `RunConfig`.

    Args:
        cfg: The composed config (`hydra` node excluded).

    Returns:
        The typed, validated config.

    Raises:
        ConfigError: A value is outside what the model accepts.
    """
    config = OmegaConf.to_object(cfg)
    if not isinstance(config, RunConfig):
        msg = f"expected a RunConfig, got {type(config).__name__}"
        raise TypeError(msg)
    return config.validate()
