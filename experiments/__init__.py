"""Command-line edge of the project: Hydra apps that compose configs, run and write files.

`load_config(overrides)` composes a run configuration exactly as `alliance-run`
does, for notebooks and scripts.
"""

from experiments.schema import load_config

__all__ = ["load_config"]
