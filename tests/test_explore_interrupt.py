"""Ctrl-C stops `alliance-explore` in one line, exit 130, while it starts or serves (issue 26)."""

import signal
import socket
import subprocess
import time

import pytest

from .conftest import BIN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_explorer(tmp_path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "alliance-explore"), "--host", "127.0.0.1", "--port", str(free_port()),
         "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As in a terminal: a background job (CI) may inherit SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


@pytest.mark.parametrize("when", ["serving", "starting"])
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, when):
    server = start_explorer(tmp_path)
    if when == "serving":
        assert "open http" in server.stdout.readline()
    else:
        time.sleep(0.5)  # importing Solara, starting the workers
    server.send_signal(signal.SIGINT)
    _, stderr = server.communicate(timeout=60)
    assert server.returncode == 130
    assert stderr.strip().splitlines() == [
        "alliance-explore: stopped (Ctrl-C); the server and its workers have ended"
    ]
