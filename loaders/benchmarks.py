"""Loaders for benchmarks and their level series."""

from __future__ import annotations

from datetime import UTC, datetime

from aiodataloader import DataLoader

from loaders.series import LatestLoader, SeriesLoader
from loaders.versions import VersionsByDepLoader
from services.benchmarks import BenchmarkRecord, benchmarks_by_ids, benchmarks_by_symbols
from services.feeds.warnings import WarningRecord, WarningsRequest, warnings_by_requests
from services.freshness import Freshness, freshness_of
from services.resources import Resources
from services.series import BENCHMARK
from services.versions import Dep


class BenchmarkBySymbolLoader(DataLoader[str, BenchmarkRecord | None]):
    def __init__(self, resources: Resources, versions: VersionsByDepLoader) -> None:
        super().__init__()
        self.resources = resources
        self.versions = versions

    async def batch_load_fn(self, keys: list[str]) -> list[BenchmarkRecord | None]:
        async with self.resources.sessions() as session:
            found = await benchmarks_by_symbols(session, keys)
        for record in found.values():
            self.versions.note(Dep("benchmark", record.id), record.last_seq)
        return [found.get(key) for key in keys]

    def prime(self, key: str, value: BenchmarkRecord | None) -> BenchmarkBySymbolLoader:
        if value is not None:
            self.versions.note(Dep("benchmark", value.id), value.last_seq)
        super().prime(key, value)
        return self


class LatestByBenchmarkLoader(LatestLoader):
    kind = "benchmark-latest"
    table = BENCHMARK
    depends_on = "benchmark"


class SeriesByBenchmarkLoader(SeriesLoader):
    kind = "benchmark-series"
    table = BENCHMARK
    depends_on = "benchmark"


class FreshnessByBenchmarkLoader(DataLoader[int, Freshness]):
    """Freshness at the time the batch runs, blends from their components."""

    def __init__(self, resources: Resources) -> None:
        super().__init__()
        self.resources = resources

    async def batch_load_fn(self, keys: list[int]) -> list[Freshness]:
        async with self.resources.sessions() as session:
            records = await benchmarks_by_ids(session, keys)
            found = await freshness_of(session, list(records.values()), datetime.now(UTC))
        return [found[key] for key in keys]


class WarningsByBenchmarkLoader(DataLoader[WarningsRequest, list[WarningRecord]]):
    def __init__(self, resources: Resources) -> None:
        super().__init__()
        self.resources = resources

    async def batch_load_fn(self, keys: list[WarningsRequest]) -> list[list[WarningRecord]]:
        async with self.resources.sessions() as session:
            return await warnings_by_requests(session, keys)
