"""Register the simulation's typed config with Hydra, so YAML and overrides are checked."""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import json
import re
import sys
import threading
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import InterpolationResolutionError

from experiments.config.sensitivity import SensitivityDesign, design_size, sample_config
from simulation.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from calibration.config import CalibrationConfig

# The config tree sits beside the packages (the project is installed editable).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
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
        for key, name in (
            ("scenario.name", self.scenario.name),
            ("fund.strategy.name", self.fund.strategy.name),
        ):
            check_folder_name(key, name)
        if self.sensitivity is not None:
            self.sensitivity.validate(self)
            self.run_config().validate()  # the row's values, before any work
        return self

    def run_view(self) -> RunConfig:
        """The configuration to simulate, sharing this job's sections (no copy).

        For reading only (hashing, grouping), where `run_config`'s deep copy would
        cost a third of a millisecond a job; with a design, its row is applied.
        """
        if self.sensitivity is not None:
            return self.run_config()
        return RunConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(RunConfig)})

    def run_config(self) -> RunConfig:
        """The configuration to simulate: the design's row applied, if any."""
        config = super().run_config()
        if self.sensitivity is not None:
            config = sample_config(config, self.sensitivity)
        return config


# A name that becomes one folder of a run's path (`outputs/<scenario>/<strategy>/`).
FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_folder_name(key: str, name: object) -> None:
    """Refuse a name that would not be one folder inside the output root.

    `scenario.name` and `fund.strategy.name` name the folders of a run
    (`outputs/<scenario>/<strategy>/...`): `../../x`, `a/b/c` or an empty name
    would write outside `outputs/`, nest folders, or merge two runs' folders.

    Args:
        key: The dotted key, for the message.
        name: Its value.

    Raises:
        ConfigError: The name is not 1-100 letters, digits, `_`, `-` or `.`,
            starting with a letter or digit.
    """
    if not isinstance(name, str) or not FOLDER_NAME.match(name):
        msg = (
            f"invalid config: {key} = {name!r}; allowed: 1 to 100 letters, digits, '_', '-' "
            "or '.', starting with a letter or digit (it names a folder of the run)"
        )
        raise ConfigError(msg)


# The typed schema each primary config in `configs/` extends: config name -> (schema name,
# module, class); a command imports only its own.
SCHEMAS = {
    "config": ("run_schema", "experiments.config.schema", "JobConfig"),
    "calibrate": ("calibrate_schema", "calibration.config", "CalibrationConfig"),
    "publish": ("publish_schema", "experiments.publish.publication", "PublishConfig"),
}
_REGISTERED: set[str] = set()


def register(*config_names: str) -> None:
    """Store the typed schemas that the named primary configs extend, once per process.

    Storing a schema converts its dataclasses (up to 30 ms), so each command
    stores only its own, and composing again stores nothing.

    Args:
        config_names: Primary configs in `configs/`: "config" (`alliance-run`'s),
            "calibrate", "publish"; none for all three.
    """
    from hydra_plugins.alliance_sweeps.config import store as store_sweeps

    if not _REGISTERED:  # the first call: the sweeper's and launcher's configs, the resolvers
        store_sweeps()  # hydra/sweeper=alliance and hydra/launcher=alliance
        # The sensitivity sweep's range follows its design: `range(0,${sensitivity_rows:...})`.
        OmegaConf.register_new_resolver("posterior_draw", posterior_draw, replace=True)
        OmegaConf.register_new_resolver(
            "sensitivity_rows",
            lambda design: design_size(
                design.method, design.base_samples, len(design.problem.parameters)
            ),
            replace=True,
        )
    store = ConfigStore.instance()
    for config_name in config_names or tuple(SCHEMAS):
        if config_name not in SCHEMAS:
            msg = f"unknown primary config {config_name!r}; known: {list(SCHEMAS)}"
            raise ValueError(msg)
        if config_name not in _REGISTERED:
            name, module, kind = SCHEMAS[config_name]
            store.store(name=name, node=getattr(importlib.import_module(module), kind))
            _REGISTERED.add(config_name)


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
    refuse_unknown_keys(cfg, kind, "configs/")
    try:
        config = OmegaConf.to_object(cfg)
    except InterpolationResolutionError as error:
        # A resolver's ConfigError (a posterior draw out of range) arrives wrapped,
        # once per level of the config tree: raise it as itself.
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from None
        raise
    if not isinstance(config, kind):
        msg = f"expected a {kind.__name__}, got {type(config).__name__}"
        raise TypeError(msg)
    return config.validate()


def _dataclass_of(annotation: object) -> type | None:
    """The dataclass an annotation names, unwrapping `X | None`; None if it names none."""
    if dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def _schema_paths(node: DictConfig, cls: type, prefix: str = "") -> tuple[set[str], list[str]]:
    """Valid leaf paths of a composed node, and the paths the schema does not have."""
    hints = typing.get_type_hints(cls)
    valid: set[str] = set()
    unknown: list[str] = []
    for key in node.keys() if isinstance(node, DictConfig) else []:
        path = f"{prefix}{key}"
        if key not in hints:
            unknown.append(path)
            continue
        annotation = hints[key]
        # _get_node reads the node without resolving interpolations.
        child = node._get_node(key)
        nested = _dataclass_of(annotation)
        if typing.get_origin(annotation) is dict and isinstance(child, DictConfig):
            value_type = _dataclass_of(typing.get_args(annotation)[1])
            for item in child.keys():
                item_node = child._get_node(item)
                if value_type is not None and isinstance(item_node, DictConfig):
                    inner_valid, inner_unknown = _schema_paths(
                        item_node, value_type, f"{path}.{item}."
                    )
                    valid |= inner_valid
                    unknown += inner_unknown
                else:
                    valid.add(f"{path}.{item}")
        elif nested is not None and isinstance(child, DictConfig) and not child._is_none():
            inner_valid, inner_unknown = _schema_paths(child, nested, f"{path}.")
            valid |= inner_valid
            unknown += inner_unknown
        else:
            valid.add(path)
    return valid, unknown


def unknown_keys(cfg: DictConfig, kind: type) -> list[tuple[str, str | None]]:
    """Keys of a composed config that its typed schema does not have.

    Hydra lets `+key=value` add a key that the schema does not know, and the typed
    config then silently drops it: a typo would run with the default value.

    Args:
        cfg: The composed config.
        kind: The schema class.

    Returns:
        (unknown dotted path, the closest valid path or None), for each.
    """
    valid, unknown = _schema_paths(cfg, kind)
    return [
        (path, next(iter(difflib.get_close_matches(path, valid, n=1)), None)) for path in unknown
    ]


def refuse_unknown_keys(cfg: DictConfig, kind: type, where: str) -> None:
    """Raise `ConfigError` for the first key `kind` does not have, naming the closest.

    Args:
        cfg: The composed config.
        kind: The schema class.
        where: Where the keys and defaults are documented, for the message.

    Raises:
        ConfigError: An unknown key.
    """
    unknown = unknown_keys(cfg, kind)
    if unknown:
        path, closest = unknown[0]
        hint = f"; did you mean {closest}?" if closest else ""
        msg = f"invalid config: {path} is not a key{hint} (keys and defaults: {where})"
        raise ConfigError(msg)


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
        from experiments.storage.files import discard_empty_run_dir

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
    cfg = _compose("config", overrides, with_choices=True)
    with open_dict(cfg):
        calibrated = cfg.pop("hydra").runtime.choices.get("calibrated", "none")
    job = to_config(cfg, JobConfig)
    check_draw(job, calibrated)
    return job.run_config().validate()


def check_draw(job: JobConfig, calibrated: str) -> None:
    """A posterior draw is read only from `calibrated=posterior`; refuse it elsewhere.

    Args:
        job: The validated job.
        calibrated: The `calibrated` option the config was composed with.

    Raises:
        ConfigError: `draw` is set with another calibrated set.
    """
    if job.draw is not None and calibrated != "posterior":
        msg = (
            f"invalid config: draw = {job.draw}; allowed only with calibrated=posterior "
            f"(this run uses calibrated={calibrated})"
        )
        raise ConfigError(msg)


def load_calibration_config(overrides: list[str] | tuple[str, ...] = ()) -> CalibrationConfig:
    """Compose a calibration configuration exactly as `alliance-calibrate` does.

    Args:
        overrides: Override strings, e.g. `["calibration.posterior_particles=64"]`.

    Returns:
        The validated calibration configuration.
    """
    from calibration.config import CalibrationConfig

    return to_config(_compose("calibrate", overrides), CalibrationConfig)


_COMPOSE_LOCK = threading.Lock()


def _compose(
    name: str, overrides: list[str] | tuple[str, ...], with_choices: bool = False
) -> DictConfig:
    from hydra import compose, initialize_config_dir

    try:
        # Hydra's global state holds one composition at a time: threads (the
        # explorer's requests) take turns.
        with _COMPOSE_LOCK:
            register(name)
            with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
                return compose(
                    config_name=name, overrides=list(overrides), return_hydra_config=with_choices
                )
    except HydraException as error:
        lines = [line.strip() for line in str(error.__cause__ or error).splitlines()]
        msg = f"invalid config: {error}: {'; '.join(line for line in lines if line)}"
        raise ConfigError(msg) from None
