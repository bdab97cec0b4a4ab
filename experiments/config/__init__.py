"""The configuration of a run: its schema, its refusals, its checks and its limits.

- `schema`: the typed configs registered with Hydra, and `load_config`;
- `refusal`: one line for every refused configuration;
- `run_checks`: what `alliance-run` checks before Hydra creates anything;
- `limits`: work too large to start by accident (a sweep's jobs, a world's memory);
- `provenance`: the code's git commit and the library versions a run records;
- `config_reference`: writes `docs/configuration.md` and the ODD's parameter tables.
"""
