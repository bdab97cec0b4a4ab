"""Mesa's `Model` and `Agent` without the rest of Mesa, and without inspecting source files.

**Only the model's part of Mesa.** Mesa 3.5's package `__init__` imports all of
Mesa: `mesa.discrete_space` (SciPy's spatial trees, NetworkX), `mesa.space`,
`mesa.experimental` (whose own `__init__` imports `continuous_space`, SciPy's
spatial distances again), `mesa.batchrunner` and `mesa.datacollection`: 0.4 s of
a run's start-up. The model subclasses `mesa.Model` and `mesa.Agent`, defined in
`mesa.model` and `mesa.agent`, which import none of these. But Python runs a
package's `__init__` before any of its submodules: `import mesa.model` runs
`mesa/__init__.py` first (and `import mesa.experimental.x` runs
`mesa/experimental/__init__.py`).

Importing a package is two steps, which `importlib` offers separately (the
Python documentation's recipe "Approximating importlib.import_module()"): create
the module from its spec (`importlib.util.module_from_spec`, which sets its name,
`__path__`, `__spec__` and loader) and put it in `sys.modules`; then run the
package's `__init__` in it (`spec.loader.exec_module`). `defer_init` takes the
first step now and the second on the package's first use: the first time it is
asked for a name it does not have (PEP 562, a module's `__getattr__` and
`__dir__`), e.g. `mesa.space`, `mesa.DataCollector`, `mesa.__version__` or
`from mesa import batch_run`. Until then the import system finds submodules on
`__path__` as usual, so `import mesa.model` runs `mesa/model.py` and what it
imports, and nothing else. On first use Mesa's `__init__` runs as written, in the
same module object (with `mesa.experimental`'s deferred `__init__` first, as a
plain `import mesa` runs it), and the hook is removed: the package is then what a
plain `import mesa` makes it (`tests/test_startup.py` checks its names and the
modules loaded).

Meanwhile `mesa` holds the submodules imported and `Model` and `Agent`, the
classes its `__init__` binds from `mesa.model` and `mesa.agent`, imported on their
first use. Nothing of Mesa is replaced or patched: each of its modules runs
unmodified, once; its classes are the same objects. The one difference before the
first use is that `vars(mesa)` lists fewer names. If Mesa is already imported
when `simulation` is, it is left as it is.

Pandas still comes with `Model`: `mesa.agent` and
`mesa.experimental.data_collection` import it at their top (0.2 s), for
`AgentSet` and the data recorders, which the model never calls. A deferred pandas
would have to survive every `import pandas` statement (CPython reads a module's
`__spec__` on each, which loads a `LazyLoader` module) and pandas' own
submodules imported before its `__init__`, so it is not done: a run needs pandas
anyway when it builds its dataset (`simulation.dataset`, xarray).

**No source files read.** While it imports, `mesa.mesa_logging` names the logger
of `mesa.model` from `inspect.stack()` and `inspect.getmodule()`, and the class of
`Model.__init__`'s logger from `inspect.getouterframes()`. To do so CPython reads
a source line of every frame on the stack and resolves the real path of every
module's file (CPython issue 92041, "Slow inspect.getmodule"). Mesa only uses the
frames, their function names and the module running the frame, so lighter
versions of those two functions name the same loggers
(`tests/test_mesa_import.py` checks it). They are swapped only while Mesa
imports, and restored even if the import fails. Another thread inspecting frames
meanwhile would get records without source lines: the commands import the model
from their main thread.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType

__all__ = ["defer_init", "import_mesa", "light_frame_inspection"]

# Names `mesa/__init__.py` binds from one submodule each, offered before it runs.
MESA_CLASSES = {"Model": "mesa.model", "Agent": "mesa.agent"}


@contextmanager
def light_frame_inspection() -> Iterator[None]:
    """Within the block, frames are inspected without reading any file.

    `inspect.getouterframes()` (and through it `inspect.stack()`) returns frame
    records without source lines, with the code's file name as is; and
    `inspect.getmodule()` of a frame is the module named in its globals.

    Yields:
        Nothing; the original functions are back when the block exits.
    """
    getouterframes, getmodule = inspect.getouterframes, inspect.getmodule

    def frames_only(frame: FrameType | None, context: int = 1) -> list[inspect.FrameInfo]:
        del context  # Mesa never reads the source lines
        frames = []
        while frame is not None:
            code = frame.f_code
            record = inspect.FrameInfo(
                frame, code.co_filename, frame.f_lineno, code.co_name, None, None
            )
            frames.append(record)
            frame = frame.f_back
        return frames

    def module_of(thing: object, filename: str | None = None) -> ModuleType | None:
        if isinstance(thing, FrameType):
            return sys.modules.get(thing.f_globals.get("__name__", ""))
        return getmodule(thing, filename)

    inspect.getouterframes, inspect.getmodule = frames_only, module_of
    try:
        yield
    finally:
        inspect.getouterframes, inspect.getmodule = getouterframes, getmodule


def defer_init(
    name: str,
    offered: dict[str, Callable[[], object]] | None = None,
    before: Callable[[], None] | None = None,
) -> ModuleType:
    """Put package `name` in `sys.modules`; run its `__init__` on first use.

    Args:
        name: An installed package not imported yet, e.g. "mesa".
        offered: Names given before the `__init__` runs, each made on first use
            by a function (the package's own value, as its `__init__` binds it).
        before: Called just before the `__init__` runs.

    Returns:
        The package's module, as `sys.modules[name]` holds it.

    Threads that use the package first at the same time wait for one of them to
    run the `__init__`; meanwhile the thread running it sees the names bound so
    far, as during a plain import.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        msg = f"{name} is not an installed package"
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    offered = dict(offered or {})
    lock = threading.RLock()
    pending = [True]

    def run_init() -> None:
        with lock:
            if not pending:
                return  # done, or running in this thread (as a plain import would be)
            pending.clear()
            try:
                if before is not None:
                    before()
                with light_frame_inspection():
                    spec.loader.exec_module(module)
            except BaseException:
                pending.append(True)
                raise
            del module.__getattr__, module.__dir__

    def __getattr__(attribute: str) -> object:  # PEP 562
        make = offered.get(attribute) if pending else None
        if make is not None:  # the import system serialises the submodule's import
            value = make()
            setattr(module, attribute, value)
            return value
        run_init()
        try:
            return module.__dict__[attribute]
        except KeyError:
            msg = f"module {name!r} has no attribute {attribute!r}"
            raise AttributeError(msg) from None

    def __dir__() -> list[str]:  # PEP 562
        run_init()
        return sorted(module.__dict__)

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system does
    return module


def _submodule_attribute(module: str, attribute: str) -> Callable[[], object]:
    def make() -> object:
        with light_frame_inspection():
            if "mesa.experimental" not in sys.modules:
                defer_init("mesa.experimental")
            # An import statement's path, which `python -X importtime` reports.
            return getattr(__import__(module, fromlist=[attribute]), attribute)

    return make


def _finish_experimental() -> None:
    """Run `mesa.experimental`'s deferred `__init__`, if any, as `import mesa` would."""
    experimental = sys.modules.get("mesa.experimental")
    if experimental is not None and "__getattr__" in vars(experimental):
        dir(experimental)


def import_mesa() -> None:
    """Make `mesa` importable with only `Model` and `Agent` loaded on use; once per process."""
    if "mesa" in sys.modules:
        return
    offered = {name: _submodule_attribute(module, name) for name, module in MESA_CLASSES.items()}
    defer_init("mesa", offered, before=_finish_experimental)


import_mesa()
