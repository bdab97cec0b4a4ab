"""`alliance-run`: simulate a scenario and its counterfactual, write the dataset.

alliance-run                                   # default scenario and strategy
alliance-run fund/strategy=small_territories fund.budget_eur=5e6 seed=3
alliance-run scenario=national
alliance-run -m fund/strategy=uniform,concentrated seed=0,1,2   # a sweep

A sweep (`-m`) goes through the project's sweeper and launcher
(`hydra_plugins/alliance_sweeps`, `experiments/sweep/`): each distinct
configuration composed once, every job validated before any runs, many runs per
worker process. With another launcher (`hydra/launcher=joblib`, Hydra's own
submitit or Ray launchers), each job comes through `main` below, and leaves the
same files.

One run (no `-m`) is simulated, written and summarised by `experiments.cli.single`;
started from the console script, in the helper process that imported the model
while Hydra composed (`experiments.process.forked`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from experiments.config.limits import ALLOW_LARGE_SWEEP, check_sweep_size, sweep_size
from experiments.config.provenance import git_commit
from experiments.config.run_checks import exit_refused, refuse_deletions, refusing_bad_configs
from experiments.config.schema import CONFIG_DIR, JobConfig, check_draw, register, validated_or_exit
from experiments.process import forked
from experiments.process.commandline import hydra_command_line
from experiments.sweep.jobs import (
    DATASET_NAME,
    DONE,
    ERROR_NAME,
    FAILED,
    JobSpec,
    provenance,
    read_record,
    sweep_command,
)
from hydra_plugins.alliance_sweeps.sweeps import register as register_sweeps
from hydra_plugins.alliance_sweeps.sweeps import reporting_basic_sweeps
from simulation import ConfigError
from simulation.dataset import config_hash

__all__ = ["DATASET_NAME", "ERROR_NAME", "main"]
log = logging.getLogger(__name__)
PROGRAM = "alliance-run"

register("config")
register_sweeps()  # the sweeper and launcher Hydra instantiates for -m


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> str:
    """Run one job: validate, simulate, write `dataset.nc` into the run directory.

    Args:
        cfg: The config Hydra composed from `configs/` and the command line.

    Returns:
        `DONE`, or `FAILED` for a sweep's job that failed (its folder holds `error.txt`).
    """
    from experiments.storage.files import discard_empty_run_dir

    hydra_config = HydraConfig.get()
    run_dir = Path(hydra_config.runtime.output_dir)
    job = validated_or_exit(cfg, JobConfig, PROGRAM)
    calibrated = hydra_config.runtime.choices.get("calibrated", "none")
    try:
        check_draw(job, calibrated)
    except ConfigError as error:
        discard_empty_run_dir(run_dir)
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        sys.exit(2)
    spec = JobSpec(
        index=int(hydra_config.job.get("num") or 0),
        overrides=tuple(hydra_config.overrides.task),
        folder=run_dir,
        config=job,
        calibrated=calibrated,
        command=sweep_command(),
        config_hash=config_hash(job.run_config()),
        git_commit=git_commit(),
    )
    if hydra_config.mode == RunMode.MULTIRUN:
        return run_sweep_job(spec)
    path = run_dir / DATASET_NAME
    arguments = (job.run_config(), provenance(spec), path)
    helper = forked.take()  # started by the console script: the model is imported there
    if helper is not None:
        print(helper.call("experiments.cli.single:run_and_write", *arguments))
    else:
        from experiments.cli.single import run_and_write

        print(run_and_write(*arguments))
    print(f"\ndataset: {path}")
    return DONE


def run_sweep_job(spec: JobSpec) -> str:
    """One job of a sweep run by another launcher.

    Skipped only if done with this config and its dataset matches its record
    (`jobs.damage`), as the project's own launchers decide; run again otherwise.

    Returns:
        `DONE`, or `FAILED`: Hydra's launchers hand it back to the sweeper
        (`hydra_plugins.alliance_sweeps`), which makes the command exit 1.
    """
    from experiments.sweep.jobs import damage
    from experiments.sweep.worker import run_task

    record = read_record(spec.folder)
    if (
        record
        and record.get("status") == DONE
        and record.get("config_hash") == spec.config_hash
        and damage(spec.folder, record) is None
    ):
        print(f"already complete: {spec.folder / DATASET_NAME}")
        return DONE
    (outcome,) = run_task([spec])
    if outcome.status != DONE:
        log.error("job failed; the sweep goes on: %s", outcome.message)
        return FAILED
    log.info("wrote %s", spec.folder / DATASET_NAME)
    return DONE


@contextmanager
def mode_from_command_line(arguments: list[str]) -> Iterator[None]:
    """Within the block, Hydra takes the run mode from the command line without composing.

    Before it runs a job, Hydra composes the whole configuration once only to
    read `hydra.mode` (`Hydra.get_mode`), then composes it again to run: 0.1 s of
    `alliance-run`'s start-up. No file in `configs/` sets `hydra.mode`
    (`tests/test_cli.py` checks it), so with `configs/` the mode comes from the
    command line alone (`-m`, or a `hydra.mode=` override), where Hydra reads it
    anyway. With a `hydra.mode` or `hydra.searchpath` override, or a config path,
    directory or name option, Hydra composes as before.

    Args:
        arguments: The command line after the program name.

    Yields:
        Nothing; Hydra's own `get_mode` is back when the block exits.
    """
    from hydra._internal.hydra import Hydra

    composing = Hydra.get_mode
    if mode_only_on_command_line(arguments):
        Hydra.get_mode = lambda _hydra, config_name, overrides: None
    try:
        yield
    finally:
        Hydra.get_mode = composing


def mode_only_on_command_line(arguments: list[str]) -> bool:
    """Whether `configs/` is the whole configuration, so that only the command line sets the mode.

    The command line is read by Hydra's own parser (abbreviated options included).

    Args:
        arguments: The command line after the program name.

    Returns:
        False with a config path, directory or name option, a `hydra.mode` or
        `hydra.searchpath` override, or a command line Hydra will refuse.
    """
    import argparse

    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.exit_on_error = False
    try:
        parsed, _ = parser.parse_known_args(arguments)
    except argparse.ArgumentError:  # Hydra reports it
        return False
    if parsed.config_path or parsed.config_dir or parsed.config_name:
        return False
    keys = (override.lstrip("+~").split("=")[0] for override in parsed.overrides)
    return not any(key in ("hydra.mode", "hydra.searchpath") for key in keys)


def entry() -> None:
    """The `alliance-run` console script: its own flags, then Hydra's app.

    `--help`, `--version` and `--help-config` are the project's
    (`experiments.process.commandline.hydra_command_line`). Before Hydra runs: `~key` deletions
    are refused, and a sweep's jobs are counted (`experiments.config.limits`): above
    20,000 it needs `--allow-large-sweep`.
    """
    from hydra._internal.utils import get_args_parser

    allow_large = ALLOW_LARGE_SWEEP in sys.argv[1:]
    arguments = [a for a in sys.argv[1:] if a != ALLOW_LARGE_SWEEP]  # ours, not Hydra's
    sys.argv[1:] = hydra_command_line(PROGRAM, arguments)
    parsed, _ = get_args_parser().parse_known_args(sys.argv[1:])
    try:
        refuse_deletions(parsed.overrides)
        if parsed.multirun or "hydra.mode=MULTIRUN" in parsed.overrides:
            check_sweep_size(sweep_size(parsed.overrides, Path(CONFIG_DIR)), allow_large)
    except ConfigError as error:
        exit_refused(PROGRAM, error)
    refusing = refusing_bad_configs(PROGRAM, parsed.overrides)
    with mode_from_command_line(sys.argv[1:]), refusing, reporting_basic_sweeps():
        main()


if __name__ == "__main__":  # `python -m experiments.cli.run`, as the console script runs it
    from experiments.process.interrupts import guarded

    with guarded(PROGRAM, sys.argv[1:]):
        entry()
