"""experiments.process.startup: imports with the collector paused, pool workers' set-up."""

import gc
import json
import multiprocessing
import subprocess
import sys

from experiments.process.startup import imported_quickly

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
        "import sys, experiments.process.startup\n"
        "print(sorted({'mesa', 'xarray', 'numpy'} & set(sys.modules)))"
    )
    assert python_output(script).strip() == "[]"


def _state() -> tuple[bool, int, bool]:
    import signal

    return gc.isenabled(), gc.get_freeze_count(), signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_a_worker_imports_its_modules_frozen_and_ignores_ctrl_c():
    from experiments.process.startup import init_worker

    context = multiprocessing.get_context("spawn")
    modules = ("simulation.model", "simulation.run", "xarray")  # what a run imports, on use
    with context.Pool(1, initializer=init_worker, initargs=modules) as pool:
        enabled, frozen, ignores_interrupt = pool.apply(_state)
    assert enabled and frozen > 100_000 and ignores_interrupt


# Imported by Mesa's package `__init__` and by none of the modules the model uses.
MESA_REST = [
    "mesa.discrete_space",
    "mesa.space",
    "mesa.experimental.continuous_space",
    "mesa.batchrunner",
]
SPACES = [*MESA_REST, "networkx", "scipy.spatial"]
DATA = ["xarray", "pandas"]


def loaded_after(script: str, names: list[str]) -> list[str]:
    """Which of `names` a fresh interpreter has imported after `script` (warnings are errors)."""
    probe = f"{script}\nimport sys\nprint(sorted(set({names!r}) & set(sys.modules)))"
    command = [sys.executable, "-W", "error", "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout.replace("'", '"'))


def test_importing_simulation_imports_neither_mesa_spaces_nor_xarray_nor_pandas():
    assert loaded_after("import simulation", ["mesa.model", *SPACES, *DATA]) == []


def test_the_model_runs_without_mesa_spaces_and_xarray():
    script = (
        "from tests.conftest import small_config\n"
        "from simulation import AllianceModel\n"
        "AllianceModel(small_config()).run()"
    )
    assert loaded_after(script, ["mesa.model", *SPACES, "xarray"]) == ["mesa.model"]


def test_a_run_imports_xarray_to_build_its_dataset_and_no_mesa_spaces():
    script = (
        "from tests.conftest import small_config\nfrom simulation import run\nrun(small_config())"
    )
    assert loaded_after(script, [*SPACES, "xarray"]) == ["xarray"]


def test_alliance_run_imports_no_model_before_it_runs():
    assert loaded_after("import experiments.cli.run", ["mesa.model", *SPACES]) == []


def test_alliance_run_imports_no_xarray_nor_pandas_before_it_runs():
    assert loaded_after("import experiments.cli.run", DATA) == []


MESA_STATE = """
import json, sys
{first}
import mesa
mesa.space  # a name the package does not have yet: Mesa's __init__ runs
def names(module): return sorted(set(vars(module)) - {{"__builtins__"}})
modules = sorted(name for name in sys.modules if name.split(".")[0] == "mesa")
print(json.dumps([names(mesa), names(mesa.experimental), modules, mesa.__version__]))
"""


def test_mesa_used_beyond_the_model_is_as_a_plain_import_makes_it():
    plain = python_output(MESA_STATE.format(first=""))
    deferred = python_output(MESA_STATE.format(first="from simulation import AllianceModel"))
    assert json.loads(deferred) == json.loads(plain)


def test_mesa_already_imported_is_left_as_it_is():
    script = "import mesa, simulation\nprint('__getattr__' in vars(mesa), mesa.space.__name__)"
    assert python_output(script).split() == ["False", "mesa.space"]


def test_mesa_first_used_by_two_threads_at_once_runs_its_init_once():
    script = (
        "import threading, simulation, mesa\n"
        "import mesa.mesa_logging as logs\n"
        "found = []\n"
        "threads = [threading.Thread(target=lambda: found.append(mesa.DataCollector)) "
        "for _ in range(4)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "print(len(found), len(set(found)), '__getattr__' in vars(mesa))"
    )
    assert python_output(script).split() == ["4", "1", "False"]
