"""Which kernel runs a step's hot loops: numpy, or numba's compiled code.

Both give the same numbers, bit for bit (`simulation.compiled` says how;
`tests/test_compiled.py` checks it). numpy is the reference and needs nothing
more. The compiled kernels run a small world's step twice as fast, where numpy's
cost is its calls (a few hundred new projects a step, a dozen numpy calls
each), but cost a process numba's import and the loading of their cached code
(about 0.6 s together), so they are used where that is paid back:

in a process that runs many worlds: the workers of a sweep with several runs a
worker, of a calibration and of the explorer declare it (`runs_many_worlds`).
A single run stays on numpy: the default world starts at once, and a national
one would gain 30 % of its time for 150 MB more memory, over 1 GB (numba's own;
docs/performance.md, "A compiled kernel"). The environment variable
`ALLIANCE_KERNEL` sets the choice for a process: `auto` (the default), `numpy` or
`compiled`. Without numba installed, `auto` is numpy.
"""

from __future__ import annotations

import os
from types import ModuleType

ENVIRONMENT = "ALLIANCE_KERNEL"
CHOICES: tuple[str, ...] = ("auto", "numpy", "compiled")
_many_worlds = False


def runs_many_worlds() -> None:
    """Declare that this process will run many worlds: under `auto`, it compiles."""
    global _many_worlds
    _many_worlds = True


def choice() -> str:
    """The process's choice of kernel, from `ALLIANCE_KERNEL` (`auto` when unset or empty).

    Returns:
        One of `CHOICES`.

    Raises:
        ValueError: The variable holds something else.
    """
    value = os.environ.get(ENVIRONMENT, "").strip().lower() or "auto"
    if value not in CHOICES:
        msg = f"{ENVIRONMENT}={value!r} is not a kernel; allowed values: {', '.join(CHOICES)}"
        raise ValueError(msg)
    return value


def select(requested: str | None = None) -> ModuleType | None:
    """The compiled kernels this process's worlds run on, or None for numpy's.

    Args:
        requested: One of `CHOICES`; None reads `ALLIANCE_KERNEL` (`choice`).

    Returns:
        The `simulation.compiled` module, or None.

    Raises:
        ValueError: `requested` is not one of `CHOICES`.
        ImportError: `compiled` was asked for and numba cannot be imported.
    """
    requested = choice() if requested is None else requested
    if requested not in CHOICES:
        msg = f"kernel {requested!r} is not one of: {', '.join(CHOICES)}"
        raise ValueError(msg)
    if requested == "numpy":
        return None
    if requested == "auto" and not _many_worlds:
        return None
    try:
        import simulation.compiled as compiled  # the module alone, not the package
    except ImportError as error:
        if requested == "auto":
            return None
        msg = f"{ENVIRONMENT}=compiled needs numba, which cannot be imported: {error}"
        raise ImportError(msg) from error
    return compiled
