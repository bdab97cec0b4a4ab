"""experiments.process.forked: the helper that imports the model while `alliance-run` composes."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import BIN, SMALL_OVERRIDES

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

HELPER = """
import os, sys, time
from pathlib import Path
from experiments.process import forked
folder = Path(sys.argv[1])

def slow(seconds):
    temporary = folder / f".dataset.nc.tmp-{os.getpid()}"
    temporary.write_text("half")
    try:
        time.sleep(seconds)
    finally:
        temporary.unlink()
    return os.getpid()

def fails():
    raise ValueError("no such strategy")

forked.fork_helper("json")  # after the functions it calls: it runs this script no further
"""


def helper_script(tmp_path: Path, body: str, **options) -> subprocess.Popen:
    script = textwrap.dedent(HELPER) + textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def test_the_call_runs_in_the_helper_and_its_result_comes_back(tmp_path):
    body = """
    helper = forked.take()
    pid = helper.call("__main__:slow", 0.0)
    print(pid != os.getpid(), forked.take() is None, "json" in sys.modules)
    """
    out, err = helper_script(tmp_path, body).communicate(timeout=60)
    assert out.split() == ["True", "True", "False"], err  # the helper imported json, not us


def test_the_calls_exception_is_raised_with_the_helpers_traceback(tmp_path):
    body = """
    try:
        forked.take().call("__main__:fails")
    except ValueError as error:
        print(str(error), "|", "helper process" in "".join(error.__notes__))
    """
    out, err = helper_script(tmp_path, body).communicate(timeout=60)
    assert out.strip() == "no such strategy | True", err


def test_a_helper_never_called_ends_with_the_command(tmp_path):
    body = """
    print(forked.take().pid, flush=True)
    """
    process = helper_script(tmp_path, body)
    out, _ = process.communicate(timeout=60)
    pid = int(out)
    time.sleep(0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ctrl_c_stops_the_helper_which_removes_its_temporary(tmp_path):
    body = """
    helper = forked.take()
    print(helper.pid, flush=True)
    try:
        helper.call("__main__:slow", 30.0)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    """
    process = helper_script(tmp_path, body)
    pid = int(process.stdout.readline())
    deadline = time.monotonic() + 30
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.iterdir()), "the helper never started its call"
    process.send_signal(signal.SIGINT)  # the command alone: it forwards the signal
    out, err = process.communicate(timeout=30)
    assert out.strip() == "interrupted" and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_alliance_run_leaves_the_model_to_its_helper(tmp_path):
    # The console script as installed, with a probe of what the command imported.
    script = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted({'xarray', 'pandas', 'mesa.model', 'tqdm'} & "
        "set(sys.modules)), file=sys.stderr))\n"
        "import experiments.process.forked as forked\n"
        "forked.spare_core = lambda: True  # a busy machine runs alone: not under test here\n"
        f"sys.argv = ['alliance-run', *{SMALL_OVERRIDES!r}, 'hydra.run.dir={tmp_path}/run']\n"
        "from experiments.cli.console import alliance_run\n"
        "alliance_run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"  # nor tqdm: experiments.cli.single
    assert "In short:" in done.stdout and (tmp_path / "run" / "dataset.nc").exists()


def test_alliance_run_with_an_option_runs_alone(tmp_path):
    command = [str(BIN / "alliance-run"), "--cfg", "job", *SMALL_OVERRIDES]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and "scenario:" in done.stdout, done.stderr


def test_a_helper_only_beside_a_free_core(monkeypatch):
    from experiments.process import forked

    monkeypatch.setattr(forked.os, "sched_getaffinity", lambda pid: {0, 1})
    for load, spare in ((0.2, True), (1.4, True), (1.5, False), (3.5, False)):
        monkeypatch.setattr(forked.os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert forked.spare_core() is spare
    monkeypatch.setattr(forked.os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(forked.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert forked.spare_core() is False
