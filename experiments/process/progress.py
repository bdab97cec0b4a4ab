"""One progress display for the command-line tools (tqdm, on stderr).

Each tool shows one line that updates in place, only once the work has taken
`delay` seconds (quick work prints nothing), and removes it when done: the tool's
own closing line says what was done. tqdm's own `TQDM_DELAY` environment variable
sets the delay (the tests set it to 0).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator

from tqdm import tqdm


def progress_bar(total: int, desc: str, unit: str, delay: float = 1.0) -> tqdm:
    """A progress line for `total` units of work, shown after `delay` seconds.

    Args:
        total: Units of work.
        desc: What is being done, e.g. "re-running".
        unit: What one unit is, e.g. "run".
        delay: Seconds before the line appears.

    Returns:
        The bar; call `update(n)` and close it (or use it as a context manager).
    """
    delay = float(os.environ.get("TQDM_DELAY", delay))
    return tqdm(total=total, desc=desc, unit=unit, delay=delay, file=sys.stderr, leave=False)


def with_progress[T](items: Iterable[T], total: int, desc: str, unit: str) -> Iterator[T]:
    """Iterate over `items`, showing a progress line (see `progress_bar`).

    Args:
        items: The work.
        total: How many items.
        desc: What is being done.
        unit: What one item is.

    Yields:
        The items.
    """
    with progress_bar(total, desc, unit) as bar:
        for item in items:
            yield item
            bar.update(1)
