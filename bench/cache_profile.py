"""Where a cold dashboard request's CPU goes: bench/cache_bench.py prints it with its figures.

The process CPU time of each request, and the part of it spent in named synchronous
functions (nothing inside them awaits, so their wall time is this thread's CPU time). The
functions are wrapped only while this runs. The rest is the GraphQL execution itself
(strawberry and graphql-core resolving the fields), the loaders and the event loop, the
drivers (asyncpg, redis-py) and the middleware.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import bench.plain_dashboard
import loaders.returns
import schema.response_cache
import schema.types.analytics
import schema.types.series
import services._codec
import services.performance
import services.series
from schema.app import GraphQLView
from services.response_cache import StoredResponse

# (label, owner, attribute): every place the function is looked up from
TIMED: list[tuple[str, Any, str]] = [
    ("analytics: comparisons", services.performance, "compute_comparison"),
    ("analytics: metrics", services.performance, "compute_strategy_metrics"),
    ("analytics: comparisons", bench.plain_dashboard, "compare"),  # the same pure functions
    ("analytics: metrics", bench.plain_dashboard, "compute_metrics"),
    ("analytics: returns from series", loaders.returns, "windowed"),
    ("value cache: encoding", services._codec, "encode"),
    ("value cache: decoding", services._codec, "decode"),
    ("SQL columns to numpy", services.series, "_to_series"),
    ("ISO timestamp strings", services.series, "iso_utc"),
    ("ISO timestamp strings", schema.types.analytics, "iso_utc"),
    ("float columns to lists", schema.types.series, "float_column"),
    ("float columns to lists", schema.types.analytics, "float_column"),
    ("JSON encoding (orjson)", GraphQLView, "encode_json"),
    ("response cache: query cost", schema.response_cache, "analyse"),
    ("response cache: entry encoding", StoredResponse, "encode"),
]


@contextmanager
def timing() -> Iterator[dict[str, float]]:
    """Seconds spent in each labelled function (outermost calls only) while in the block."""
    spent: dict[str, float] = defaultdict(float)
    inside = [0]
    originals = [(owner, name, owner.__dict__[name]) for _, owner, name in TIMED]

    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if inside[0]:
                return fn(*args, **kwargs)
            inside[0] += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start
                inside[0] -= 1

        return timed

    for label, owner, name in TIMED:
        setattr(owner, name, wrap(label, getattr(owner, name)))
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


async def profile(
    request: Callable[[], Awaitable[object]], before: Callable[[], Awaitable[object]], rounds: int
) -> list[tuple[str, float]]:
    """Milliseconds per request: wall and CPU (medians), then the mean CPU by part."""
    walls, cpus = [], []
    with timing() as spent:
        for _ in range(rounds):
            await before()
            cpu, wall = time.process_time(), time.perf_counter()
            await request()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    mean_cpu = sum(cpus) / rounds * 1000
    parts = sorted(((label, s / rounds * 1000) for label, s in spent.items()), key=lambda p: -p[1])
    rest = mean_cpu - sum(ms for _, ms in parts)
    return [
        ("wall time (p50)", statistics.median(walls) * 1000),
        ("CPU time of this process (p50)", statistics.median(cpus) * 1000),
        ("CPU time (mean), of which:", mean_cpu),
        *((f"- {label}", ms) for label, ms in parts),
        ("- the rest", rest),
    ]
