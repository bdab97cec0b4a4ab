"""The command-line edge: the console scripts and `alliance-run`.

- `console`: the console scripts (`alliance-run`, `alliance-calibrate`, ...), each
  importing its command on use, with the garbage collector paused;
- `run`: `alliance-run`, the Hydra app that runs a scenario or a sweep's job.

Nothing in the project imports this package (tests/test_architecture.py). The
other commands' modules live with their concern (`experiments.calibrating.calibrate`,
`experiments.sweep.collect`, `experiments.reports.report`,
`experiments.publish.publish`, `experiments.publish.verify`,
`experiments.explore.serve`) and share `experiments.process.commandline`.
"""
