"""Plan a sweep before anything runs: compose each arm once, validate every job, skip the done.

Hydra's own sweeper and launchers compose the full configuration of every job,
once to check it and once more to run it: about 0.4 s a job, serial, before the
first run starts. A sweep's jobs differ mostly in their seed (or the row of a
sensitivity design), so here:

1. each job's overrides are split into its *arm* (every override but the row
   keys `seed` and `sensitivity.sample` and the late key `draw`), its draw and
   its row values;
2. each distinct arm is composed once, through Hydra (the same config tree,
   defaults and override grammar as a single `alliance-run`); each distinct
   (arm, draw) is then turned into a typed, validated `JobConfig`, the draw set
   on the composed config so that its posterior values resolve;
3. each job is that config with its row values set, validated again (a bad seed
   is named with its job), and hashed;
4. a job whose folder holds a `job.json` marked done with the same hash, and a
   dataset whose size and SHA-256 match that record, is skipped; one whose hash
   changed, or whose dataset is missing, truncated or changed, is re-run, and
   the plan says so.

A bad value anywhere, a config file an arm reads that is empty or not YAML, or
(on this machine's cores) a world that would not fit in the memory available,
stops the sweep here in one line (`experiments.config.refusal`: the key or file, what it
allows, then the job), before any job runs or any file is written. Temporaries a
killed earlier run of the sweep left in its folders are removed first
(`experiments.storage.cleanup.remove_stale`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf, open_dict

from experiments.config.limits import check_world_fits
from experiments.config.provenance import git_commit
from experiments.config.refusal import is_config_error, refusal
from experiments.config.run_checks import check_config_files, check_run_dir
from experiments.config.schema import JobConfig, check_draw, to_config
from experiments.storage.cleanup import remove_stale
from experiments.sweep.jobs import (
    DONE,
    JobSpec,
    absolute,
    damage,
    read_record,
    sweep_command,
)
from simulation.bounds import check_value
from simulation.config import ConfigError, RunConfig
from simulation.dataset import config_hash

# Keys whose values are set on the composed, typed config rather than composed.
ROW_KEYS = ("seed", "sensitivity.sample")
# Keys set on the composed config before it is typed (they feed interpolations).
LATE_KEYS = ("draw",)
DEFAULT_SUBDIR = "${hydra.job.override_dirname}"


class PlanError(ConfigError):
    """A job of the sweep cannot run: its configuration is invalid."""


@dataclass
class Plan:
    """The jobs of a sweep, sorted by what must happen to them.

    Attributes:
        sweep_dir: The sweep's folder.
        to_run: Jobs to run: new, failed before, or stale.
        skipped: Jobs already done with the same configuration.
        stale: Jobs done before under another configuration (also in `to_run`).
        damaged: Jobs done before whose dataset is missing or does not match
            its record, with the reason (also in `to_run`).
        arms: Number of distinct arms composed.
    """

    sweep_dir: Path
    to_run: list[JobSpec] = field(default_factory=list)
    skipped: list[JobSpec] = field(default_factory=list)
    stale: list[JobSpec] = field(default_factory=list)
    damaged: list[tuple[JobSpec, str]] = field(default_factory=list)
    arms: int = 0

    @property
    def total(self) -> int:
        """Number of jobs in the sweep."""
        return len(self.to_run) + len(self.skipped)


def _is_row(override: Override, keys: tuple[str, ...] = ROW_KEYS) -> bool:
    return (
        override.key_or_group in keys
        and override.type == OverrideType.CHANGE
        and not override.is_sweep_override()
    )


def _is_late(override: Override) -> bool:
    return _is_row(override, LATE_KEYS)


def _with_row(job: JobConfig, row: dict[str, object]) -> JobConfig:
    """The arm's config with the job's row values (the arm's config is not modified)."""
    if "seed" in row:
        job = dataclasses.replace(job, seed=row["seed"])
    if "sensitivity.sample" in row:
        if job.sensitivity is None:
            msg = (
                f"invalid config: sensitivity.sample = {row['sensitivity.sample']!r}; "
                "allowed only in a sensitivity sweep (+experiment=sensitivity)"
            )
            raise ConfigError(msg)
        design = dataclasses.replace(job.sensitivity, sample=row["sensitivity.sample"])
        job = dataclasses.replace(job, sensitivity=design)
    return job


def _checked(job: JobConfig, row: dict[str, object]) -> JobConfig:
    """Validate a job: its seed alone if only the seed differs from its checked arm."""
    if set(row) <= {"seed"}:
        seed_field = next(f for f in dataclasses.fields(RunConfig) if f.name == "seed")
        check_value("seed", job.seed, seed_field.metadata["bounds"], integer=True)
        return job
    return job.validate()


def _compose_arm(
    compose: Callable[[list[str]], DictConfig], arm: list[str]
) -> tuple[DictConfig, str]:
    """One arm's composed config (without `hydra`), and its `calibrated` option.

    Raises:
        ConfigError: A config file the arm reads is empty (`run_checks.check_config_files`).
    """
    cfg = compose(arm)
    check_config_files(cfg)
    with open_dict(cfg):
        calibrated = str(cfg.hydra.runtime.choices.get("calibrated", "none"))
        cfg.pop("hydra")
    return cfg, calibrated


def _typed(
    cfg: DictConfig, calibrated: str, late: dict[str, object], local: bool = True
) -> JobConfig:
    """The arm's typed, validated config with its late keys (a posterior draw) set.

    A draw only changes which posterior values the arm's interpolations resolve
    to: setting it on the composed config costs about 10 ms, composing anew 140 ms.
    On this machine (`local`), its world must fit in the memory available
    (`experiments.config.limits.check_world_fits`, as for a single run); a cluster's
    nodes are sized by the launcher's own settings.
    """
    if late:
        cfg = cfg.copy()
        for key, value in late.items():
            OmegaConf.update(cfg, key, value, force_add=False)
    job = to_config(cfg, JobConfig)
    check_draw(job, calibrated)
    if local:
        check_world_fits(job.run_view())
    return job


def _job_folder(sweep_dir: Path, subdir: str, label: str) -> Path:
    """A job's folder, which must lie inside the sweep's folder (not be it).

    Raises:
        PlanError: A `hydra.sweep.subdir` that leaves the sweep's folder (`..`, an
            absolute path) or is empty: `alliance-collect` would not find the job,
            or jobs would replace each other's files.
    """
    folder = Path(os.path.normpath(sweep_dir / subdir))
    if folder == sweep_dir or not folder.is_relative_to(sweep_dir):
        msg = (
            f"invalid config: hydra.sweep.subdir = {subdir!r} is not a folder inside the "
            f"sweep's folder {sweep_dir}; allowed: a relative folder name without '..' ({label})"
        )
        raise PlanError(msg)
    return folder


def _check_not_linked(sweep_dir: Path, folder: Path, label: str) -> None:
    """Refuse a job folder that is, or lies under, a symbolic link inside the sweep's folder.

    The job would read another job's record and write its dataset there.

    Raises:
        PlanError: Naming the link, where it points, and the job.
    """
    for part in (folder, *folder.parents):
        if part == sweep_dir or not part.is_relative_to(sweep_dir):
            return
        if part.is_symlink():
            msg = (
                f"invalid sweep: {part} is a symbolic link (to {os.readlink(part)}): the job "
                f"would write through it into another folder ({label}); allowed: job folders "
                "themselves; remove the link"
            )
            raise PlanError(msg)


def _classify(plan: Plan, spec: JobSpec) -> None:
    """Skip a job done with this config and an intact dataset; run any other."""
    record = read_record(spec.folder)
    if record is None or record.get("status") != DONE:
        plan.to_run.append(spec)
    elif record.get("config_hash") != spec.config_hash:
        plan.stale.append(spec)
        plan.to_run.append(spec)
    elif (reason := damage(spec.folder, record)) is not None:
        plan.damaged.append((spec, reason))
        plan.to_run.append(spec)
    else:
        plan.skipped.append(spec)


def plan_sweep(
    job_overrides: Sequence[Sequence[str]],
    master: DictConfig,
    compose: Callable[[list[str]], DictConfig],
) -> Plan:
    """Compose, validate and classify every job of a sweep.

    Args:
        job_overrides: Each job's override strings, as the sweeper expanded them.
        master: The sweep's primary config (with its `hydra` node).
        compose: Composes a job's full config (with `hydra`) from its overrides.

    Returns:
        The plan.

    Raises:
        PlanError: A job's configuration is invalid; one line naming the key or
            file, what it allows, and the job.
    """
    sweep_dir = Path(os.path.normpath(absolute(Path(str(master.hydra.sweep.dir)))))
    try:
        check_run_dir(sweep_dir, "hydra.sweep.dir")
    except ConfigError as error:
        raise PlanError(str(error)) from None
    remove_stale([sweep_dir], recursive=True)  # what a killed earlier run of it left
    local = OmegaConf.select(master, "hydra.launcher.backend", default="local") == "local"
    subdir_template = OmegaConf.to_container(master.hydra.sweep, resolve=False)["subdir"]
    naming = master.hydra.job.config.override_dirname
    parser = OverridesParser.create()
    parsed_once: dict[str, Override] = {}  # the same strings recur in every job
    plan = Plan(sweep_dir=sweep_dir)
    arms: dict[tuple[str, ...], tuple[DictConfig, str]] = {}
    typed: dict[tuple, JobConfig] = {}
    folders: dict[Path, int] = {}  # each job's folder, to refuse two jobs in one
    configs: dict[str, int] = {}  # each job's config hash, to refuse a job run twice
    commit, command = git_commit(), sweep_command()
    for index, overrides in enumerate(job_overrides):
        label = f"job {index}: {' '.join(overrides)}"
        try:
            for line in overrides:
                if line not in parsed_once:
                    parsed_once[line] = parser.parse_overrides([line])[0]
            parsed = [parsed_once[line] for line in overrides]
            arm = tuple(o.input_line for o in parsed if not (_is_row(o) or _is_late(o)))
            late = {o.key_or_group: o.value() for o in parsed if _is_late(o)}
            row = {o.key_or_group: o.value() for o in parsed if _is_row(o)}
            if arm not in arms:
                arms[arm] = _compose_arm(compose, list(arm))
            cfg, calibrated = arms[arm]
            key = (arm, tuple(sorted(late.items())))
            if key not in typed:
                typed[key] = _typed(cfg, calibrated, late, local)
            config = _checked(_with_row(typed[key], row), row)
            if subdir_template == DEFAULT_SUBDIR:
                subdir = get_overrides_dirname(
                    parsed, list(naming.exclude_keys), naming.item_sep, naming.kv_sep
                )
            else:  # a custom folder pattern: let Hydra resolve it for this job
                subdir = str(compose(list(overrides)).hydra.sweep.subdir)
        except Exception as error:
            if not is_config_error(error):
                raise
            msg = f"{refusal(error)} ({label})"
            raise PlanError(msg) from None
        folder = _job_folder(sweep_dir, subdir, label)
        if folder in folders:
            msg = (
                f"invalid sweep: jobs {folders[folder]} and {index} would write the same folder "
                f"{folder} (the same values twice, or a hydra.sweep.subdir that does not vary); "
                "allowed: jobs that differ, each in its own folder"
            )
            raise PlanError(msg)
        folders[folder] = index
        _check_not_linked(sweep_dir, folder, label)
        spec = JobSpec(
            index=index,
            overrides=tuple(overrides),
            folder=folder,
            config=config,
            calibrated=calibrated,
            command=command,
            config_hash=config_hash(config.run_view()),
            git_commit=commit,
            subdir=subdir,
        )
        if spec.config_hash in configs:
            msg = (
                f"invalid sweep: jobs {configs[spec.config_hash]} and {index} run the same "
                f"configuration (the same value written twice, e.g. 2e6 and 2000000; {label}); "
                "allowed: jobs that differ"
            )
            raise PlanError(msg)
        configs[spec.config_hash] = index
        _classify(plan, spec)
    plan.arms = len(arms)
    return plan
