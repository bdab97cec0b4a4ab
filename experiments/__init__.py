"""Command-line edge of the project: Hydra apps that compose configs, run and write files."""
