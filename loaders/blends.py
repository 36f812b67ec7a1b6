"""Loaders for benchmark returns: stored series and blends computed from their components."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

from aiodataloader import DataLoader

from loaders.benchmarks import LatestByBenchmarkLoader, SeriesByBenchmarkLoader
from loaders.series import SeriesKey, as_of
from services.blends import BenchmarkSpec, blend_series
from services.returns import WindowedReturns, last_timestamp, slice_series, windowed
from services.series import Series
from services.windows import MAX_WINDOW, Interval, Window, resolve


class BlendKey(NamedTuple):
    spec: BenchmarkSpec
    interval: Interval


class BenchmarkReturnsKey(NamedTuple):
    spec: BenchmarkSpec
    window: Window
    interval: Interval


class SeriesByBlendLoader(DataLoader[BlendKey, Series]):
    """A blend's full series, from its components' full series (one batch for all blends)."""

    def __init__(self, series: SeriesByBenchmarkLoader) -> None:
        super().__init__()
        self.series = series

    async def batch_load_fn(self, keys: list[BlendKey]) -> list[Series]:
        wanted = {
            SeriesKey(leg.benchmark_id, MAX_WINDOW, k.interval) for k in keys for leg in k.spec.legs
        }
        ordered = list(wanted)
        found = dict(zip(ordered, await self.series.load_many(ordered), strict=True))
        return [
            blend_series(
                k.spec,
                [found[SeriesKey(leg.benchmark_id, MAX_WINDOW, k.interval)] for leg in k.spec.legs],
            )
            for k in keys
        ]


class ReturnsByBenchmarkLoader(DataLoader[BenchmarkReturnsKey, WindowedReturns]):
    """Returns of a benchmark (stored or blend) over a window; presets resolve against its
    own latest point (a blend's: the last date its components share)."""

    def __init__(
        self,
        latest: LatestByBenchmarkLoader,
        series: SeriesByBenchmarkLoader,
        blends: SeriesByBlendLoader,
    ) -> None:
        super().__init__()
        self.latest = latest
        self.series = series
        self.blends = blends

    async def batch_load_fn(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        plain = [k for k in keys if not k.spec.is_blend]
        blended = [k for k in keys if k.spec.is_blend]
        stored, computed = await asyncio.gather(self._stored(plain), self._blends(blended))
        results = {
            **dict(zip(plain, stored, strict=True)),
            **dict(zip(blended, computed, strict=True)),
        }
        return [results[k] for k in keys]

    async def _stored(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        ids = [k.spec.legs[0].benchmark_id for k in keys]
        latest = await self.latest.load_many(ids)
        series = await self.series.load_many(
            [SeriesKey(i, k.window, k.interval) for i, k in zip(ids, keys, strict=True)]
        )
        return [
            windowed(s, k.window, resolve(k.window, as_of(last)))
            for k, s, last in zip(keys, series, latest, strict=True)
        ]

    async def _blends(self, keys: list[BenchmarkReturnsKey]) -> list[WindowedReturns]:
        full = await self.blends.load_many([BlendKey(k.spec, k.interval) for k in keys])
        results = []
        for k, series in zip(keys, full, strict=True):
            resolved = resolve(k.window, last_timestamp(series))
            results.append(windowed(slice_series(series, resolved), k.window, resolved))
        return results
