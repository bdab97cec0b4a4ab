"""`alliance-calibrate`: fit the model to the field's figures, write the set and a report.

alliance-calibrate                                  # resumes if a checkpoint exists
alliance-calibrate calibration.name=quick calibration.maxiter=3 calibration.posterior_particles=0

Bad input (an unknown key, a wrong value or option, a config file that is empty
or not YAML, `~key`) is refused in one line, exit 2, before any folder is created.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from calibration.config import CalibrationConfig, sampled_bounds
from calibration.evaluation import Checkpoint, Evaluator, fingerprint
from calibration.fit import Calibration
from experiments.calibrating.calibration_report import (
    write_calibrated_set,
    write_posterior_set,
    write_report,
)
from experiments.config.schema import CONFIG_DIR, PROJECT_ROOT, register, validated_or_exit
from experiments.process.commandline import hydra_command_line
from experiments.process.startup import calibration_worker_setup
from simulation.config import ConfigError
from simulation.dataset import config_json

register("calibrate")
PROGRAM = "alliance-calibrate"


def _project_path(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else PROJECT_ROOT / candidate


def main() -> None:
    """The `alliance-calibrate` console script: Hydra's app, refusing bad input in one line.

    `--help`, `--version` and `--help-config` are the project's
    (`experiments.process.commandline.hydra_command_line`).
    `~key` deletions are refused before Hydra runs; Hydra's own errors, YAML errors
    in config files, an empty config file, an invalid value and an unusable run
    folder are one line, exit 2, before the run folder exists
    (`experiments.config.run_checks.refusing_bad_configs`).
    """
    from hydra._internal.utils import get_args_parser

    from experiments.config.refusal import schema_keys
    from experiments.config.run_checks import exit_refused, refuse_deletions, refusing_bad_configs

    sys.argv[1:] = hydra_command_line(PROGRAM, sys.argv[1:])
    parsed, _ = get_args_parser().parse_known_args(sys.argv[1:])
    try:
        refuse_deletions(parsed.overrides)
    except ConfigError as error:
        exit_refused(PROGRAM, error)
    keys = schema_keys(CalibrationConfig)
    with refusing_bad_configs(PROGRAM, parsed.overrides, CalibrationConfig, keys):
        calibrate()


# What a checkpoint's evaluations do not depend on: the set's name (the checkpoint's
# folder), where outputs go, and how many extra draws are made from a finished posterior.
NOT_IN_CHECKPOINT = ("name", "output", "report_dir", "posterior_draws")


def checkpoint_fingerprint(config: CalibrationConfig) -> str:
    """What a checkpoint must match to be resumed: every setting its evaluations depend on.

    Args:
        config: The calibration config.

    Returns:
        A fingerprint of the run configuration and of the calibration settings but
        `NOT_IN_CHECKPOINT`.
    """
    settings = vars(config.calibration)
    resumable = {k: v for k, v in settings.items() if k not in NOT_IN_CHECKPOINT}
    return fingerprint(config_json(config.run_config()), repr(resumable))


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="calibrate")
def calibrate(cfg: DictConfig) -> None:
    """Calibrate, then write the calibrated set and the report.

    Args:
        cfg: The config Hydra composed from `configs/calibrate.yaml` and the command line.
    """
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    config = validated_or_exit(cfg, CalibrationConfig, PROGRAM)
    settings = config.calibration
    checkpoint_path = run_dir / "checkpoint.json"
    try:
        checkpoint = Checkpoint(checkpoint_path, checkpoint_fingerprint(config))
    except ValueError as error:
        print(f"alliance-calibrate: {error}", file=sys.stderr)
        sys.exit(2)
    if checkpoint.evaluations:
        print(f"resuming from {checkpoint_path}: {len(checkpoint.evaluations)} simulations done")
    print(
        f"alliance-calibrate: {len(settings.parameters)} free parameters; the first stage "
        f"runs {settings.maxiter} generations of "
        f"{settings.popsize * len(settings.parameters)} x {settings.optimiser_replicates} "
        "simulations, then the posterior (progress below)",
        flush=True,
    )
    evaluator = Evaluator(
        config.run_config(),
        list(sampled_bounds(settings)),
        settings.maturity_observation_year,
        checkpoint,
        settings.workers,
        worker_setup=calibration_worker_setup,
    )
    try:
        with evaluator:
            result = Calibration(
                config, evaluator, progress=lambda line: print(line, flush=True)
            ).run(uncertainty=settings.posterior_particles > 0)
    except KeyboardInterrupt:
        print(
            f"\nalliance-calibrate: interrupted; {checkpoint_path} keeps "
            f"{len(checkpoint.evaluations)} simulations: run the same command to resume",
            file=sys.stderr,
        )
        sys.exit(130)
    output = write_calibrated_set(config, result, _project_path(settings.output))
    if result.posterior is not None:
        posterior = write_posterior_set(config, result, output.parent)
        print(f"posterior draws: {posterior}")
    report = write_report(config, result, _project_path(settings.report_dir))
    print(f"\ncalibrated set: {output}\nreport: {report}")
