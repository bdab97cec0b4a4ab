"""Import Mesa without inspecting the source files of every module loaded.

While it imports, `mesa.mesa_logging` names the logger of `mesa.model` from
`inspect.stack()` and `inspect.getmodule()`, and the class of `Model.__init__`'s
logger from `inspect.getouterframes()`. To do so CPython reads a source line of
every frame on the stack and resolves the real path of every module's file
(CPython issue 92041, "Slow inspect.getmodule"): 0.18 s of `mesa.model`'s
0.19 s, a tenth of a run's start-up. Mesa only uses the frames, their function
names and the module running the frame, so lighter versions of those two
functions name the same loggers (`tests/test_mesa_import.py` checks it).

`simulation/__init__.py` imports this module first, so the rest of the package
finds Mesa already imported. The two `inspect` functions are swapped only while
Mesa imports, and restored even if the import fails. Another thread inspecting
frames in that tenth of a second would get records without source lines: import
`simulation` from the main thread before starting threads (every command does).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType

__all__ = ["import_mesa", "light_frame_inspection"]


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


def import_mesa() -> None:
    """Import Mesa, once per process, without its frame-inspection cost."""
    if "mesa" in sys.modules:
        return
    with light_frame_inspection():
        import mesa  # noqa: F401


import_mesa()
