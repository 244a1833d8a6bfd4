"""Percentiles and summaries (seconds in, milliseconds out)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); q in [0, 100]."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """count, min, mean, p50, p95, p99 and max, in milliseconds (None when empty)."""
    if not seconds:
        return {k: None for k in ("min", "mean", "p50", "p95", "p99", "max")} | {"count": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "min": round(min(ms), 2),
        "mean": round(sum(ms) / len(ms), 2),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
    }
