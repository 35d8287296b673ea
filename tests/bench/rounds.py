"""A ratio of two loads, each measured in short rounds that alternate, every round on a quiet system.

This machine's speed drifts by up to a third within minutes (every process alike, no steal time shown): two loads
measured one after the other can see two different machines, and their ratio moved between 20 % and 35 % from run
to run. Alternating rounds let both figures of a ratio see the same machine; the median of the rounds' ratios is
the figure, and every round's ratio is printed beside it, so a run that drifted shows.
"""
from __future__ import annotations

import statistics
from typing import Callable

from tests.bench import cpu
from tests.bench.settle import settle

ROUNDS, ROUND_S = 3, 4


def alternate(baseline: Callable[[int], dict], measured: Callable[[int], dict], database_urls: list[str],
              rounds: int = ROUNDS) -> tuple[dict, dict, list[float]]:
    """baseline(n) and measured(n) for each round n, in the order A B, B A, A B, ... so that a steady drift does not
    favour either; returns both combined and the ratio of each round."""
    base, other = [], []
    for n in range(rounds):
        pair = [(base, baseline), (other, measured)]
        for results, load in pair if n % 2 == 0 else reversed(pair):
            results.append(_window(lambda: load(n), database_urls))
    return combined(base), combined(other), [m["rps"] / b["rps"] for b, m in zip(base, other)]


def describe(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):>8.0%}   (rounds {', '.join(f'{r:.0%}' for r in ratios)})"


def _window(run: Callable[[], dict], database_urls: list[str]) -> dict:
    """One round on a quiet system: the previous round's events are applied first, not paid for by this one. The
    CPU is counted until the load ends; what its last few dozen milliseconds of events cost after that is left out."""
    settle(database_urls, quiet_s=1.0)
    before = cpu.snapshot()
    result = run()
    result["cpu_s"] = {role: after - before.get(role, 0.0) for role, after in cpu.snapshot().items()}
    return result


def combined(results: list[dict]) -> dict:
    """Rounds as one figure: median throughput and latencies, requests and failures summed, CPU per request over
    all of them."""
    requests = sum(r.get("requests") or 0 for r in results)
    spent: dict[str, float] = {}
    for r in results:
        for role, seconds in r["cpu_s"].items():
            spent[role] = spent.get(role, 0.0) + seconds
    return {"rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results), "requests": requests,
            "non_2xx": sum(r["non_2xx"] for r in results),
            "cpu_ms": cpu.per_request({}, spent, requests) if requests else {}}
