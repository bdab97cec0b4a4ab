"""What `alliance-run` checks before Hydra creates anything, and how it refuses.

Hydra creates a run's folder (and its parents, `outputs/<scenario>/<strategy>/`)
before the job's function sees the configuration, and reports its own errors in
several lines or a traceback. `refusing_bad_configs` makes every refusal one line
with exit status 2 (`experiments.config.refusal`), and checks a single run before its
folder exists:

- the configuration is valid (`experiments.config.schema.to_config`), names included,
  and its world fits in the memory available (`experiments.config.limits`);
- no config file it reads is empty (an emptied `fund/default.yaml` would silently
  run the dataclass defaults);
- the run folder can be created, and holds no earlier run's `dataset.nc` (two runs
  with `hydra.run.dir=.` would otherwise replace the first one's data).

A `~key` override (deleting a key or a config group) is refused before Hydra runs:
the typed schema would silently put its default back (`~fund`), or a folder name
would lose its value (`~seed`).
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Iterator
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config.limits import check_world_fits
from experiments.config.refusal import is_config_error, refusal
from experiments.process.interrupts import is_storage_error
from experiments.storage.files import discard_empty_run_dir
from simulation.config import ConfigError, RunConfig

DATASET_NAME = "dataset.nc"


def refuse_deletions(overrides: list[str]) -> None:
    """Refuse `~key` and `~group` overrides (Hydra's own settings excepted).

    Raises:
        ConfigError: Naming the first deletion.
    """
    for override in overrides:
        if override.startswith("~") and not override[1:].startswith("hydra"):
            key = override[1:].split("=")[0]
            msg = (
                f"invalid override {override!r}: {key} cannot be deleted; allowed: setting "
                f"it to another value or option ({key}=...; keys and defaults: configs/)"
            )
            raise ConfigError(msg)


def check_config_files(config: DictConfig) -> None:
    """Refuse an empty config file among those the composition read.

    An option that is empty on purpose (`calibrated/none.yaml`) says so in a comment.

    Raises:
        ConfigError: Naming the empty file.
    """
    runtime = config.hydra.runtime
    roots = [Path(s.path) for s in runtime.config_sources if s.schema == "file"]
    names = [f"{config.hydra.job.config_name}.yaml"]
    names += [
        f"{group}/{option}.yaml"
        for group, option in runtime.choices.items()
        if option is not None and not group.startswith("hydra")
    ]
    for root in roots:
        for name in names:
            path = root / name
            if path.is_file() and not path.read_text(encoding="utf-8", errors="replace").strip():
                msg = (
                    f"invalid config file {root.name}/{name}: it is empty; allowed: the keys "
                    "of its group (an option empty on purpose says so in a comment)"
                )
                raise ConfigError(msg)


def missing_folders(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def check_run_dir(run_dir: Path, key: str = "hydra.run.dir") -> None:
    """Refuse a run folder that cannot be created or already holds a run's dataset.

    The folder is created to be sure, then removed again with the parents this
    created: Hydra creates it next, and a refusal leaves nothing behind.

    Args:
        run_dir: The folder.
        key: The setting that names it, for the message (`hydra.sweep.dir` for a sweep's).

    Raises:
        ConfigError: Naming the key and what it allows.
    """
    if (run_dir / DATASET_NAME).exists():
        msg = (
            f"invalid config: {key} = {run_dir} already holds a run's {DATASET_NAME}; "
            "allowed: a folder without one (the default names a new folder per run)"
        )
        raise ConfigError(msg)
    created = missing_folders(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        msg = (
            f"invalid config: {key} = {run_dir} cannot be created ({error.strerror}); "
            "allowed: a folder this user can create and write"
        )
        raise ConfigError(msg) from None
    finally:
        for path in created:
            with contextlib.suppress(OSError):
                path.rmdir()


def check_before_run(config: DictConfig, kind: type[RunConfig] | None = None) -> None:
    """All of a single run's checks, on the configuration Hydra composed (`hydra` included).

    Args:
        config: The composed configuration.
        kind: Its typed schema: `alliance-run`'s `JobConfig` by default, or another
            command's (`CalibrationConfig`).

    Raises:
        ConfigError: The first problem found.
    """
    from hydra.core.hydra_config import HydraConfig

    from experiments.config.schema import JobConfig, check_draw, to_config

    check_config_files(config)
    task = copy.deepcopy(config)
    with open_dict(task):
        del task["hydra"]
    job = to_config(task, kind or JobConfig)
    if isinstance(job, JobConfig):
        check_draw(job, config.hydra.runtime.choices.get("calibrated") or "none")
        check_world_fits(job.run_view())
    else:
        check_world_fits(job)
    HydraConfig.instance().set_config(config)  # for the folder's `${hydra:...}` values
    check_run_dir(Path(str(OmegaConf.select(config, "hydra.run.dir"))).absolute())


@contextlib.contextmanager
def refusing_bad_configs(
    program: str,
    overrides: list[str],
    kind: type[RunConfig] | None = None,
    keys: tuple[str, ...] | None = None,
) -> Iterator[None]:
    """Within the block, Hydra's errors about the configuration are one line and exit 2.

    Hydra's `run_and_report` prints errors in several lines (exit 1); here an error
    in the configuration (`experiments.config.refusal.CONFIG_ERRORS`) prints
    `<program>: <one line>` and exits 2; a full disk or an unwritable folder is
    left to `experiments.process.interrupts.guarded` (one line); other errors are Hydra's
    as before. A single run is checked (`check_before_run`) before Hydra creates
    its folder.

    Args:
        program: The command's name, for the message.
        overrides: The command line's overrides, named when an error names no key.
        kind: The command's typed schema (default: `alliance-run`'s `JobConfig`).
        keys: Its valid keys, for a closest-key suggestion (default: `alliance-run`'s).

    Yields:
        Nothing; Hydra is as it was when the block exits.
    """
    import hydra._internal.hydra as hydra_app
    import hydra._internal.utils as hydra_utils
    from hydra.core.utils import JobStatus

    reporting, running = hydra_utils.run_and_report, hydra_app.run_job

    def run_and_refuse(func: object) -> object:
        try:
            return func()
        except Exception as error:
            if is_config_error(error):
                exit_refused(program, error, overrides, keys)
            if is_storage_error(error):
                raise  # one line from experiments.process.interrupts.guarded, not Hydra's traceback
            failure = error  # Hydra's own report, as without this block

            def again() -> None:
                raise failure

            return reporting(again)

    def checked_run_job(**kwargs: object) -> object:
        created: list[Path] = []
        if kwargs.get("job_dir_key") == "hydra.run.dir":
            check_before_run(kwargs["config"], kind)
            run_dir = OmegaConf.select(kwargs["config"], "hydra.run.dir")
            created = missing_folders(Path(str(run_dir)).absolute())
        done = running(**kwargs)
        failure = done._return_value if done.status == JobStatus.FAILED else None
        if failure is not None and is_storage_error(failure):
            # Without Hydra's "Error executing job" line; no run folder of Hydra's files only.
            if created:
                discard_empty_run_dir(created[0])
            for folder in created[1:]:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise failure
        return done

    hydra_utils.run_and_report = run_and_refuse
    hydra_app.run_job = checked_run_job
    try:
        yield
    finally:
        hydra_utils.run_and_report, hydra_app.run_job = reporting, running


def exit_refused(
    program: str,
    error: BaseException,
    overrides: list[str] | None = None,
    keys: tuple[str, ...] | None = None,
) -> None:
    """Print the one-line refusal (`experiments.config.refusal.refusal`) and exit 2."""
    print(f"{program}: {refusal(error, overrides=overrides, keys=keys)}", file=sys.stderr)
    sys.exit(2)
