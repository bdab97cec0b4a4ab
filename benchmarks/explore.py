"""How fast the explorer answers a change of its controls.

    python benchmarks/explore.py            # default world, 5 seeds, 2 workers

Measures what stands between a click and the new page: `Explorer.compute` (the
seeds, in the worker processes) and `shown.prepare` (the tables and the four
figures' data, which plotly.js draws in the page), for every strategy in turn
(the workers keep the no-fund worlds and the strategies' configurations are
composed ahead, as in the app), then a revisit (seeds from the cache, the page
prepared again), then one seed of the national world: the time to its first
progress report and the time a cancel takes to free the
engine. Prints a Markdown table with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time

from experiments.explore import shown
from experiments.explore.choice import STRATEGIES, Choice
from experiments.explore.compute import Cancelled, Explorer, warm_compositions


def answer(explorer: Explorer, choice: Choice) -> tuple[float, float]:
    """Seconds to compute a choice, and to prepare its page."""
    start = time.perf_counter()
    dataset = explorer.compute(choice)
    computed = time.perf_counter()
    shown.prepare(dataset, choice, explorer.draw)
    return computed - start, time.perf_counter() - computed


def national_cancel(explorer: Explorer) -> tuple[float, float]:
    """Seconds to the first progress report of a national run, and for a cancel."""
    first = threading.Event()
    start = time.perf_counter()
    result = {}

    def work() -> None:
        try:
            explorer.compute(
                Choice(scenario="national", n_seeds=1),
                lambda fraction, text: fraction > 0 and first.set(),
            )
        except Cancelled:
            result["cancelled"] = time.perf_counter()

    thread = threading.Thread(target=work)
    thread.start()
    first.wait(timeout=120)
    progress = time.perf_counter() - start
    asked = time.perf_counter()
    explorer.cancel()
    thread.join()
    return progress, result["cancelled"] - asked


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()

    start = time.perf_counter()
    explorer = Explorer(args.workers)
    first_compute, first_prepare = answer(explorer, Choice(n_seeds=args.seeds))
    first = time.perf_counter() - start
    warm_compositions(Choice(n_seeds=args.seeds))  # as alliance-explore does at start-up
    changes = [
        answer(explorer, Choice(strategy=name, n_seeds=args.seeds))
        for name in STRATEGIES
        if name != "uniform"
    ]
    budgets = [
        answer(explorer, Choice(budget_eur=budget, n_seeds=args.seeds))
        for budget in (1e6, 2e6, 3e6)
    ]  # composed afresh: only the strategies are composed ahead
    revisit = answer(explorer, Choice(strategy="concentrated", n_seeds=args.seeds))
    progress, cancel = national_cancel(explorer)
    explorer.close()

    def row(what: str, compute: float, prepare: float) -> str:
        return f"| {what} | {compute:.2f} | {prepare:.2f} | {compute + prepare:.2f} |"

    print(
        f"Explorer, default world, {args.seeds} seeds, {args.workers} workers; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print("| after | compute (s) | tables and figures (s) | total (s) |")
    print("|---|---:|---:|---:|")
    print(
        f"| first page, from a cold start ({first:.2f} s with the workers' start) |"
        f" {first_compute:.2f} | {first_prepare:.2f} | {first_compute + first_prepare:.2f} |"
    )
    computes = [c for c, _ in changes]
    prepares = [p for _, p in changes]
    print(
        row(
            f"a change of strategy (median of {len(changes)})",
            statistics.median(computes),
            statistics.median(prepares),
        )
    )
    print(
        row(
            f"a change of strategy (slowest of {len(changes)})",
            max(computes),
            prepares[computes.index(max(computes))],
        )
    )
    budget_computes = [c for c, _ in budgets]
    print(
        row(
            f"a change of budget (median of {len(budgets)}, composed afresh)",
            statistics.median(budget_computes),
            statistics.median([p for _, p in budgets]),
        )
    )
    print(row("back to a strategy seen before (cache)", *revisit))
    print(
        f"\nNational world, one seed: first progress after {progress:.1f} s; "
        f"a cancel freed the engine in {cancel:.2f} s."
    )


if __name__ == "__main__":
    main()
