"""Timing shared by the benchmarks: medians of repeated calls within a time budget."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(job: Callable[[], object], repeat: int, budget: float = 20.0) -> float:
    """Median wall time of `repeat` calls (at least 3; fewer than `repeat` once ~budget seconds are spent)."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (len(times) < 3 or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        job()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
