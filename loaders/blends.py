"""Blends' full series, computed from their components' full series."""

from __future__ import annotations

from typing import NamedTuple

from aiodataloader import DataLoader

from loaders.benchmarks import SeriesByBenchmarkLoader
from loaders.series import SeriesKey
from services.blends import BenchmarkSpec, blend_series
from services.series import Series
from services.windows import MAX_WINDOW, Interval


class BlendKey(NamedTuple):
    spec: BenchmarkSpec
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
