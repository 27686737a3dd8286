"""Shared timing helper of the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int) -> tuple[float, float]:
    """(min, median) seconds of ``repeat`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)
