"""A sweep refuses bad input in one line, cleans what a killed sweep left, outlives a full disk.

Issue 26: a multirun's bad option value, a bad config file in one arm, stale
temporaries of a killed earlier sweep, and a job that meets a full disk or a
read-only folder while the others go on.
"""

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

import experiments.process.interrupts as interrupts
from experiments.config.schema import CONFIG_DIR, register
from experiments.sweep.execute import Backend, execute, failure_line, tally_lines
from experiments.sweep.plan import Plan, PlanError, plan_sweep

from . import test_refusals
from .conftest import SMALL_OVERRIDES, cli
from .test_interrupts import dead_pid
from .test_refusals import assert_refused
from .test_sweep_worker import spec


def sweep_in(work: Path, *overrides: str) -> subprocess.CompletedProcess:
    return cli(
        "alliance-run", "-m", *overrides, *SMALL_OVERRIDES, "hydra.sweep.dir=sweep", cwd=work
    )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (
            ["fund/strategy=none,nonexistent"],
            ["fund/strategy = nonexistent; allowed: concentrated", "uniform", "(job 1: "],
        ),
        (["scenario=default,nope"], ["scenario = nope; allowed: default, national"]),
        (["seed=abc,1"], ["seed = 'abc'; allowed: an integer", "(job 0: seed=abc "]),
        (["foo=1,2"], ["foo is not a key", "(job 0: foo=1 "]),
        (["fund.budgt_eur=1,2"], ["did you mean fund.budget_eur?"]),
        (["seed=range(0,3)", "scenario=nonexistent"], ["scenario = nonexistent"]),
    ],
)
def test_a_bad_value_in_a_multirun_is_one_line_and_leaves_nothing(tmp_path, overrides, words):
    assert_refused(sweep_in(tmp_path, *overrides), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (["seed=1,1"], ["invalid sweep: jobs 0 and 1 would write the same folder"]),
        # Issue 26 E2: one value written two ways is one job, not two runs of one cell.
        (["fund.budget_eur=2e6,2000000"], ["jobs 0 and 1 run the same configuration"]),
        (["seed=0,1", "hydra.sweep.subdir=same"], ["jobs 0 and 1 would write the same folder"]),
        (["seed=0,1", "hydra.sweep.subdir=../x${seed}"], ["hydra.sweep.subdir = '../x0' is not"]),
        (["seed=0,1", "hydra.sweep.subdir=/tmp/x${seed}"], ["hydra.sweep.subdir = '/tmp/x0'"]),
    ],
)
def test_jobs_that_would_share_a_folder_or_leave_the_sweep_are_refused(tmp_path, overrides, words):
    assert_refused(sweep_in(tmp_path, *overrides), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["/proc/self/x", "a-file", "a-file/sweep"])
def test_a_sweep_folder_that_cannot_be_created_is_refused(tmp_path, folder):
    (tmp_path / "a-file").write_text("not a folder")
    result = cli("alliance-run", "-m", "seed=0,1", *SMALL_OVERRIDES, f"hydra.sweep.dir={folder}",
                 cwd=tmp_path)  # fmt: skip
    assert_refused(result, "hydra.sweep.dir = ", "cannot be created")
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


broken_configs = test_refusals.broken_configs  # the fixture: configs/ with broken fund options


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("emptied", ["configs/fund/emptied.yaml: it is empty", "(job 1: fund=emptied"]),
        ("tab", ["fund/tab.yaml, line 2", "'\\t'", "(job 1: fund=tab"]),
    ],
)
def test_a_bad_config_file_of_one_arm_is_refused_before_any_job_runs(
    broken_configs, tmp_path, option, words
):
    result = sweep_in(tmp_path, f"--config-path={broken_configs}", f"fund=default,{option}")
    assert_refused(result, "invalid config file", *words)
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_removes_the_temporaries_a_killed_earlier_sweep_left(tmp_path):
    sweep = tmp_path / "sweep"
    job = sweep / "seed=0"
    job.mkdir(parents=True)
    pid = dead_pid()
    stale = [job / f".dataset.nc.tmp-{pid}", sweep / f".multirun.yaml.tmp-{pid}"]
    for path in stale:
        path.write_bytes(b"\0" * 100)
    live = job / ".run.log.tmp-1"  # PID 1 always runs: a running process's, kept
    live.write_text("writing")
    plan = planned(sweep, [["seed=0"]])
    assert len(plan.to_run) == 1
    assert not any(path.exists() for path in stale)
    assert live.exists()


def planned(sweep: Path, jobs: list[list[str]], backend: str = "local") -> Plan:
    """`plan_sweep` in this process, as `alliance-run -m` calls it."""
    register()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        master = compose("config", return_hydra_config=True)
        with open_dict(master):
            master.hydra.sweep.dir = str(sweep)
            master.hydra.launcher.backend = backend
        loader = GlobalHydra.instance().config_loader()
        return plan_sweep(jobs, master, lambda o: loader.load_sweep_config(master, o))


def test_a_job_folder_that_is_a_symbolic_link_is_refused_before_any_job_runs(tmp_path):
    """Issue 26 E3: a re-run wrote through the link into the other job's folder."""
    sweep = tmp_path / "sweep"
    other = sweep / "seed=1"
    other.mkdir(parents=True)
    (other / "kept.txt").write_text("the other job's")
    (sweep / "seed=0").symlink_to(other)
    with pytest.raises(PlanError, match=r"seed=0 is a symbolic link .*\(job 0: seed=0\)"):
        planned(sweep, [["seed=0"], ["seed=1"]])
    (sweep / "s1").symlink_to(other)  # the folders the command line's jobs write
    result = sweep_in(tmp_path, "seed=0,1", "hydra.sweep.subdir=s${seed}")
    assert_refused(result, "s1 is a symbolic link", "remove the link")
    assert sorted(p.name for p in other.iterdir()) == ["kept.txt"]
    assert sorted(p.name for p in sweep.iterdir()) == ["s1", "seed=0", "seed=1"]  # no job ran


def test_a_world_too_big_for_this_machine_is_refused_before_any_job_runs(tmp_path, monkeypatch):
    import experiments.config.limits as limits

    monkeypatch.setattr(limits, "available_bytes", lambda: 1e9)
    jobs = [["scenario.n_organisations=1000", "seed=0"], ["scenario.n_organisations=2000000"]]
    with pytest.raises(PlanError, match=r"needs about .* GB of memory.*\(job 1: "):
        planned(tmp_path / "sweep", jobs)
    assert not (tmp_path / "sweep").exists()
    plan = planned(tmp_path / "sweep", jobs, backend="slurm")  # the nodes' memory is not ours
    assert len(plan.to_run) == 2


ROOM_FOR_ONE_SMALL_WORLD = """
    import experiments.config.limits as limits
    limits.available_bytes = lambda: 1.5 * limits.BASE_BYTES
    """


def test_workers_that_would_not_fit_in_memory_together_are_refused_before_any_job_runs(
    tmp_path,
):
    # Issue 26 (b): each of the sweep's workers holds a world; the check assumed one.
    arguments = ["-m", "seed=0,1", "hydra.sweep.dir=sweep"]
    result = patched_run(tmp_path, ROOM_FOR_ONE_SMALL_WORLD, *arguments, "hydra.launcher.n_jobs=2")
    assert_refused(result, "invalid sweep: 2 workers at once", "GB available",
                   "hydra.launcher.n_jobs=1")  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    result = patched_run(tmp_path, ROOM_FOR_ONE_SMALL_WORLD, *arguments, "hydra.launcher.n_jobs=1")
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.rglob("dataset.nc"))) == 2


def test_the_workers_memory_is_that_of_the_largest_worlds_they_may_hold_at_once():
    from experiments.config.limits import BASE_BYTES, check_workers_fit, world_bytes
    from simulation.config import ConfigError, RunConfig, ScenarioConfig

    small, large = RunConfig(), RunConfig(scenario=ScenarioConfig(n_organisations=1_000_000))
    room = world_bytes(large) + world_bytes(small) + BASE_BYTES / 2
    check_workers_fit([large, small, small], workers=2, available=room)
    check_workers_fit([large, large, small], workers=1, available=room)
    check_workers_fit([large, large], workers=2, available=None)  # unknown: not checked
    with pytest.raises(ConfigError, match=r"2 workers at once.*hydra\.launcher\.n_jobs=1 "):
        check_workers_fit([large, large, small], workers=2, available=room)
    with pytest.raises(ConfigError, match=r"3 workers .* allowed: .*: a smaller world"):
        check_workers_fit([large] * 3, workers=4, available=world_bytes(large) / 2)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "no space left on the device"),
        (errno.EROFS, "cannot write: Read-only file system"),
    ],
)
def test_a_full_disk_or_read_only_folder_fails_one_job_and_the_others_go_on(
    tmp_path, monkeypatch, code, reason
):
    import experiments.sweep.jobs as jobs
    import experiments.sweep.runfile as runfile

    write_run, write_text = runfile.write_run_file, jobs.write_text_atomically

    def refuse(path: Path) -> None:
        if path.parent.name == "job1":  # as the disk would: half a temporary, then the error
            (path.parent / f".{path.name}.tmp-{os.getpid()}").write_bytes(b"\0" * 9)
            raise OSError(code, os.strerror(code), str(path))

    def run_file(dataset, path, *args, **kwargs):
        refuse(path)
        return write_run(dataset, path, *args, **kwargs)

    def text_file(path, text):
        refuse(path)
        return write_text(path, text)

    monkeypatch.setattr(runfile, "write_run_file", run_file)
    monkeypatch.setattr(jobs, "write_text_atomically", text_file)
    monkeypatch.setitem(interrupts._deferred, "status", 0)
    jobs_ = [spec(tmp_path, i, seed, "uniform") for i, seed in enumerate((1, 2, 3))]
    plan = Plan(tmp_path, to_run=jobs_)
    tally = execute(plan, Backend("local", n_jobs=1))
    assert tally.done == 2
    assert [(s.index, message) for s, message in tally.failed] == [(1, reason)]
    assert (tmp_path / "job0" / "dataset.nc").exists() and (tmp_path / "job2" / "job.json").exists()
    assert list((tmp_path / "job1").iterdir()) == []  # its temporaries removed, no record
    lines = tally_lines(plan, tally)
    assert "2 done, 1 failed" in lines[0]
    assert lines[1].startswith(f"failed: 1 job: {reason}") and "job1" in lines[1]
    assert len(lines) == 2
    assert interrupts._deferred["status"] == 1  # the command will exit 1


def test_the_failures_of_a_sweep_are_counted_by_reason_in_one_line(tmp_path):
    failed = [(spec(tmp_path, i, 1, "uniform"), "no space left on the device") for i in range(5)]
    failed += [(spec(tmp_path, 9, 1, "uniform"), "RuntimeError: boom\nsecond line")]
    failed += [(spec(tmp_path, 10 + i, 1, "uniform"), f"Error {i}") for i in range(3)]
    line = failure_line(failed)
    assert "\n" not in line
    assert line.startswith("failed: 9 jobs: no space left on the device (5, e.g. ")
    assert "RuntimeError: boom second line (1, e.g. " in line
    assert "2 other reason(s)" in line and "re-run the same command" in line


FAILING_SEED_1 = """
    import errno
    import experiments.sweep.runfile as runfile
    write = runfile.write_run_file

    def full(dataset, path, *args, **kwargs):
        if path.parent.name.endswith("seed=1"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write(dataset, path, *args, **kwargs)

    runfile.write_run_file = full
    """


def test_a_sweep_with_a_failed_job_ends_normally_and_exits_1(tmp_path):
    result = patched_run(tmp_path, FAILING_SEED_1, "-m", "seed=0,1,2", "hydra.launcher.n_jobs=1",
                         "hydra.sweep.dir=sweep")  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Step 1 at time" not in result.stderr  # Mesa's log stays quiet in one process
    lines = result.stdout.strip().splitlines()
    assert "2 done, 1 failed" in lines[-2]
    assert lines[-1].startswith("failed: 1 job: no space left on the device (1, e.g. ")
    records = {p.parent.name[-6:]: json.loads(p.read_text()) for p in tmp_path.rglob("job.json")}
    assert records["seed=0"]["status"] == records["seed=2"]["status"] == "done"
    assert records["seed=1"]["status"] == "failed"


@pytest.mark.parametrize(
    "choices",
    [
        ["hydra/sweeper=basic", "hydra.launcher.n_jobs=1"],
        ["hydra/sweeper=basic", "hydra/launcher=basic"],
        ["hydra/launcher=basic"],
    ],
)
def test_a_failed_job_makes_the_sweep_exit_1_whichever_sweeper_and_launcher(tmp_path, choices):
    # Issue 26 (a): under Hydra's basic sweeper a failed job exited 0 (basic launcher)
    # or was called an invalid config, exit 2 (the project's launcher).
    result = patched_run(tmp_path, FAILING_SEED_1, "-m", "seed=0,1", "hydra.sweep.dir=sweep",
                         *choices)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "invalid config" not in result.stderr
    output = result.stdout + result.stderr
    assert "1 failed" in output or "1 of 2 jobs failed" in output
    records = {p.parent.name[-6:]: json.loads(p.read_text()) for p in tmp_path.rglob("job.json")}
    assert records["seed=0"]["status"] == "done"
    assert records["seed=1"]["status"] == "failed"


def test_the_basic_sweeper_reports_jobs_another_process_returned_as_failed(monkeypatch, capsys):
    # What joblib, submitit or Ray hand back for a job whose run failed in their process.
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.utils import JobReturn, JobStatus

    from hydra_plugins.alliance_sweeps.sweeps import reporting_basic_sweeps

    def job(value: str) -> JobReturn:
        return JobReturn(overrides=[f"seed={value}"], status=JobStatus.COMPLETED,
                         _return_value=value)  # fmt: skip

    monkeypatch.setattr(
        BasicSweeper, "sweep", lambda self, arguments: [[job("done")], [job("failed")]]
    )
    monkeypatch.setattr(interrupts, "_deferred", {"status": 0})
    sweeper = BasicSweeper(max_batch_size=None, params=None)
    sweeper.launcher = None
    with reporting_basic_sweeps():
        sweeper.sweep([])
    assert interrupts._deferred["status"] == 1
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith(
        "alliance-run: 1 of 2 jobs failed (the first: seed=failed"
    )
    assert BasicSweeper.sweep(sweeper, []) == [[job("done")], [job("failed")]]  # restored


def patched_run(folder: Path, patch: str, *arguments: str) -> subprocess.CompletedProcess:
    """`alliance-run ARGUMENTS` in the small world, after `patch` (Python) in the same process."""
    script = textwrap.dedent(patch) + textwrap.dedent(
        f"""
        import sys
        from experiments.cli.console import alliance_run
        sys.argv = ["alliance-run", *{list(arguments)!r}, *{SMALL_OVERRIDES!r}]
        alliance_run()
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=300
    )


def test_a_full_disk_under_a_single_run_is_one_line_and_leaves_no_folder(tmp_path):
    patch = """
        import experiments.storage.files as files

        def full(dataset, path):
            raise RuntimeError("NetCDF: HDF error")

        files.write_netcdf_atomically = full
        """
    result = patched_run(tmp_path, patch, "hydra.run.dir=outputs/new/run")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "a full disk or a damaged file" in lines[0], lines
    assert list(tmp_path.iterdir()) == []  # nor the run folder, nor its new parents


def test_a_sweep_folder_that_cannot_be_written_is_one_line(tmp_path):
    patch = """
        import errno
        from omegaconf import OmegaConf
        save = OmegaConf.save

        def read_only(config, path, *args, **kwargs):
            if str(path).endswith("multirun.yaml"):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return save(config, path, *args, **kwargs)

        OmegaConf.save = read_only
        """
    result = patched_run(tmp_path, patch, "-m", "seed=0,1", "hydra.sweep.dir=sweep")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and "Read-only" in lines[0], lines
