"""Command-line edge of the project: Hydra apps that compose configs, run and write files.

`load_config(overrides)` composes a run configuration exactly as `alliance-run`
does, for notebooks and scripts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.schema import load_config

__all__ = ["load_config"]


def __getattr__(name: str) -> object:
    # Lazily: the command-line tools that do not compose configs (alliance-collect,
    # alliance-report) then start without importing Hydra's schema and the model.
    if name == "load_config":
        from experiments.schema import load_config

        return load_config
    msg = f"module 'experiments' has no attribute {name!r}"
    raise AttributeError(msg)
