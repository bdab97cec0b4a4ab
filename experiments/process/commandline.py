"""What every command-line tool shares: short help, `--version`, one-line refusals.

- `Parser`: an `argparse.ArgumentParser` whose errors are one line in the project's
  refusal form (`<tool>: <what is wrong>; allowed: <what is>`, exit 2, as
  `experiments.config.refusal` words a bad configuration), with `--version`, examples
  and where the docs are in its `--help`. `alliance-collect`, `alliance-verify`
  and `alliance-publish` use it; any argparse tool can.
- `at_least_one`, `processes`: argument types whose refusal says what is allowed.
- `hydra_command_line`: the Hydra tools' own flags, read before Hydra sees the
  command line: `--help` (short: usage, main settings, examples, docs),
  `--version`, and `--help-config`, Hydra's list of every setting and default.
- `refusing_unreadable`: a file the user may not read is refused as such ("cannot
  read"), not as one it cannot write.

This module imports nothing heavy: the console scripts (`experiments.cli.console`)
answer `--help` and `--version` of the Hydra tools before importing them.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn

__all__ = [
    "HELP_CONFIG",
    "Parser",
    "at_least_one",
    "finite_number",
    "hydra_command_line",
    "processes",
    "refusing_unreadable",
    "version_line",
]

PACKAGE = "alliance-premium"
CONFIGS = Path(__file__).resolve().parents[2] / "configs"
# Hydra's `--help` with the template configs/hydra/help/config_reference.yaml.
HELP_CONFIG = "--help-config"
CONFIG_HELP_OVERRIDE = "hydra/help=config_reference"
SHORT_HELP = ("-h", "--help")
REFUSED = 2  # the exit status of every refusal


def version_line(program: str) -> str:
    """What `<program> --version` prints: `<program> (alliance-premium) <version>`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version(PACKAGE)
    except PackageNotFoundError:
        number = "unknown"
    return f"{program} ({PACKAGE}) {number}"


def refuse(program: str, problem: str) -> NoReturn:
    """Print `<program>: <problem>` on stderr and exit 2 (the problem says what is allowed)."""
    print(f"{program}: {problem}", file=sys.stderr)
    sys.exit(REFUSED)


class Parser(argparse.ArgumentParser):
    """An argument parser that refuses a bad command line in one line, with `--version`.

    argparse prints its usage and then the error, two lines (or more); here the
    error is one line, `<tool>: <what is wrong>; allowed: <the usage in one line>`,
    exit 2. An argument type's error that already says what is allowed (`processes`)
    is printed as it is. `--help` shows the usage, the options, the examples and
    where the docs are.

    Args:
        prog: The tool's name.
        description: What it does, in a sentence or two.
        examples: Command lines shown under "examples:".
        docs: Where to read more: files of the project, one a line.
    """

    def __init__(
        self, prog: str, description: str, examples: Iterable[str] = (), docs: Iterable[str] = ()
    ) -> None:
        epilog = ""
        if examples:
            epilog += "examples:\n" + "".join(f"  {line}\n" for line in examples)
        if docs:
            epilog += "\n" + _docs(*docs)
        super().__init__(
            prog=prog,
            description=description,
            epilog=epilog or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.add_argument(
            "--version", action="version", version=version_line(prog), help="show the version"
        )

    def error(self, message: str) -> NoReturn:
        """Refuse in one line (argparse's `error` prints the usage, then the message)."""
        if "; allowed:" not in message:
            usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
            message = f"{message}; allowed: {usage} (more: {self.prog} --help)"
        refuse(self.prog, message)


def _number[T: (int, float)](
    text: str, kind: type[T], accepted: Callable[[T], bool], allowed: str
) -> T:
    """`text` read as `kind` if `accepted` takes it; else a refusal saying what is allowed."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not accepted(value):
        msg = f"invalid value {text!r}; allowed: {allowed}"
        raise argparse.ArgumentTypeError(msg)
    return value


def at_least_one(text: str) -> int:
    """An integer >= 1 (0 would do nothing, a negative number is meaningless).

    Raises:
        argparse.ArgumentTypeError: Saying what is allowed.
    """
    return _number(text, int, lambda value: value >= 1, "an integer >= 1")


def finite_number(text: str) -> float:
    """A finite number (nan and inf would compare as no number does).

    Raises:
        argparse.ArgumentTypeError: Saying what is allowed.
    """
    return _number(text, float, math.isfinite, "a finite number (e.g. 1.0)")


def processes(text: str) -> int:
    """A number of worker processes: an integer >= 1, or -1 for one per core.

    0 is refused: it reads as "none", and meant "all cores".

    Raises:
        argparse.ArgumentTypeError: Saying what is allowed.
    """
    if text.strip() == "-1":
        return -1
    try:
        return at_least_one(text)
    except argparse.ArgumentTypeError:
        msg = f"invalid value {text!r}; allowed: an integer >= 1, or -1 for one per core"
        raise argparse.ArgumentTypeError(msg) from None


HELP_WIDTH = 92
SETTING = 25  # where a setting's description starts


def _options(group: str, lead: str = "") -> str:
    """The options of a config group, from its folder: "a, b, c", wrapped under its setting."""
    names = ", ".join(sorted(path.stem for path in (CONFIGS / group).glob("*.yaml")))
    lines = textwrap.wrap(lead + names, HELP_WIDTH - SETTING)
    return ("\n" + " " * SETTING).join(lines)


def _docs(*pages: str) -> str:
    return f"docs, in {CONFIGS.parent}:\n" + "".join(f"  {page}\n" for page in pages).rstrip()


HYDRA_OPTIONS = f"""\
  {HELP_CONFIG:<23}every setting with its default, and the options of every group
  --cfg job              the configuration a command line composes, without running it
  --hydra-help           Hydra's own options (--info, --config-dir, shell completion)
  --version              show the version
  -h, --help             show this help"""


def run_help() -> str:
    """`alliance-run --help`."""
    return f"""\
usage: alliance-run [KEY=VALUE ...]          one run: the world with the fund and without it
       alliance-run -m [KEY=A,B ...]         a sweep: one run per combination of values

Simulates a world of organisations and territories twice, with the fund and without
it (the same random numbers), writes dataset.nc into
outputs/<scenario>/<strategy>/seed<seed>_<time>/ and prints what the fund bought.

main settings (every key and its default: alliance-run {HELP_CONFIG}):
  fund/strategy=NAME     {_options("fund/strategy")}
  fund.budget_eur=EUR    the fund's budget, e.g. 5e6
  fund.placebo=true      a fund that picks and pays the same projects but changes nothing
  scenario=NAME          {_options("scenario")}
  calibrated=NAME        {_options("calibrated")} (none: the raw assumptions)
  seed=N                 the root of every random number
  +experiment=NAME       {_options("experiment", "a named sweep (with -m): ")}

options:
  -m, --multirun         run a sweep: KEY=A,B or KEY=range(0,10) runs each value
  --allow-large-sweep    start a sweep of more than 20,000 jobs
{HYDRA_OPTIONS}

examples:
  alliance-run fund/strategy=concentrated fund.budget_eur=5e6 seed=3
  alliance-run -m fund/strategy=uniform,concentrated seed=0,1,2
  alliance-run -m +experiment=strategy_comparison

{_docs('README.md ("Using it")', "docs/configuration.md (every key: meaning, unit, source)")}"""


def calibrate_help() -> str:
    """`alliance-calibrate --help`."""
    return f"""\
usage: alliance-calibrate [KEY=VALUE ...]

Fits the model's free parameters to the field's figures (simulated moments, then a
posterior), and writes the calibrated set and its report. Interrupted, the same
command resumes from outputs/calibration/<name>/checkpoint.json.

main settings (every key and its default: alliance-calibrate {HELP_CONFIG}):
  calibration.name=NAME                the calibration's name (its folder and checkpoint)
  calibration.maxiter=N                generations of the first stage, at most
  calibration.posterior_particles=N    particles of the posterior; 0: no posterior
  calibration.workers=N                processes; -1: one per core
  calibration.output=FILE              the calibrated set (default configs/calibrated/default.yaml)
  calibration.report_dir=FOLDER        the report (default docs/calibration)

options:
{HYDRA_OPTIONS}

examples:
  alliance-calibrate
  alliance-calibrate calibration.name=quick calibration.maxiter=3 calibration.posterior_particles=0

{_docs('README.md ("Calibration")', "docs/tutorials/calibration.md", "docs/configuration.md")}"""


HYDRA_TOOLS = {"alliance-run": run_help, "alliance-calibrate": calibrate_help}


def answer_help_or_version(program: str, arguments: list[str]) -> None:
    """Print the short help or the version and exit, if the command line asks for it.

    Args:
        program: "alliance-run" or "alliance-calibrate".
        arguments: The command line after the program's name.
    """
    if HELP_CONFIG in arguments:
        return  # Hydra's, through `hydra_command_line`
    if any(a in SHORT_HELP for a in arguments):
        print(HYDRA_TOOLS[program]())
        sys.exit(0)
    if "--version" in arguments:
        print(version_line(program))
        sys.exit(0)


def hydra_command_line(program: str, arguments: list[str]) -> list[str]:
    """A Hydra tool's command line, its own flags answered or translated for Hydra.

    `--help` prints the short help and `--version` the version (exit 0);
    `--help-config` becomes Hydra's `--help` with the project's template
    (configs/hydra/help/config_reference.yaml): the config groups and their
    options, then every setting with its default, the command line's overrides
    applied.

    Args:
        program: "alliance-run" or "alliance-calibrate".
        arguments: The command line after the program's name.

    Returns:
        The command line for Hydra.
    """
    answer_help_or_version(program, arguments)
    if HELP_CONFIG in arguments:
        rest = [a for a in arguments if a != HELP_CONFIG and a not in SHORT_HELP]
        arguments = ["--help", CONFIG_HELP_OVERRIDE, *rest]
    check_hydra_flags(program, arguments)
    return arguments


def check_hydra_flags(program: str, arguments: list[str]) -> None:
    """Refuse in one line a command line Hydra's own parser refuses (in two, with its usage).

    An unknown option (`--bogus`), a bad choice (`--cfg everything`), overrides
    on both sides of an option (`seed=1 -m seed=2`: argparse takes one group of
    positional arguments), and two of `--run`, `-m`, `--cfg`, `--info` and
    `--shell-completion` (a traceback from Hydra), or `--resolve` alone.
    """
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.prog = program

    def error(message: str) -> NoReturn:
        refuse(
            program,
            f"{message}; allowed: the options of {program} --help, then KEY=VALUE overrides",
        )

    parser.error = error
    parsed = parser.parse_args(arguments)
    if parsed.help or parsed.hydra_help:
        return
    if parsed.resolve and parsed.cfg is None:
        error("--resolve shows a configuration: it goes with --cfg or --help-config")
    modes = ("run", "multirun", "cfg", "info", "shell_completion")
    given = [f"--{m.replace('_', '-')}" for m in modes if getattr(parsed, m) not in (None, False)]
    if len(given) > 1:
        error(f"{' and '.join(given)} together: one at a time")


def _written_by(filename: str, written: list[Path]) -> bool:
    """Whether the path is one the command writes, or a temporary beside one, or below one."""
    path = Path(filename).absolute()
    for target in written:
        for place in (path, *path.parents):
            if place == target:
                return True
            if place.parent == target.parent and place.name.startswith(f".{target.name}"):
                return True  # its temporary (`.NAME.tmp-PID`), or in it
    return False


@contextlib.contextmanager
def refusing_unreadable(program: str, written: Iterable[Path] = ()) -> Iterator[None]:
    """Within the block, a path this user may not read is refused in one line, exit 2.

    `experiments.process.interrupts.guarded` words a permission error as a folder the
    command cannot write; for what a command only reads (a sweep folder to merge,
    a package to verify, a dataset to publish) that is wrong. Errors on the paths
    it writes (`written`, the temporaries beside them and what is below them) are
    left to `guarded`.

    Args:
        program: The command's name, for the message.
        written: What the command writes: files or folders.

    Yields:
        Nothing; exits the process on such an error.
    """
    targets = [Path(path).absolute() for path in written]
    try:
        yield
    except OSError as error:
        if (
            error.errno not in (errno.EACCES, errno.EPERM)
            or error.filename is None
            or _written_by(str(error.filename), targets)
        ):
            raise
        refuse(
            program,
            f"cannot read {error.filename}: {error.strerror}; allowed: files and folders "
            "this user can read",
        )
