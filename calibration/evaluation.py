"""Evaluate parameter vectors in parallel, with a checkpoint after every batch.

An evaluation is the moments of one (parameter vector, seed) pair. Results are
kept in a checkpoint of JSON lines keyed on the exact bits of the vector and the seed.
The optimiser is seeded, so a resumed calibration replays its own trajectory,
finds every evaluation it already made in the checkpoint, and continues where the
interrupted run stopped, to the same result.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
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
    """Evaluations kept in a file of JSON lines, each batch appended to it.

    The first line names the configuration (`fingerprint`); every other line is one
    evaluation: the exact bits of the vector, the seed and the moments. A batch is
    appended in one write and synced, so saving costs what the batch adds, not what
    the file holds (rewriting 130,000 evaluations took 2 s a batch, while the
    workers waited). A write cut short leaves a last line without its end: it is
    dropped, and cut from the file, when the checkpoint is read again. A checkpoint
    in the earlier form (one JSON object) is read and rewritten in this one.

    Args:
        path: The checkpoint file, created on first save; None keeps the
            evaluations in memory only.
        fingerprint: Identifies the configuration the evaluations belong to.

    Raises:
        ValueError: The file holds evaluations of a different configuration, or a
            line that is not an evaluation.
    """

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.evaluations: dict[Key, list[float]] = {}
        self._saved = 0  # evaluations already in the file: the first ones of the dict
        if path is not None and path.exists():
            self._read(path)

    def _read(self, path: Path) -> None:
        text = path.read_text()
        try:
            header = json.loads(text.partition("\n")[0])
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or "fingerprint" not in header:
            msg = f"checkpoint {path} is not a calibration checkpoint; delete it to start over"
            raise ValueError(msg)
        if header["fingerprint"] != self.fingerprint:
            msg = (
                f"checkpoint {path} was made with a different calibration config; "
                "delete it to start over, or choose another calibration.name"
            )
            raise ValueError(msg)
        earlier_form = "evaluations" in header
        complete = text[: text.rfind("\n") + 1]  # a last line without its end was cut short
        items = header["evaluations"] if earlier_form else complete.splitlines()[1:]
        for number, item in enumerate(items, start=2):
            try:
                record = item if earlier_form else json.loads(item)
                key = (tuple(record["theta"]), int(record["seed"]))
                self.evaluations[key] = [float(x) for x in record["moments"]]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                msg = (
                    f"checkpoint {path}, line {number}, is not an evaluation; "
                    "delete the checkpoint to start over"
                )
                raise ValueError(msg) from None
        if earlier_form:
            self._rewrite()
        elif len(complete) < len(text):
            os.truncate(path, len(complete.encode()))
        self._saved = len(self.evaluations)

    def _rewrite(self) -> None:
        """Write the whole checkpoint to a temporary file, then rename it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        with temporary.open("w") as file:
            file.write(json.dumps({"fingerprint": self.fingerprint}) + "\n")
            file.writelines(_lines(self.evaluations.items()))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)

    def save(self) -> None:
        """Append the evaluations made since the last save (the header first, once)."""
        if self.path is None:
            return
        if not self.path.exists():
            self._saved = 0
            self._rewrite()
        else:
            new = itertools.islice(self.evaluations.items(), self._saved, None)
            with self.path.open("a") as file:
                file.write("".join(_lines(new)))
                file.flush()
                os.fsync(file.fileno())
        self._saved = len(self.evaluations)


def _lines(items: Iterable[tuple[Key, list[float]]]) -> Iterator[str]:
    """One JSON line per evaluation."""
    for (theta, seed), moments in items:
        yield json.dumps({"theta": list(theta), "seed": seed, "moments": moments}) + "\n"


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
