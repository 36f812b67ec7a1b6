"""Loaders for benchmarks and their level series."""

from __future__ import annotations

from aiodataloader import DataLoader

from loaders.series import LatestLoader, SeriesLoader
from services.benchmarks import BenchmarkRecord, benchmarks_by_symbols
from services.resources import Resources
from services.series import BENCHMARK


class BenchmarkBySymbolLoader(DataLoader[str, BenchmarkRecord | None]):
    def __init__(self, resources: Resources) -> None:
        super().__init__()
        self.resources = resources

    async def batch_load_fn(self, keys: list[str]) -> list[BenchmarkRecord | None]:
        async with self.resources.sessions() as session:
            found = await benchmarks_by_symbols(session, keys)
        return [found.get(key) for key in keys]


class LatestByBenchmarkLoader(LatestLoader):
    table = BENCHMARK


class SeriesByBenchmarkLoader(SeriesLoader):
    table = BENCHMARK
