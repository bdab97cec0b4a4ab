"""The explorer: a browser app that runs a strategy against the no-fund world.

`alliance-explore` starts it (`experiments.explore.serve`). The app (`app`) only
draws; what it shows comes from functions that a notebook can call as well:
`Choice` (the controls as override strings and the command that reproduces them),
`Explorer` (runs the seeds off the interface thread, with caches and cancel) and
`summaries` (tables and series of the seeds' dataset).
"""
