"""The explorer's engine survives workers killed while idle (issue 26, item 15)."""

import os
import signal
import threading
import time

from experiments.explore.choice import Choice
from experiments.explore.compute import Explorer


def finishes(function, seconds: float) -> dict:
    """Run `function` in a thread; what it returned or raised, if it ended in time."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    outcome["ended"] = not thread.is_alive()
    return outcome


def test_idle_workers_killed_do_not_wedge_the_engine():
    engine = Explorer(workers=2)
    try:
        first = engine.compute(Choice(strategy="uniform", n_seeds=1))
        assert first.sizes["seed"] == 1
        time.sleep(0.5)  # every worker idle, one of them waiting on the task queue's lock
        for process in list(engine._pool._pool):
            os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.5)  # the pool replaces them; the lock stays with the dead
        again = finishes(lambda: engine.compute(Choice(strategy="concentrated", n_seeds=1)), 60)
        assert again["ended"], "the next computation hung"
        assert "error" not in again, again.get("error")
        assert again["value"].sizes["seed"] == 1
    finally:
        closed = finishes(engine.close, 30)
    assert closed["ended"], "close() hung"
