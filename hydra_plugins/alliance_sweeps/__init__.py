"""The project's own Hydra sweeper and launcher (see `experiments.sweep`)."""
