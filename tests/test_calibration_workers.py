"""A calibration's worker processes do not outlive a killed `alliance-calibrate`."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# An evaluator with two workers, as `alliance-calibrate` makes one (with its worker
# set-up, experiments.process.startup.calibration_worker_setup); prints their
# process ids once they have worked, then waits to be killed.
EVALUATOR = """
import json, time
import numpy as np
from calibration.evaluation import Checkpoint, Evaluator, fingerprint
from experiments.process.startup import calibration_worker_setup
from tests.conftest import small_config

paths = ["model.production.frugality_gain"]
checkpoint = Checkpoint(None, fingerprint(paths))
evaluator = Evaluator(small_config(), paths, 2.0, checkpoint, 2, calibration_worker_setup)
with evaluator:
    evaluator.moments(np.array([[1.0], [2.0]]), seeds=[1])
    print(json.dumps(sorted(evaluator._pool._processes)), flush=True)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_end_when_the_calibration_is_killed():
    with subprocess.Popen(
        [sys.executable, "-c", EVALUATOR], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as process:
        workers = json.loads(process.stdout.readline())
        assert len(workers) >= 1 and all(alive(pid) for pid in workers)
        process.send_signal(signal.SIGKILL)  # no handler, no `finally`: as the OOM killer
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in workers if alive(pid)]
        for pid in left:  # today's orphans, so that a failing test leaves none
            os.kill(pid, signal.SIGKILL)
        assert not left, f"workers outlived the killed calibration: {left}"
