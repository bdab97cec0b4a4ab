"""experiments.process.commandline: one-line refusals, `--version`, short help, unreadable paths."""

import argparse
import errno
import re
from pathlib import Path

import pytest

from experiments.config.limits import ALLOW_LARGE_SWEEP, LARGE_SWEEP
from experiments.process import commandline as cli
from simulation import __version__


def parser() -> cli.Parser:
    made = cli.Parser("alliance-tool", "Does a thing.", ["alliance-tool x"], ["README.md"])
    made.add_argument("folder", type=Path, metavar="FOLDER")
    made.add_argument("--workers", type=cli.processes, default=-1, metavar="N")
    return made


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ([], "the following arguments are required: FOLDER; allowed: alliance-tool [-h]"),
        (["a", "--bogus"], "unrecognized arguments: --bogus; allowed: alliance-tool [-h]"),
        (["a", "--workers", "0"], "--workers: invalid value '0'; allowed: an integer >= 1, or -1"),
        (["a", "--workers", "x"], "invalid value 'x'; allowed: an integer >= 1, or -1"),
        (["a", "--workers"], "expected one argument; allowed: alliance-tool"),
    ],
)
def test_a_bad_command_line_is_one_refusal_line(capsys, arguments, words):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(arguments)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, lines
    assert lines[0].startswith("alliance-tool: ") and words in lines[0]
    assert lines[0].count("; allowed: ") == 1


def test_the_usage_in_a_refusal_is_one_line_however_long(capsys):
    long = parser()
    for number in range(12):
        long.add_argument(f"--option-number-{number}", metavar="VALUE")
    assert len(long.format_usage().splitlines()) > 1  # argparse wraps it
    with pytest.raises(SystemExit):
        long.parse_args([])
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_version_help_examples_and_docs(capsys):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"alliance-tool (alliance-premium) {__version__}"
    text = parser().format_help()
    assert "examples:\n  alliance-tool x" in text and "README.md" in text


@pytest.mark.parametrize(("text", "value"), [("-1", -1), ("1", 1), (" 8 ", 8)])
def test_processes_accepts_a_count_or_one_per_core(text, value):
    assert cli.processes(text) == value


@pytest.mark.parametrize("text", ["0", "-2", "1.5", "all", ""])
def test_processes_refuses_what_would_silently_mean_something_else(text):
    with pytest.raises(argparse.ArgumentTypeError, match="allowed: an integer >= 1, or -1"):
        cli.processes(text)


def test_the_hydra_tools_short_help_names_their_options_and_examples():
    run = cli.run_help()
    assert run.startswith("usage: alliance-run") and len(run.splitlines()) < 45
    for words in ("uniform", "national", cli.HELP_CONFIG, "examples:", "docs/configuration.md"):
        assert words in run, words
    assert ALLOW_LARGE_SWEEP in run and f"{LARGE_SWEEP:,}" in run
    calibrate = cli.calibrate_help()
    assert calibrate.startswith("usage: alliance-calibrate") and len(calibrate.splitlines()) < 45
    assert "calibration.maxiter" in calibrate and cli.HELP_CONFIG in calibrate
    assert max(len(line) for line in (run + "\n" + calibrate).splitlines()) <= 100


def test_help_config_becomes_hydras_help_with_the_projects_template(capsys):
    assert cli.hydra_command_line("alliance-run", ["seed=3"]) == ["seed=3"]
    translated = cli.hydra_command_line("alliance-run", ["--help-config", "seed=3"])
    assert translated == ["--help", cli.CONFIG_HELP_OVERRIDE, "seed=3"]
    group, option = cli.CONFIG_HELP_OVERRIDE.split("=")
    assert (cli.CONFIGS / group / f"{option}.yaml").is_file()
    for flag, words in (("--help", "usage: alliance-run"), ("--version", __version__)):
        with pytest.raises(SystemExit) as exited:
            cli.hydra_command_line("alliance-run", ["seed=3", flag])
        assert exited.value.code == 0 and words in capsys.readouterr().out


def fail_with(code: int, filename: str):
    def failing() -> None:
        raise OSError(code, "Permission denied", filename)

    return failing


def test_a_path_it_cannot_read_is_refused_as_such(capsys, tmp_path):
    with pytest.raises(SystemExit) as exited, cli.refusing_unreadable("alliance-tool"):
        fail_with(errno.EACCES, "/proc/1/map_files")()
    assert exited.value.code == 2
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(
        r"alliance-tool: cannot read /proc/1/map_files: Permission denied; allowed: .*", line
    )


@pytest.mark.parametrize(
    "name", ["out.nc", ".out.nc.tmp-123", "package/data/x.nc", ".package.tmp-9/README.md"]
)
def test_a_path_it_writes_is_left_to_the_write_refusal(tmp_path, name):
    written = [tmp_path / "out.nc", tmp_path / "package"]
    with pytest.raises(OSError), cli.refusing_unreadable("alliance-tool", written):
        fail_with(errno.EACCES, str(tmp_path / name))()


def test_other_errors_pass_through(tmp_path):
    with pytest.raises(OSError), cli.refusing_unreadable("alliance-tool"):
        fail_with(errno.ENOSPC, str(tmp_path / "x"))()
