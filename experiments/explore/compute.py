"""Run the explorer's seeds off the interface thread: a warm process pool, caches, cancel.

The interface thread never simulates. `Explorer.compute` is called from a
background thread; it composes the configuration once (so an invalid combination
fails at once with the project's validation message), then sends one task per
seed to a pool of worker processes started when the app starts. Each worker keeps
the counterfactual worlds it has simulated, so changing only the fund re-runs
only the treated world, as a sweep does (`experiments.sweep.worker`). Finished
seeds are cached by their configuration's hash, so going back to a strategy seen
before, or adding a seed, costs nothing for what was already run.

A new request supersedes the one in flight. Work on a small world is let finish
(its seeds go to the cache); work on a large world (the national scenario) is
stopped by restarting the pool, as `cancel()` does.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import multiprocessing
import os
import queue
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
import xarray as xr

from experiments.explore.choice import Choice
from simulation.config import RunConfig
from simulation.dataset import config_hash, config_json

# A world this large (organisations x steps) is stopped, not let finish, when superseded;
# its counterfactual is not kept by the workers either (about 0.6 GB for the national one).
LARGE_WORLD = 2_000_000
CACHED_SEEDS = 200
KEPT_COUNTERFACTUALS = 24
KEPT_DOWNLOADS = 50

Progress = Callable[[float, str], None]


class Cancelled(Exception):
    """The computation was cancelled or superseded by a newer one."""


@functools.lru_cache(maxsize=256)
def seed_configs(choice: Choice) -> list[RunConfig]:
    """The validated configuration of every seed of a choice, composed once.

    The seed is set on the typed configuration, as sweeps do for their row keys
    (`experiments.sweep.plan.ROW_KEYS`); `tests/test_explore.py` checks that this
    equals composing `seed=N` on the command line.

    Cached by choice (about 0.15 s of Hydra composition each): treat the list and
    its configurations as read-only.

    Raises:
        ConfigError: A value is outside what the model accepts (the message names it).
    """
    from experiments import load_config

    first = load_config(choice.run_overrides(0))
    return [dataclasses.replace(first, seed=seed).validate() for seed in choice.seeds]


def combine(datasets: list[xr.Dataset], choice: Choice) -> xr.Dataset:
    """The seeds' datasets along a `seed` dimension, with the command that reproduces them."""
    seeds = pd.Index([int(d.attrs["seed"]) for d in datasets], name="seed")
    # Territories' size classes differ between seeds (each seed draws its world), so
    # `size_class` gets the seed dimension; coordinates equal in every seed keep theirs.
    combined = xr.concat(
        datasets,
        dim=seeds,
        data_vars="all",
        coords="different",
        compat="equals",
        join="outer",
        combine_attrs="drop_conflicts",
    )
    combined.seed.attrs.update(long_name="random seed of the run", units="1")
    combined.attrs.update(
        explorer_command=choice.command(),
        config_json_per_seed="\n".join(d.attrs["config_json"] for d in datasets),
    )
    return combined


def download_key(choice: Choice) -> str:
    """The name under which a choice's dataset is offered for download."""
    return hashlib.sha256(choice.command().encode()).hexdigest()[:16]


def netcdf_bytes(dataset: xr.Dataset) -> bytes:
    """A dataset as the bytes of a NetCDF-4 file (the explorer's download)."""
    import tempfile
    from pathlib import Path

    from experiments.files import NETCDF_ENGINE

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "explorer.nc"
        dataset.to_netcdf(path, engine=NETCDF_ENGINE)
        return path.read_bytes()


# --- worker processes --------------------------------------------------------------

_TICKS: multiprocessing.Queue | None = None
_COUNTERFACTUALS: OrderedDict[str, object] = OrderedDict()


def _init_worker(ticks: multiprocessing.Queue) -> None:
    global _TICKS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    _TICKS = ticks
    # Warm: the first request should not pay the imports of the model and the figures.
    import experiments.explore.figures  # noqa: F401
    import simulation.run  # noqa: F401


def _is_large(config: RunConfig) -> bool:
    return config.scenario.n_organisations * config.scenario.n_steps > LARGE_WORLD


def _run_seed(config: RunConfig, token: int) -> xr.Dataset:
    """One seed's run in a worker: the treated world and its (kept) counterfactual."""
    from simulation.model import AllianceModel
    from simulation.run import counterfactual_config, measure

    def tick() -> None:
        if _TICKS is not None:
            _TICKS.put(token)

    key = config_json(counterfactual_config(config))
    counterfactual = _COUNTERFACTUALS.get(key)
    if counterfactual is None:
        counterfactual = AllianceModel(counterfactual_config(config)).run(tick)
        if not _is_large(config):
            _COUNTERFACTUALS[key] = counterfactual
            while len(_COUNTERFACTUALS) > KEPT_COUNTERFACTUALS:
                _COUNTERFACTUALS.popitem(last=False)
    else:
        _COUNTERFACTUALS.move_to_end(key)
    treated = AllianceModel(config).run(tick)
    return measure(treated, counterfactual)


def _draw(name: str, args: tuple) -> bytes:
    """One figure of `experiments.explore.figures`, drawn in a worker, as PNG bytes."""
    from experiments.explore import figures, shown

    return shown.png(getattr(figures, name)(*args))


# --- the explorer -------------------------------------------------------------------


class Explorer:
    """The explorer's engine: one per server, shared by every browser tab.

    Args:
        workers: Worker processes (default: the machine's cores).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, xr.Dataset] = OrderedDict()
        self._downloads: OrderedDict[str, xr.Dataset] = OrderedDict()
        self._generation = 0
        self._busy_large = False
        self._pool = None
        self._ticks = None
        self._start_pool()

    def _start_pool(self) -> None:
        self._ticks = self._context.Queue()
        # Each worker imports the model as it starts (about a second), before any request.
        self._pool = self._context.Pool(self.workers, _init_worker, (self._ticks,))

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            self._pool.terminate()
            self._pool.join()

    def cancel(self) -> None:
        """Stop the computation in flight; it raises `Cancelled` in its thread."""
        with self._lock:
            self._generation += 1
            self._restart()

    def _restart(self) -> None:
        self._pool.terminate()
        self._pool.join()
        self._busy_large = False
        self._start_pool()

    def cached(self, config: RunConfig) -> xr.Dataset | None:
        """The dataset of a seed's configuration, if it was run before."""
        with self._lock:
            return self._cache.get(config_hash(config))

    def compute(self, choice: Choice, progress: Progress | None = None) -> xr.Dataset:
        """Every seed of a choice, against its no-fund world, as one dataset.

        Args:
            choice: The controls.
            progress: Called with (fraction done, a few words) while it runs.

        Returns:
            The seeds' datasets along a `seed` dimension (`combine`).

        Raises:
            ConfigError: The choice is not a valid configuration.
            Cancelled: `cancel()` was called, or a newer request superseded this one.
        """
        configs = seed_configs(choice)
        by_seed = {c.seed: c for c in configs}
        with self._lock:
            self._generation += 1
            generation = self._generation
            if self._busy_large:  # a large world still running for an older request
                self._restart()
            self._drain_ticks()
            results = {c.seed: self._cache.get(config_hash(c)) for c in configs}
            todo = [c for c in configs if results[c.seed] is None]
            pending = {c.seed: self._pool.apply_async(_run_seed, (c, generation)) for c in todo}
            self._busy_large = bool(todo) and _is_large(configs[0])
        steps = 2 * configs[0].scenario.n_steps * len(todo)
        done_steps = 0
        while pending:
            if generation != self._generation:
                raise Cancelled
            try:
                token = self._ticks.get(timeout=0.02)
                done_steps += token == generation
            except queue.Empty:
                pass
            except (OSError, ValueError, EOFError):  # the pool was restarted under us
                raise Cancelled from None
            for seed, result in list(pending.items()):
                if result.ready():
                    dataset = result.get()  # re-raises a worker's error
                    results[seed] = dataset
                    del pending[seed]
                    with self._lock:
                        self._remember(config_hash(by_seed[seed]), dataset)
            if progress is not None and steps:
                finished = len(todo) - len(pending)
                progress(
                    min(done_steps / steps, 1.0),
                    f"{finished} of {len(todo)} seed(s) run, "
                    f"{len(configs) - len(todo)} from the cache",
                )
        combined = combine([results[c.seed] for c in configs], choice)
        with self._lock:
            if generation == self._generation:
                self._busy_large = False
        self.offer(choice, combined)
        return combined

    def offer(self, choice: Choice, dataset: xr.Dataset) -> None:
        """Keep a choice's dataset for download under `download_key(choice)`."""
        key = download_key(choice)
        with self._lock:
            self._downloads[key] = dataset
            self._downloads.move_to_end(key)
            while len(self._downloads) > KEPT_DOWNLOADS:
                self._downloads.popitem(last=False)

    def draw(self, drawings: list[tuple[str, tuple]]) -> list[bytes]:
        """Draw figures in the worker processes, side by side; PNG bytes in order.

        Args:
            drawings: (name of a function of `experiments.explore.figures`, its
                arguments), for each figure.
        """
        with self._lock:
            pool = self._pool
        return pool.starmap(_draw, drawings, chunksize=1)

    def download(self, key: str) -> bytes | None:
        """The NetCDF bytes of a dataset computed recently, by `download_key`; else None."""
        with self._lock:
            dataset = self._downloads.get(key)
        return None if dataset is None else netcdf_bytes(dataset)

    def _remember(self, key: str, dataset: xr.Dataset) -> None:
        self._cache[key] = dataset
        self._cache.move_to_end(key)
        while len(self._cache) > CACHED_SEEDS:
            self._cache.popitem(last=False)

    def _drain_ticks(self) -> None:
        try:
            while True:
                self._ticks.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass


_SHARED: Explorer | None = None


def shared() -> Explorer:
    """The server's one `Explorer`, shared by every browser tab (started on first use)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Explorer()
    return _SHARED
