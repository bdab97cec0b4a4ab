"""Ctrl-C, a full disk, a read-only folder: one line, the right exit status, no temporaries."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from experiments.storage.cleanup import alive, folders_named_by, remove_stale

from .conftest import BIN


def guarded_script(folder: Path, body: str) -> subprocess.CompletedProcess:
    """Run `body` inside `guarded("prog", [folder])` in a fresh interpreter."""
    script = textwrap.dedent(
        """
        import errno, os, signal, sys, threading, time
        from pathlib import Path
        import experiments.process.interrupts as interrupts
        interrupts.GRACE = 0.5
        folder = Path(sys.argv[1])
        temporary = folder / f".collected.nc.tmp-{os.getpid()}"
        temporary.write_text("half")
        with interrupts.guarded("prog", [str(folder)]):
        """
    ) + textwrap.indent(textwrap.dedent(body), "    ")
    return subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_ctrl_c_is_one_line_exit_130_and_removes_the_temporary(tmp_path):
    result = guarded_script(tmp_path, "os.kill(os.getpid(), signal.SIGINT); time.sleep(5)")
    assert result.returncode == 130
    assert one_line(result).startswith("prog: interrupted;")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_ends_a_program_deadlocked_on_a_lock_its_caller_held(tmp_path):
    # netCDF's CombinedLock: the interrupted write held it, closing the file waits on it.
    body = """
    lock = threading.Lock()
    lock.acquire()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    finally:
        lock.acquire()
    """
    started = time.monotonic()
    result = guarded_script(tmp_path, body)
    assert time.monotonic() - started < 10
    assert result.returncode == 130
    assert one_line(result).startswith("prog: interrupted;")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("ENOSPC", 1, "no space left on the device (/data/out.nc)"),
        ("EROFS", 2, "cannot write (/data/out.nc): Read-only file system"),
        ("EACCES", 2, "cannot write (/data/out.nc): Permission denied"),
    ],
)
def test_a_full_disk_or_a_read_only_folder_is_one_line(tmp_path, code, status, words):
    body = f"raise OSError(errno.{code}, os.strerror(errno.{code}), '/data/out.nc')"
    result = guarded_script(tmp_path, body)
    assert result.returncode == status
    assert words in one_line(result)
    assert list(tmp_path.iterdir()) == []


def dead_pid() -> int:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(finished.stdout)
    assert not alive(pid)
    return pid


def test_temporaries_of_killed_runs_are_removed_by_a_later_command(tmp_path):
    pid = dead_pid()
    stale_file = tmp_path / f".collected.nc.tmp-{pid}"
    stale_file.write_bytes(b"\0" * 1000)
    stale_folder = tmp_path / f".pub.tmp-{pid}"
    (stale_folder / "data").mkdir(parents=True)
    live = tmp_path / f".other.nc.tmp-{os.getpid()}"  # a running process's: kept
    live.write_text("writing")
    result = subprocess.run(
        [str(BIN / "alliance-verify"), str(tmp_path / "no-package")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2  # no such folder
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]


def test_stale_temporaries_below_a_sweep_folder(tmp_path):
    pid = dead_pid()
    job = tmp_path / "seed=1"
    job.mkdir()
    for name in (".error.txt", ".run.log"):
        (job / f"{name}.tmp-{pid}").write_text("x")
    (job / "run.log").write_text("kept")
    assert len(remove_stale([tmp_path], recursive=True)) == 2
    assert [p.name for p in job.iterdir()] == ["run.log"]


def test_the_folders_a_command_line_names(tmp_path):
    (tmp_path / "sweep").mkdir()
    arguments = [
        str(tmp_path / "sweep"),
        str(tmp_path / "new"),
        "--rerun",
        "title=x",
        f"hydra.run.dir={tmp_path}/sweep",
    ]
    assert folders_named_by(arguments) == [tmp_path / "sweep", tmp_path]


def test_collect_removes_stale_temporaries_below_the_sweep_folder(tmp_path):
    pid = dead_pid()
    job = tmp_path / "sweep" / "seed=1"
    job.mkdir(parents=True)
    (job / f".error.txt.tmp-{pid}").write_text("x")
    (tmp_path / "sweep" / f".collected.nc.tmp-{pid}").write_bytes(b"\0" * 1000)
    subprocess.run(
        [str(BIN / "alliance-collect"), str(tmp_path / "sweep")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert list(job.iterdir()) == []
    assert not list((tmp_path / "sweep").glob(".*.tmp-*"))


@pytest.fixture
def small_disk(tmp_path):
    """A 200 kB tmpfs (skipped where mounting is not allowed), and a read-only one."""
    full, read_only = tmp_path / "full", tmp_path / "read-only"
    full.mkdir()
    read_only.mkdir()
    mounted = []
    for folder, options in ((full, "size=200k"), (read_only, "size=1m,ro")):
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)")
        mounted.append(folder)
    yield full, read_only
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_and_a_read_only_folder_on_real_file_systems(small_disk, tmp_path):
    full, read_only = small_disk
    dataset = tmp_path / "run" / "dataset.nc"
    overrides = ["scenario.n_territories=10", "scenario.n_organisations=800", "scenario.years=4",
                 "fund.years=2", "accounting.rmst_horizon_years=3"]  # fmt: skip
    run = subprocess.run(
        [str(BIN / "alliance-run"), *overrides, f"hydra.run.dir={dataset.parent}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    metadata = ["title=T", "creators=[{given_names: A, family_names: L}]"]
    for target, status, words in (
        (full / "package", 1, ("no space left on the device", "a full disk")),
        (read_only / "package", 2, ("Read-only file system",)),
    ):
        result = subprocess.run(
            [str(BIN / "alliance-publish"), str(dataset), str(target), *metadata],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == status
        line = one_line(result)
        assert any(w in line for w in words), line
        assert list(target.parent.iterdir()) == []
    result = subprocess.run(
        [str(BIN / "alliance-run"), *overrides, f"hydra.run.dir={read_only}/run"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "Read-only file system" in one_line(result)


FAKE_CHROMIUM = """#!/bin/sh
# A browser as Chromium behaves: helper processes, files written into its profile.
for argument in "$@"; do
    case $argument in --user-data-dir=*) profile=${argument#--user-data-dir=};; esac
done
mkdir -p "$profile/Default"
sleep 1000 &  # a renderer (a background job of sh ignores SIGINT, as helpers outlive it)
echo $! >> "$PIDS"
echo $$ >> "$PIDS"
while true; do touch "$profile/Default/f$$"; sleep 0.01; done
"""


def finished(pid: int) -> bool:
    """Gone, or a zombie (nothing left running)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_ctrl_c_during_the_pdf_ends_the_browser_and_removes_its_profile(tmp_path):
    """Issue 26, case 11: a traceback, a /tmp/alliance-pdf-* folder and browsers left running."""
    bin_dir, temporary, pids = tmp_path / "bin", tmp_path / "tmp", tmp_path / "pids"
    bin_dir.mkdir(), temporary.mkdir()
    (bin_dir / "chromium").write_text(FAKE_CHROMIUM)
    (bin_dir / "chromium").chmod(0o755)
    (tmp_path / "report.html").write_text("<html><body>report</body></html>")
    script = (
        "from pathlib import Path; import experiments.process.interrupts as interrupts; "
        "from experiments.reports.html import write_pdf\n"
        "with interrupts.guarded('alliance-report', []):\n"
        "    write_pdf(Path('report.html'), Path('report.pdf'))"
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(temporary)}
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**env, "PIDS": str(pids)},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's process group: Ctrl-C reaches every member
    )
    deadline = time.monotonic() + 60
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)  # the browser is writing its profile
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alliance-report: interrupted;"), stderr
    assert list(temporary.iterdir()) == []  # no alliance-pdf-* profile left
    browsers = [int(pid) for pid in pids.read_text().split()]
    deadline = time.monotonic() + 5
    while not all(finished(pid) for pid in browsers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(finished(pid) for pid in browsers), browsers


def test_ctrl_c_inside_a_weakref_callback_is_not_lost(tmp_path):
    # Python prints an exception raised in a weak-reference callback ("Exception
    # ignored") and carries on; the import system's module locks use such callbacks,
    # so a Ctrl-C during imports can land there. It must still end the program in one
    # line, at once, not after the grace period.
    body = """
    import weakref

    class Thing:
        pass

    def callback(reference):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10**6):  # the handler runs here, inside the callback
            pass

    interrupts.GRACE = 30.0
    thing = Thing()
    reference = weakref.ref(thing, callback)
    del thing
    time.sleep(20)
    """
    started = time.monotonic()
    result = guarded_script(tmp_path, body)
    assert result.returncode == 130
    assert one_line(result).startswith("prog: interrupted;")
    assert time.monotonic() - started < 15  # not the watchdog's 30 s
    assert list(tmp_path.iterdir()) == []
