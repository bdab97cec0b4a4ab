"""Run the explorer's seeds off the interface thread: a warm process pool, caches, cancel.

The interface thread never simulates. `Explorer.compute` is called from a
background thread; it composes the configuration once (so an invalid combination
fails at once with the project's validation message), then sends one task per
seed to a pool of worker processes started with the app. Each worker keeps the
counterfactual worlds it has simulated, so changing only the fund re-runs only
the treated world, as a sweep does (`experiments.sweep.worker`). Every finished
seed is cached by its configuration's hash as it arrives, so going back to a
strategy seen before, adding a seed, or a request superseded half-way costs
nothing for what was already run.

Requests belong to a session (a browser tab). A session's newer request
supersedes its older one, which raises `Cancelled`; other sessions are not
touched. Work on a small world is let finish (its seeds go to the cache); work on
a large world (the national scenario) is stopped by restarting the pool, as a
cancel does, and the other sessions' requests then resubmit what they lost.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import multiprocessing
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import xarray as xr

from experiments.explore import shown
from experiments.explore.choice import Choice
from experiments.process.startup import spawn_pool
from simulation.config import RunConfig
from simulation.dataset import config_hash

# A world this large (organisations x steps) is stopped, not let finish, when superseded;
# its counterfactual is not kept by the workers either (about 0.6 GB for the national one).
LARGE_WORLD = 2_000_000
CACHED_SEEDS = 200
KEPT_COUNTERFACTUALS = 24
KEPT_DOWNLOADS = 50
POLL_SECONDS = 0.02

Progress = Callable[[float, str], None]


class Cancelled(Exception):
    """The computation was cancelled or superseded by a newer one of its session."""


class WorkerLost(RuntimeError):
    """A worker process stopped while running a seed (out of memory, say)."""


def keep_recent(store: OrderedDict, key: object, value: object, limit: int) -> None:
    """Store a value as the most recent, dropping the oldest ones beyond `limit`."""
    store[key] = value
    store.move_to_end(key)
    while len(store) > limit:
        store.popitem(last=False)


def configs_fingerprint() -> str:
    """The newest modification time under `configs/`: cached compositions follow edits."""
    from experiments.config.schema import CONFIG_DIR

    return str(max(path.stat().st_mtime_ns for path in Path(CONFIG_DIR).rglob("*")))


def seed_configs(choice: Choice) -> tuple[RunConfig, ...]:
    """The validated configuration of every seed of a choice, composed once.

    The seed is set on the typed configuration, as sweeps do for their row keys
    (`experiments.sweep.plan.ROW_KEYS`); `tests/test_explore_choice.py` checks
    that this equals composing `seed=N` on the command line. Compositions are
    cached (about 0.15 s of Hydra each) until a file under `configs/` changes.

    Args:
        choice: The controls.

    Returns:
        One independent configuration per seed, in seed order.

    Raises:
        ConfigError: A value is outside what the model accepts (the message names it).
    """
    first = _composed(choice, configs_fingerprint())
    configs = []
    for seed in choice.seeds:
        config = copy.deepcopy(first)  # the cached composition stays untouched
        config.seed = seed
        configs.append(config.validate())
    return tuple(configs)


def warm_compositions(choice: Choice | None = None) -> None:
    """Compose every strategy's variant of a choice ahead of time (about 0.15 s each).

    `alliance-explore` calls it in the background at start-up, so that changing
    the strategy, the most common change, does not wait for Hydra.

    Args:
        choice: The controls to vary the strategy of (default: the page's defaults).
    """
    from experiments.explore.choice import STRATEGIES
    from simulation.bounds import ConfigError

    base = choice or Choice()
    for name in STRATEGIES:
        try:
            seed_configs(base.with_changes(strategy=name))
        except ConfigError:  # a combination the user would be told about anyway
            continue


@functools.lru_cache(maxsize=256)
def _composed(choice: Choice, fingerprint: str) -> RunConfig:
    """The first seed's configuration as `alliance-run` composes it, per config tree."""
    from experiments import load_config

    return load_config(choice.run_overrides(0))


def combine(datasets: list[xr.Dataset], choice: Choice) -> xr.Dataset:
    """The seeds' datasets along a `seed` dimension, with the command that reproduces them.

    Args:
        datasets: One run's dataset per seed, in seed order.
        choice: The controls they were run for.

    Returns:
        One dataset; `size_class` gets the seed dimension, since each seed draws
        its own world.
    """
    seeds = pd.Index([int(d.attrs["seed"]) for d in datasets], name="seed")
    combined = _stack(datasets, seeds, join="outer")
    combined.seed.attrs.update(long_name="random seed of the run", units="1")
    combined.attrs.update(
        explorer_command=choice.command(),
        config_json_per_seed="\n".join(d.attrs["config_json"] for d in datasets),
    )
    return combined


def _stack(datasets: list[xr.Dataset], index: pd.Index, join: str) -> xr.Dataset:
    """Datasets along a new dimension.

    A coordinate equal in all keeps its shape; one that differs (each seed's own
    `size_class`) gets the new dimension.
    """
    return xr.concat(
        datasets,
        dim=index,
        data_vars="all",
        coords="different",
        compat="equals",
        join=join,
        combine_attrs="drop_conflicts",
    )


def download_key(*choices: Choice) -> str:
    """The name under which a choice's dataset (or several choices' together) is offered."""
    text = "\n".join(choice.command() for choice in choices)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def compare(arms: list[tuple[str, Choice, xr.Dataset]]) -> xr.Dataset:
    """Saved strategies' datasets side by side, along an `arm` dimension.

    Args:
        arms: (label, choice, its dataset from `combine`) for each strategy; all
            with the same seeds and world, so they share every other coordinate.

    Returns:
        One dataset, with the label of each arm and the commands that reproduce them.

    Raises:
        ValueError: The arms differ in their seeds or their world.
    """
    worlds = {(tuple(choice.seeds), choice.scenario) for _, choice, _ in arms}
    if len(worlds) != 1:
        msg = "strategies compared in one file need the same seeds and the same world"
        raise ValueError(msg)
    labels = pd.Index([label for label, _, _ in arms], name="arm")
    combined = _stack([dataset for _, _, dataset in arms], labels, join="exact")
    combined.arm.attrs.update(long_name="saved strategy, as labelled in the explorer")
    combined.attrs["explorer_command"] = "\n".join(
        f"{label}: {choice.command()}" for label, choice, _ in arms
    )
    return combined


# --- worker processes --------------------------------------------------------------

_MESSAGES: multiprocessing.Queue | None = None
_COUNTERFACTUALS: OrderedDict[str, object] = OrderedDict()


def _init_worker(messages: multiprocessing.Queue) -> None:
    from experiments.process.startup import init_simulation_worker

    global _MESSAGES
    # Ctrl-C is the server's; the worker dies with its parent. Warm: the first
    # request should not pay the imports of the model and the figures, nor the
    # loading of the compiled kernels it runs its worlds on.
    init_simulation_worker(
        "experiments.explore.figures", "simulation.model", "simulation.run", "xarray"
    )
    _MESSAGES = messages


def _is_large(config: RunConfig) -> bool:
    return config.scenario.n_organisations * config.scenario.n_steps > LARGE_WORLD


def _run_seed(config: RunConfig, request: int) -> xr.Dataset:
    """One seed's run in a worker: the treated world and its (kept) counterfactual.

    Tells the server which process runs it and how many steps it will take, then
    one message per step.
    """
    from experiments.sweep.worker import counterfactual_key
    from simulation.model import AllianceModel
    from simulation.run import counterfactual_config, measure

    key = counterfactual_key(config)
    counterfactual = _COUNTERFACTUALS.get(key)
    steps = config.scenario.n_steps * (1 if counterfactual is not None else 2)
    _MESSAGES.put(("start", request, config.seed, (os.getpid(), steps)))

    def tick() -> None:
        _MESSAGES.put(("tick", request, config.seed, None))

    if counterfactual is None:
        counterfactual = AllianceModel(counterfactual_config(config)).run(tick)
        counterfactual.free_stepping_state()
        if not _is_large(config):
            keep_recent(_COUNTERFACTUALS, key, counterfactual, KEPT_COUNTERFACTUALS)
    else:
        _COUNTERFACTUALS.move_to_end(key)
    treated = AllianceModel(config).run(tick).free_stepping_state()
    return measure(treated, counterfactual)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_pids(pool: multiprocessing.pool.Pool) -> frozenset[tuple[int, bool]]:
    """The pool's worker processes: (PID, whether it runs)."""
    return frozenset((p.pid, p.exitcode is None) for p in list(pool._pool))


def release_dead_workers_lock(pool: multiprocessing.pool.Pool) -> None:
    """Kill every worker, then free the task queue's lock if a dead worker held it.

    A process-shared lock has no owner to check: once every worker is dead, a lock
    that is taken is held by a dead one, and releasing it lets `terminate` proceed.
    """
    for process in list(pool._pool):
        process.kill()
    for process in list(pool._pool):
        process.join(5)
    lock = pool._inqueue._rlock
    lock.acquire(block=False)  # taken by us, or already by a dead worker
    lock.release()


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
        # The cache has its own lock: the pool's result thread fills it (a callback),
        # and stopping the pool waits for that thread, sometimes under `_lock`.
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[str, xr.Dataset] = OrderedDict()
        self._downloads: OrderedDict[str, xr.Dataset] = OrderedDict()
        self._requests = itertools.count(1)
        self._current: dict[str, int] = {}  # session -> its newest request
        self._large: dict[str, int] = {}  # session -> its request running a large world
        self._started: dict[tuple[int, int], tuple[int, int]] = {}  # (request, seed) -> pid, steps
        self._ticks: dict[int, int] = {}  # request -> steps done
        self._epoch = 0
        self._closed = False
        self._pool = None
        self._start_pool()

    # The pool ------------------------------------------------------------------------

    def _start_pool(self) -> None:
        """A new pool, its message queue and the thread that reads it (under the lock).

        The pool is created in a thread that lives as long as the pool: the workers'
        parent-death signal fires when the thread that started them ends, and
        requests run in short-lived threads.
        """
        self._epoch += 1
        messages = self._context.Queue()
        made = threading.Event()
        stop = threading.Event()
        holder = {}

        def keep() -> None:
            holder["pool"] = spawn_pool(self.workers, _init_worker, (messages,))
            made.set()
            stop.wait()

        threading.Thread(target=keep, name="explorer-pool", daemon=True).start()
        made.wait()
        self._pool, self._pool_stop = holder["pool"], stop
        self._pids = worker_pids(self._pool)
        threading.Thread(
            target=self._listen, args=(messages, self._epoch), name="explorer-messages", daemon=True
        ).start()

    def _restart(self) -> None:
        """Stop every worker and start new ones (under the lock)."""
        self._stop_pool()
        self._large.clear()
        self._start_pool()

    def _stop_pool(self) -> None:
        """Stop the pool's workers, even when one died holding its task queue's lock.

        An idle worker waits for a task holding the queue's lock; killed there, it
        never releases it: the other workers wait for it forever, and so does the
        pool's `terminate`. Then every worker is killed, and the lock, whose holder
        is dead, released, before `terminate`.
        """
        if not self._healthy():
            release_dead_workers_lock(self._pool)
        self._pool.terminate()
        self._pool.join()
        self._pool_stop.set()

    def _healthy(self) -> bool:
        """Whether every worker the pool started still runs (none died or was replaced)."""
        return worker_pids(self._pool) == self._pids

    def _heal(self) -> None:
        """Restart the pool if a worker died (under the lock); in-flight seeds are resent."""
        if not self._closed and not self._healthy():
            self._restart()

    def _listen(self, messages: multiprocessing.Queue, epoch: int) -> None:
        """Record which worker runs which seed, and count steps, for one pool's life."""
        while not self._closed and self._epoch == epoch:
            try:
                kind, request, seed, value = messages.get(timeout=0.2)
            except queue.Empty:
                continue
            except (OSError, ValueError, EOFError):  # the pool was stopped mid-message
                return
            with self._lock:
                if kind == "start":
                    self._started[(request, seed)] = value
                elif request in self._ticks:
                    self._ticks[request] += 1

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            self._closed = True
            self._stop_pool()

    # Requests ------------------------------------------------------------------------

    def cancel(self, session: str = "default") -> None:
        """Stop a session's computation in flight; it raises `Cancelled` in its thread.

        Args:
            session: The browser tab (any string; the Python API uses "default").
        """
        with self._lock:
            self._current[session] = next(self._requests)
            if session in self._large:
                self._restart()

    def _is_current(self, session: str, request: int) -> bool:
        return self._current.get(session) == request

    def cached(self, config: RunConfig) -> xr.Dataset | None:
        """The dataset of a seed's configuration, if it was run before."""
        with self._cache_lock:
            return self._cache.get(config_hash(config))

    def compute(
        self, choice: Choice, progress: Progress | None = None, session: str = "default"
    ) -> xr.Dataset:
        """Every seed of a choice, against its no-fund world, as one dataset.

        Args:
            choice: The controls.
            progress: Called with (fraction done, a few words) while it runs.
            session: The browser tab asking; its newer requests supersede this one.

        Returns:
            The seeds' datasets along a `seed` dimension (`combine`).

        Raises:
            ConfigError: The choice is not a valid configuration.
            Cancelled: `cancel()` was called, or a newer request of the session came.
            WorkerLost: A worker process died while running a seed.
            Exception: Any error a worker raised while running a seed.
        """
        with self._lock:
            request = next(self._requests)
            self._current[session] = request
            if session in self._large:  # its older request still runs a large world
                self._restart()
            self._heal()
        configs = seed_configs(choice)
        keys = {c.seed: config_hash(c) for c in configs}
        with self._cache_lock:
            results = {seed: self._cache.get(key) for seed, key in keys.items()}
        todo = [c for c in configs if results[c.seed] is None]
        with self._lock:
            if not self._is_current(session, request):
                raise Cancelled
            self._ticks[request] = 0
            if todo and _is_large(configs[0]):
                self._large[session] = request
        try:
            pending = self._submit(todo, request, keys)
            epoch = self._epoch
            while pending:
                next(iter(pending.values())).wait(POLL_SECONDS)  # wakes as soon as one is ready
                with self._lock:
                    if not self._is_current(session, request):
                        raise Cancelled
                    self._heal()
                    if self._epoch != epoch:  # another session restarted the pool
                        epoch = self._epoch
                        lost = [c for c in todo if c.seed in pending]
                        pending = self._submit(lost, request, keys, locked=True)
                for seed, result in list(pending.items()):
                    if result.ready():
                        results[seed] = result.get()  # re-raises a worker's error
                        del pending[seed]
                self._check_workers(request, pending)
                if progress is not None:
                    progress(*self._progress(request, todo, pending, len(configs)))
        finally:
            with self._lock:
                self._ticks.pop(request, None)
                for c in todo:
                    self._started.pop((request, c.seed), None)
                if self._large.get(session) == request:
                    del self._large[session]
        combined = combine([results[c.seed] for c in configs], choice)
        self.offer(choice, combined)
        return combined

    def _submit(
        self, todo: list[RunConfig], request: int, keys: dict[int, str], locked: bool = False
    ) -> dict[int, multiprocessing.pool.AsyncResult]:
        """Send seeds to the pool; each finished seed goes to the cache as it arrives."""

        def submit() -> dict:
            return {
                c.seed: self._pool.apply_async(
                    _run_seed,
                    (c, request),
                    callback=functools.partial(self._remember, keys[c.seed]),
                )
                for c in todo
            }

        if locked:
            return submit()
        with self._lock:
            return submit()

    def _check_workers(self, request: int, pending: dict) -> None:
        with self._lock:
            running = {seed: self._started.get((request, seed)) for seed in pending}
        for seed, started in running.items():
            if started is not None and not _alive(started[0]):
                msg = (
                    f"the worker process running seed {seed} stopped (out of memory?); "
                    "try fewer seeds or a smaller world"
                )
                raise WorkerLost(msg)

    def _progress(
        self, request: int, todo: list[RunConfig], pending: dict, n_configs: int
    ) -> tuple[float, str]:
        full = 2 * todo[0].scenario.n_steps if todo else 0  # until a worker says otherwise
        with self._lock:
            done = self._ticks.get(request, 0)
            expected = sum(self._started.get((request, c.seed), (0, full))[1] for c in todo)
        finished = len(todo) - len(pending)
        fraction = min(done / expected, 1.0) if expected else 1.0
        text = f"{finished} of {len(todo)} seed(s) run, {n_configs - len(todo)} from the cache"
        return fraction, text

    def _remember(self, key: str, dataset: xr.Dataset) -> None:
        with self._cache_lock:
            keep_recent(self._cache, key, dataset, CACHED_SEEDS)

    # Figures and downloads -------------------------------------------------------------

    def draw(self, drawings: list[tuple[str, tuple]], session: str = "default") -> list[bytes]:
        """Draw figures in the worker processes, side by side.

        Args:
            drawings: (name of a function of `experiments.explore.figures`, its
                arguments), for each figure.
            session: The browser tab asking; a newer request of it cancels the drawing.

        Returns:
            PNG bytes, in the order of `drawings`.

        Raises:
            Cancelled: The session moved on, or cancelled.
        """
        with self._lock:
            request = self._current.get(session)
            epoch = self._epoch
            result = self._pool.starmap_async(shown.draw, drawings, chunksize=1)
        while not result.ready():
            result.wait(POLL_SECONDS)
            with self._lock:
                if self._current.get(session) != request:
                    raise Cancelled
                if self._epoch != epoch:  # the pool restarted: draw again
                    epoch = self._epoch
                    result = self._pool.starmap_async(shown.draw, drawings, chunksize=1)
        return result.get()

    def offer(self, choice: Choice, dataset: xr.Dataset) -> None:
        """Keep a choice's dataset for download under `download_key(choice)`."""
        self.offer_as(download_key(choice), dataset)

    def offer_as(self, key: str, dataset: xr.Dataset) -> None:
        """Keep a dataset for download under a key (`/download/<key>.nc`)."""
        with self._lock:
            keep_recent(self._downloads, key, dataset, KEPT_DOWNLOADS)

    def download(self, key: str) -> bytes | None:
        """The NetCDF bytes of a dataset computed recently, by `download_key`; else None."""
        from experiments.storage.files import netcdf_bytes

        with self._lock:
            dataset = self._downloads.get(key)
        return None if dataset is None else netcdf_bytes(dataset)


_SHARED: Explorer | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Explorer:
    """The server's one `Explorer`, shared by every browser tab (started on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Explorer()
        return _SHARED


def set_shared(explorer: Explorer) -> None:
    """Use this explorer for every browser tab (`alliance-explore` starts it first)."""
    global _SHARED
    with _SHARED_LOCK:
        _SHARED = explorer
