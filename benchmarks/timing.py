"""Timing helpers shared by the benchmarks: median of repeated windows after a warm-up."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def rate(run_window: Callable[[], int], windows: int = 5, warmup: int = 1) -> float:
    """Median items/s over `windows` calls of `run_window`, which does the work and returns the item count."""
    for _ in range(warmup):
        run_window()
    rates = []
    for _ in range(windows):
        start = time.perf_counter()
        items = run_window()
        rates.append(items / (time.perf_counter() - start))
    return statistics.median(rates)
