"""Evaluate parameter vectors in parallel, with a checkpoint after every batch.

An evaluation is the moments of one (parameter vector, seed) pair. Results are
kept in a JSON checkpoint keyed on the exact bits of the vector and the seed.
The optimiser is seeded, so a resumed calibration replays its own trajectory,
finds every evaluation it already made in the checkpoint, and continues where the
interrupted run stopped, to the same result.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from calibration.config import MOMENTS, with_parameters
from calibration.moments import simulate_moments
from simulation.config import RunConfig

Key = tuple[tuple[str, ...], int]


def _key(theta: np.ndarray, seed: int) -> Key:
    return tuple(float(x).hex() for x in theta), int(seed)


class Checkpoint:
    """Evaluations and finished stages saved as one JSON file, rewritten atomically.

    Args:
        path: The checkpoint file, created on first save; None keeps the
            evaluations in memory only.
        fingerprint: Identifies the configuration the evaluations belong to.

    Raises:
        ValueError: The file holds evaluations of a different configuration.
    """

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.evaluations: dict[Key, list[float]] = {}
        self.stages: dict[str, object] = {}
        if path is not None and path.exists():
            data = json.loads(path.read_text())
            if data["fingerprint"] != fingerprint:
                msg = (
                    f"checkpoint {path} was made with a different calibration config; "
                    "delete it to start over, or choose another calibration.name"
                )
                raise ValueError(msg)
            for item in data["evaluations"]:
                self.evaluations[(tuple(item["theta"]), item["seed"])] = item["moments"]
            self.stages = data["stages"]

    def save(self) -> None:
        """Write the checkpoint to a temporary file, then rename it."""
        if self.path is None:
            return
        data = {
            "fingerprint": self.fingerprint,
            "evaluations": [
                {"theta": list(theta), "seed": seed, "moments": moments}
                for (theta, seed), moments in self.evaluations.items()
            ],
            "stages": self.stages,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, self.path)


def fingerprint(*parts: object) -> str:
    """A short hash of the given objects' JSON form."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_WORKER: dict[str, object] = {}


def _set_up(base: RunConfig, paths: list[str], observation_year: float) -> None:
    """What `_evaluate` reads, in this process."""
    _WORKER.update(base=base, paths=paths, year=observation_year)


def _init_worker(
    worker_setup: Callable[[], None] | None,
    base: RunConfig,
    paths: list[str],
    observation_year: float,
) -> None:
    """Set up a pool worker: the caller's process set-up first, then what tasks read."""
    if worker_setup is not None:
        worker_setup()
    _set_up(base, paths, observation_year)


def _evaluate(task: tuple[tuple[float, ...], int]) -> list[float]:
    theta, seed = task
    config = with_parameters(_WORKER["base"], dict(zip(_WORKER["paths"], theta, strict=True)))
    config.seed = seed
    return simulate_moments(config, _WORKER["year"]).tolist()


class Evaluator:
    """Moments of parameter vectors over seeds, cached and computed in parallel.

    Args:
        base: The configuration the free parameters are set in.
        paths: Dotted paths of the free parameters, in vector order.
        maturity_observation_year: Year at which maturity shares are read.
        checkpoint: Where evaluations are kept.
        workers: Processes (-1: all cores; 1: evaluate in this process).
        worker_setup: Run first in each worker process; a picklable callable. The
            command line passes its process set-up (`experiments.process.startup`:
            Ctrl-C left to the main process, which keeps the checkpoint and stops
            the pool; workers that die with a main process killed outright, who
            would otherwise simulate on, then wait for work forever).
    """

    def __init__(
        self,
        base: RunConfig,
        paths: list[str],
        maturity_observation_year: float,
        checkpoint: Checkpoint,
        workers: int = -1,
        worker_setup: Callable[[], None] | None = None,
    ) -> None:
        self.base = base
        self.worker_setup = worker_setup
        self.paths = paths
        self.year = maturity_observation_year
        self.checkpoint = checkpoint
        self.workers = (os.cpu_count() or 1) if workers == -1 else workers
        self.new_evaluations = 0
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Evaluator:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.worker_setup, self.base, self.paths, self.year),
            )
        else:  # in this process, whose Ctrl-C and parent are its own
            _set_up(self.base, self.paths, self.year)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            interrupted = exc and exc[0] is not None
            self._pool.shutdown(wait=not interrupted, cancel_futures=bool(interrupted))

    def moments(self, thetas: np.ndarray, seeds: list[int]) -> np.ndarray:
        """Moments of every vector over every seed, shape (vectors, seeds, moments).

        Missing evaluations are computed as one parallel batch, then checkpointed.

        Args:
            thetas: Parameter vectors, shape (vectors, parameters).
            seeds: Replicate seeds.

        Returns:
            The moments.
        """
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        missing = sorted(
            {_key(theta, seed) for theta in thetas for seed in seeds}
            - self.checkpoint.evaluations.keys()
        )
        if missing:
            tasks = [(tuple(float.fromhex(x) for x in theta), seed) for theta, seed in missing]
            if self._pool is None:
                results = [_evaluate(task) for task in tasks]
            else:
                results = list(self._pool.map(_evaluate, tasks, chunksize=1))
            self.checkpoint.evaluations.update(zip(missing, results, strict=True))
            self.new_evaluations += len(missing)
            self.checkpoint.save()
        out = np.array(
            [[self.checkpoint.evaluations[_key(theta, seed)] for seed in seeds] for theta in thetas]
        )
        return out.reshape(len(thetas), len(seeds), len(MOMENTS))
