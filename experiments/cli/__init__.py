"""The command-line edge: the console scripts, what every tool shares, and `alliance-run`.

- `console`: the console scripts (`alliance-run`, `alliance-calibrate`, ...), each
  importing its command on use, with the garbage collector paused;
- `shared`: short help, `--version`, one-line refusals, argument types;
- `run`: `alliance-run`, the Hydra app that runs a scenario or a sweep's job.

Nothing in the project imports `console` or `run` (tests/test_architecture.py);
the other commands' modules live with their concern and use `shared`
(`experiments.calibrating.calibrate`, `experiments.sweep.collect`,
`experiments.reports.report`, `experiments.publish.publish`,
`experiments.publish.verify`, `experiments.explore.serve`).
"""
