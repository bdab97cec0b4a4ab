"""Every bad input is one line, exit 2, and leaves nothing behind (issue 26).

`alliance-run`'s configurations first; then the command lines of the argparse
tools (`alliance-collect`, `alliance-verify`, `alliance-publish`).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf, open_dict

from experiments.config.refusal import is_config_error, refusal
from experiments.config.schema import CONFIG_DIR, check_folder_name, register
from simulation.config import ConfigError

from .conftest import SMALL_OVERRIDES, cli

RUN = str(Path(sys.executable).parent / "alliance-run")


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RUN, *args, *SMALL_OVERRIDES], cwd=folder, capture_output=True, text=True, timeout=120
    )


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("alliance-run: invalid"), lines[0]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("fund/strategy=nonexistent", ["fund/strategy = nonexistent", "allowed:", "uniform"]),
        ("scenario=nope", ["scenario = nope", "national"]),
        ("calibrated=nope", ["calibrated = nope", "posterior"]),
        ("accounting=nope", ["accounting = nope", "green_book"]),
        ("foo=bar", ["foo is not a key"]),
        ("fund.budgt_eur=3", ["did you mean fund.budget_eur?"]),
        ("seed=abc", ["seed = 'abc'", "allowed: an integer"]),
        ("seed=nan", ["seed = nan", "allowed: an integer"]),
        ("seed=", ["seed = ''", "allowed: an integer"]),
        ("fund.budget_eur=null", ["fund.budget_eur = null", "not null"]),
        ("fund.placebo=maybe", ["fund.placebo", "true or false"]),
        ("~seed", ["~seed", "cannot be deleted"]),
        ("~fund", ["~fund", "cannot be deleted"]),
        ("seed=${oc.env:HOME}", ["seed = ${oc.env:HOME}", "allowed: an integer"]),
        ("seed=${oc.decode:'1 2'}", ["seed = ${oc.decode:", "allowed: an integer"]),
        ("é=1", ["invalid override 'é=1'"]),
        ("seed=[1", ["invalid override 'seed=[1'"]),
        ("scenario.name=", ["scenario.name = ''", "allowed: 1 to 100 letters"]),
        ("scenario.name=../../../x", ["scenario.name = '../../../x'"]),
        ("fund.strategy.name=a/b/c", ["fund.strategy.name = 'a/b/c'"]),
        ("hydra.run.dir=/proc/self/x", ["hydra.run.dir = /proc/self/x cannot be created"]),
    ],
)
def test_a_bad_override_is_one_line_and_leaves_nothing(tmp_path, override, words):
    work = tmp_path / "work"
    work.mkdir()
    assert_refused(run_in(work, override), *words)
    assert list(work.iterdir()) == []
    assert list(tmp_path.iterdir()) == [work]


def test_a_run_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    assert_refused(run_in(tmp_path, "hydra.run.dir=taken"), "hydra.run.dir", "cannot be created")
    assert_refused(run_in(tmp_path, "hydra.run.dir=taken/sub"), "cannot be created")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_second_run_never_replaces_the_first_ones_dataset(tmp_path):
    first = run_in(tmp_path, "hydra.run.dir=.")
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "dataset.nc").read_bytes()
    hydra_before = (tmp_path / ".hydra" / "overrides.yaml").read_text()
    assert_refused(run_in(tmp_path, "seed=1", "hydra.run.dir=."), "already holds", "dataset.nc")
    assert (tmp_path / "dataset.nc").read_bytes() == before
    assert (tmp_path / ".hydra" / "overrides.yaml").read_text() == hydra_before


@pytest.fixture(scope="module")
def broken_configs(tmp_path_factory) -> Path:
    """A copy of `configs/` with broken fund options (and an empty one) beside the real ones."""
    root = tmp_path_factory.mktemp("configs") / "configs"
    shutil.copytree(CONFIG_DIR, root)
    (root / "fund" / "tab.yaml").write_text("budget_eur: 1.0\n\tyears: 3\n")
    (root / "fund" / "abc.yaml").write_text("a: b: c\n")
    (root / "fund" / "dup.yaml").write_text("years: 3\nyears: 4\n")
    (root / "fund" / "emptied.yaml").write_text("")
    return root


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("tab", ["fund/tab.yaml, line 2", "'\\t'"]),
        ("abc", ["fund/abc.yaml, line 1", "mapping values"]),
        ("dup", ["fund/dup.yaml, line 2", "duplicate key years"]),
    ],
)
def test_a_yaml_error_in_a_config_file_names_the_file(broken_configs, tmp_path, option, words):
    result = run_in(tmp_path, f"--config-path={broken_configs}", f"fund={option}")
    assert_refused(result, "invalid config file", *words)
    assert list(tmp_path.iterdir()) == []


def test_an_emptied_config_file_is_refused(broken_configs, tmp_path):
    emptied = broken_configs.parent / "emptied"
    shutil.copytree(broken_configs, emptied)
    (emptied / "fund" / "default.yaml").write_text("")
    result = run_in(tmp_path, f"--config-path={emptied}")
    assert_refused(result, "emptied/fund/default.yaml: it is empty")
    assert list(tmp_path.iterdir()) == []


# --- Property-based: names and overrides ---

NAMES = st.lists(st.sampled_from([*"aZ09._-/\\~ $*:", "..", "\x00", "é", "\n"]), max_size=12).map(
    "".join
)


@settings(max_examples=300)
@given(NAMES)
def test_an_accepted_name_is_one_folder_inside_the_output_root(name):
    root = Path("/srv/outputs")
    try:
        check_folder_name("scenario.name", name)
    except ConfigError as error:
        assert "\n" not in str(error) and "allowed:" in str(error)
        return
    assert (root / name).resolve().parent == root
    assert name not in (".", "..")


KEYS = st.sampled_from(
    [
        "seed",
        "fund.budget_eur",
        "fund.placebo",
        "scenario.name",
        "scenario.n_territories",
        "fund/strategy",
        "scenario",
        "fund.budgt_eur",
        "model.production.frugality_gian",
        "zz",
    ]
)
VALUES = st.sampled_from(
    [
        "abc",
        "nan",
        "null",
        "",
        "[1",
        "${oc.env:HOME}",
        "1e400",
        "-1",
        "{a: 1}",
        "[1,2]",
        "nonexistent",
        "'x'",
        "true",
    ]
)


@settings(max_examples=40, deadline=None)
@given(KEYS, VALUES)
def test_any_refused_override_is_one_line_naming_the_key(key, value):
    register("config")
    override = f"{key}={value}"
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="config", overrides=[override])
        from experiments.config.schema import JobConfig, to_config

        to_config(cfg, JobConfig)
    except Exception as error:
        assert is_config_error(error), error
        line = refusal(error, overrides=[override])
        assert "\n" not in line and line.startswith("invalid")
        assert key.split(".")[-1] in line or key in line or override in line, line
    else:
        assert OmegaConf.select(cfg, key.replace("/", ".")) is not None or "/" in key


@pytest.fixture(scope="module")
def scratch_configs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scratch") / "configs"
    shutil.copytree(CONFIG_DIR, root)
    return root


# Lines a hand-edited fund option could hold: valid, misspelt, mis-indented, mistyped.
FUND_LINES = st.sampled_from(
    ["budget_eur: 2e6", "years: 3", "years: 4", "\tyears: 3", "a: b: c", "ticket_eur: x",
     "  placebo: true", "placebo: maybe", "- 1", "budget_eur:", "{", "defaults: [strategy: none]",
     "strategy: {name: ../x}", "# a comment", "", "grant_steps: 1e400", "key: 'unterminated"]
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(FUND_LINES, max_size=5))
def test_any_config_file_is_run_or_refused_in_one_line(scratch_configs, lines):
    from experiments.config.run_checks import check_config_files
    from experiments.config.schema import JobConfig, to_config

    register("config")
    (scratch_configs / "fund" / "drawn.yaml").write_text("\n".join(lines) + "\n")
    try:
        with initialize_config_dir(config_dir=str(scratch_configs), version_base="1.3"):
            cfg = compose(config_name="config", overrides=["fund=drawn"], return_hydra_config=True)
        check_config_files(cfg)
        with open_dict(cfg):
            del cfg["hydra"]
        to_config(cfg, JobConfig)
    except Exception as error:
        assert is_config_error(error), repr(error)
        line = refusal(error, root=scratch_configs)
        assert "\n" not in line and line.startswith("invalid"), line


# --- A bad command line (argparse's errors, Hydra's flags), an unreadable folder ---


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["alliance-collect"], "the following arguments are required: SWEEP_DIR"),
        (["alliance-collect", ".", "--bogus"], "unrecognized arguments: --bogus"),
        (["alliance-collect", ".", "--workers", "0"], "'0'; allowed: an integer >= 1, or -1"),
        (["alliance-collect", ".", "--workers", "two"], "'two'; allowed: an integer >= 1"),
        (["alliance-verify"], "the following arguments are required: FOLDER"),
        (["alliance-verify", ".", "--max-runs", "0"], "'0'; allowed: an integer >= 1"),
        (["alliance-verify", ".", "--rerun=yes"], "ignored explicit argument 'yes'"),
        (["alliance-publish", "a.nc"], "the following arguments are required: OUT_DIR"),
        (["alliance-publish", "a.nc", "b", "--title", "x"], "unrecognized arguments: --title"),
        (["alliance-run", "seed=1", "-m", "seed=2"], "unrecognized arguments: seed=2"),
        (["alliance-run", "--bogus"], "unrecognized arguments: --bogus"),
        (["alliance-run", "-m", "--cfg", "job"], "--multirun and --cfg together"),
        (["alliance-calibrate", "--info", "everything"], "invalid choice: 'everything'"),
    ],
)
def test_a_bad_command_line_is_one_line(tmp_path, command, words):
    result = cli(*command, cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{command[0]}: ") and words in lines[0], lines[0]
    assert "; allowed: " in lines[0] and "usage:" not in result.stderr
    assert not list(tmp_path.iterdir())


UNREADABLE = Path("/proc/1/map_files")  # unreadable without CAP_SYS_ADMIN, even by root


def unreadable() -> bool:
    try:
        list(UNREADABLE.iterdir())
    except PermissionError:
        return True
    except OSError:
        return False
    return False


@pytest.mark.skipif(not unreadable(), reason=f"{UNREADABLE} is readable here")
def test_a_folder_collect_cannot_read_is_not_called_unwritable(tmp_path):
    result = cli(
        "alliance-collect", str(UNREADABLE), "--output", str(tmp_path / "x.nc"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"alliance-collect: cannot read {UNREADABLE}: Permission denied; allowed: files and "
        "folders this user can read"
    )
    assert not list(tmp_path.iterdir())


def test_a_bad_kernel_in_the_environment_is_one_line_and_leaves_nothing(tmp_path):
    # simulation.kernel reads ALLIANCE_KERNEL when a world is made; the tools check it first.
    import os

    environment = {**os.environ, "ALLIANCE_KERNEL": "fortran"}
    for tool, args in (("alliance-run", SMALL_OVERRIDES), ("alliance-collect", ["x"])):
        result = subprocess.run(
            [str(Path(sys.executable).parent / tool), *args],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == (
            f"{tool}: ALLIANCE_KERNEL='fortran' is not a kernel; "
            "allowed values: auto, numpy, compiled"
        )
    assert list(tmp_path.iterdir()) == []


def test_the_coverage_check_refuses_a_bad_override_in_one_line(tmp_path):
    """A research command that takes overrides refuses them as the console scripts do."""
    result = subprocess.run(
        [sys.executable, "-m", "experiments.calibrating.coverage", "calibration.workers=two"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("python -m experiments.calibrating.coverage: invalid config")
    assert "calibration.workers" in lines[0] and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())
