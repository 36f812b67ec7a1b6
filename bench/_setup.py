"""Shared set-up for benchmarks: the configured servers or embedded ones in .perfgraph/bench."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from schema.app import prepare_database
from services.config import Environment, load_settings
from services.resources import Resources, open_resources

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


async def open_bench_resources() -> Resources:
    settings = load_settings(environment=Environment.TEST, data_dir=ROOT / ".perfgraph" / "bench")
    resources = await open_resources(settings)
    await prepare_database(resources)
    return resources


async def timed(fn: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    """Wall times in milliseconds of ``repeat`` sequential calls (after one warm-up)."""
    await fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(times: list[float]) -> float:
    return statistics.median(times)
