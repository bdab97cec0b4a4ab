"""Tests for experiments.startup: imports with the collector paused, pool workers' set-up."""

import gc
import multiprocessing

from experiments.startup import imported_quickly

from .conftest import python_output


def test_the_collector_is_paused_while_importing_and_left_as_it_was(monkeypatch, tmp_path):
    handlers = []
    monkeypatch.setattr("atexit.register", handlers.append)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        for enabled in (True, False):
            probe = f"probe_{enabled}"  # a module never imported before
            (tmp_path / f"{probe}.py").write_text("import gc\nCOLLECTING = gc.isenabled()\n")
            (gc.enable if enabled else gc.disable)()
            assert imported_quickly(probe, "COLLECTING") is False
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
    assert handlers == [gc.freeze, gc.freeze]


def test_startup_itself_imports_nothing_heavy():
    # A spawned worker unpickles `init_worker` before it runs: that must not
    # import the model with the collector running.
    script = (
        "import sys, experiments.startup\n"
        "print(sorted({'mesa', 'xarray', 'numpy'} & set(sys.modules)))"
    )
    assert python_output(script).strip() == "[]"


def _state() -> tuple[bool, int, bool]:
    import signal

    return gc.isenabled(), gc.get_freeze_count(), signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_a_worker_imports_its_modules_frozen_and_ignores_ctrl_c():
    from experiments.startup import init_worker

    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=init_worker, initargs=("simulation.run",)) as pool:
        enabled, frozen, ignores_interrupt = pool.apply(_state)
    assert enabled and frozen > 100_000 and ignores_interrupt
