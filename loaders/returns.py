"""Returns over windows for analytics: strategies', and benchmarks' (stored or blends)."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from aiodataloader import DataLoader

from loaders.benchmarks import LatestByBenchmarkLoader, SeriesByBenchmarkLoader
from loaders.blends import BlendKey, SeriesByBlendLoader
from loaders.series import SeriesKey, as_of
from loaders.strategies import LatestByStrategyLoader, SeriesByStrategyLoader
from services.blends import BenchmarkSpec
from services.returns import (
    DateIndexes,
    WindowedReturns,
    last_timestamp,
    slice_series,
    windowed,
)
from services.windows import Interval, Window, resolve


class BenchmarkReturnsKey(NamedTuple):
    spec: BenchmarkSpec
    window: Window
    interval: Interval


class ReturnsByStrategyLoader(DataLoader[SeriesKey, WindowedReturns]):
    """Returns of a strategy over a window, presets resolved against its latest point.

    ``indexes``: shared with the benchmarks' loader of the same request, so that returns on
    the same dates share one index (built once)."""

    def __init__(
        self,
        latest: LatestByStrategyLoader,
        series: SeriesByStrategyLoader,
        indexes: DateIndexes | None = None,
    ) -> None:
        super().__init__()
        self.latest = latest
        self.series = series
        self.indexes = indexes if indexes is not None else DateIndexes()

    async def batch_load_fn(self, keys: list[SeriesKey]) -> list[WindowedReturns]:
        latest = await self.latest.load_many([k.entity_id for k in keys])
        series = await self.series.load_many(keys)
        return [
            windowed(s, k.window, resolve(k.window, as_of(last)), self.indexes)
            for k, s, last in zip(keys, series, latest, strict=True)
        ]


class ReturnsByBenchmarkLoader(DataLoader[BenchmarkReturnsKey, WindowedReturns]):
    """Returns of a benchmark (stored or blend) over a window; presets resolve against its
    own latest point (a blend's: the last date its components share)."""

    def __init__(
        self,
        latest: LatestByBenchmarkLoader,
        series: SeriesByBenchmarkLoader,
        blends: SeriesByBlendLoader,
        indexes: DateIndexes | None = None,
    ) -> None:
        super().__init__()
        self.latest = latest
        self.series = series
        self.blends = blends
        self.indexes = indexes if indexes is not None else DateIndexes()

    async def batch_load_fn(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        plain = [k for k in keys if not k.spec.is_blend]
        blended = [k for k in keys if k.spec.is_blend]
        stored, computed = await asyncio.gather(self._stored(plain), self._blends(blended))
        results = {
            **dict(zip(plain, stored, strict=True)),
            **dict(zip(blended, computed, strict=True)),
        }
        return [results[k] for k in keys]

    def prefetch_latest(self, ids: list[int]) -> None:
        """Start loading the latest points of stored benchmarks (awaited by the batch that
        needs them; a failure is raised there, not logged as never retrieved here)."""
        self.latest.load_many(ids).add_done_callback(_retrieved)

    async def _stored(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        ids = [k.spec.legs[0].benchmark_id for k in keys]
        latest = await self.latest.load_many(ids)
        series = await self.series.load_many(
            [SeriesKey(i, k.window, k.interval) for i, k in zip(ids, keys, strict=True)]
        )
        return [
            windowed(s, k.window, resolve(k.window, as_of(last)), self.indexes)
            for k, s, last in zip(keys, series, latest, strict=True)
        ]

    async def _blends(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        full = await self.blends.load_many([BlendKey(k.spec, k.interval) for k in keys])
        results = []
        for k, series in zip(keys, full, strict=True):
            resolved = resolve(k.window, last_timestamp(series))
            sliced = slice_series(series, resolved)
            results.append(windowed(sliced, k.window, resolved, self.indexes))
        return results


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
