"""Command-line edge of the project: Hydra apps that compose configs, run and write files.

`load_config(overrides)` composes a run configuration exactly as `alliance-run`
does, for notebooks and scripts.

One package a concern, from the foundations up to the command line:

- `storage`: files written atomically, their temporaries removed;
- `process`: a command's start-up, its interruption, its progress line;
- `config`: a run's typed configuration, its refusals, checks and limits;
- `sweep`: planning, running, merging and collecting a sweep (`alliance-collect`);
- `calibrating`: `alliance-calibrate` and the checks of the calibration;
- `appraisal`: the appraisal of a merged sweep (pure functions);
- `reports`: `alliance-report`, its pages, and a run's summary;
- `publish`: `alliance-publish`, `alliance-verify` and the model's archive;
- `explore`: `alliance-explore`, the browser explorer;
- `cli`: the console scripts, what every command shares, and `alliance-run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.config.schema import load_config

__all__ = ["load_config"]


def __getattr__(name: str) -> object:
    # Lazily: the command-line tools that do not compose configs (alliance-collect,
    # alliance-report) then start without importing Hydra's schema and the model.
    if name == "load_config":
        from experiments.config.schema import load_config

        return load_config
    msg = f"module 'experiments' has no attribute {name!r}"
    raise AttributeError(msg)
