"""Register the simulation's typed config with Hydra, so YAML and overrides are checked."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError

from calibration.config import CalibrationConfig
from experiments.files import discard_empty_run_dir
from experiments.publication import PublishConfig
from experiments.sensitivity import SensitivityDesign, design_size, sample_config
from simulation.config import ConfigError, RunConfig

# The config tree sits beside the packages (the project is installed editable).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = str(PROJECT_ROOT / "configs")


@dataclass
class JobConfig(RunConfig):
    """What one `alliance-run` job runs: a run, or one row of a sensitivity design.

    Attributes:
        sensitivity: In a sensitivity sweep (`+experiment=sensitivity`), the design
            and the row this job runs; None otherwise.
        draw: With `calibrated=posterior`, the posterior draw this job runs (its
            calibrated parameters, and prior sample `draw` of the uncertain ones).
    """

    sensitivity: SensitivityDesign | None = None
    draw: int | None = None

    def validate(self) -> JobConfig:
        """Check the run and, if any, the design and its row.

        Returns:
            This config.
        """
        super().validate()
        if self.sensitivity is not None:
            self.sensitivity.validate(self)
            self.run_config().validate()  # the row's values, before any work
        return self

    def run_config(self) -> RunConfig:
        """The configuration to simulate: the design's row applied, if any."""
        config = super().run_config()
        if self.sensitivity is not None:
            config = sample_config(config, self.sensitivity)
        return config


def register() -> None:
    """Store the typed schemas that `configs/config.yaml` and `calibrate.yaml` extend."""
    store = ConfigStore.instance()
    store.store(name="run_schema", node=JobConfig)
    store.store(name="calibrate_schema", node=CalibrationConfig)
    store.store(name="publish_schema", node=PublishConfig)
    # The sensitivity sweep's range follows its design: `range(0,${sensitivity_rows:...})`.
    OmegaConf.register_new_resolver("posterior_draw", posterior_draw, replace=True)
    OmegaConf.register_new_resolver(
        "sensitivity_rows",
        lambda design: design_size(
            design.method, design.base_samples, len(design.problem.parameters)
        ),
        replace=True,
    )


POSTERIOR_DRAWS = PROJECT_ROOT / "configs" / "calibrated" / "posterior_draws.json"
_DRAWS_CACHE: dict[str, object] = {}


def posterior_draws() -> dict:
    """The posterior draws written by `alliance-calibrate` (read once per process)."""
    if "record" not in _DRAWS_CACHE:
        if not POSTERIOR_DRAWS.exists():
            msg = (
                f"invalid config: calibrated = posterior; allowed once {POSTERIOR_DRAWS} "
                "exists (run alliance-calibrate)"
            )
            raise ConfigError(msg)
        _DRAWS_CACHE["record"] = json.loads(POSTERIOR_DRAWS.read_text())
    return _DRAWS_CACHE["record"]


def posterior_draw(path: str, draw: object) -> float:
    """The value of parameter `path` in posterior draw `draw` (a config resolver).

    Raises:
        ConfigError: No draws file, or `draw` out of range.
    """
    record = posterior_draws()
    count = record["draws"]
    if isinstance(draw, bool) or not isinstance(draw, int) or not 0 <= draw < count:
        msg = f"invalid config: draw = {draw!r}; allowed: an integer in 0..{count - 1}"
        raise ConfigError(msg)
    values = record["calibrated"].get(path) or record["uncertain"][path]
    return float(values[draw])


def to_config[T: RunConfig](cfg: DictConfig, kind: type[T]) -> T:
    """Turn a composed Hydra config into a validated typed config.

    Args:
        cfg: The composed config (`hydra` node excluded).
        kind: The expected class.

    Returns:
        The typed, validated config.

    Raises:
        ConfigError: A value is outside what the model accepts.
    """
    try:
        config = OmegaConf.to_object(cfg)
    except InterpolationResolutionError as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise
    if not isinstance(config, kind):
        msg = f"expected a {kind.__name__}, got {type(config).__name__}"
        raise TypeError(msg)
    return config.validate()


def validated_or_exit[T: RunConfig](cfg: DictConfig, kind: type[T], program: str) -> T:
    """The typed, validated config, or exit with status 2 and a message on stderr.

    On a bad config, the run directory Hydra already created is removed if it holds
    nothing but Hydra's own bookkeeping, so a rejected job leaves nothing behind.

    Args:
        cfg: The composed config.
        kind: The expected class.
        program: Command name for the message.

    Returns:
        The validated config.
    """
    try:
        return to_config(cfg, kind)
    except ConfigError as error:
        discard_empty_run_dir(Path(HydraConfig.get().runtime.output_dir))
        print(f"{program}: {error}", file=sys.stderr)
        sys.exit(2)


def load_config(overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Compose a run configuration exactly as `alliance-run` does.

    The same `configs/` tree, the same defaults (the calibrated parameter set
    included) and the same override strings as on the command line, so that
    `run(load_config(["seed=3"]))` gives the numbers of `alliance-run seed=3`.

    Args:
        overrides: Override strings, e.g. `["fund/strategy=concentrated", "seed=3"]`.

    Returns:
        The validated run configuration.

    Raises:
        ConfigError: A value is outside what the model accepts.
    """
    return to_config(_compose("config", overrides), JobConfig).run_config().validate()


def load_calibration_config(overrides: list[str] | tuple[str, ...] = ()) -> CalibrationConfig:
    """Compose a calibration configuration exactly as `alliance-calibrate` does.

    Args:
        overrides: Override strings, e.g. `["calibration.posterior_particles=64"]`.

    Returns:
        The validated calibration configuration.
    """
    return to_config(_compose("calibrate", overrides), CalibrationConfig)


def _compose(name: str, overrides: list[str] | tuple[str, ...]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    register()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))
