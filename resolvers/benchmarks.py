"""Benchmark resolvers."""

from __future__ import annotations

from loaders import SeriesKey
from resolvers.blends import blend_latest, blend_series
from resolvers.strategies import to_window
from schema.context import Info
from schema.types.benchmarks import (
    Benchmark,
    BenchmarkCreated,
    BenchmarkFreshness,
    BenchmarkWarning,
    CreateBenchmarkInput,
    CreateBenchmarkResult,
)
from schema.types.common import WindowInput
from schema.types.ingest import ValidationError
from schema.types.series import BenchmarkSeries, LatestPoint
from services import access
from services.benchmarks import BenchmarkRecord, create_benchmark, list_benchmarks
from services.errors import InvalidInput
from services.feeds.warnings import MAX_WARNINGS, WarningsRequest
from services.versions import CATALOG
from services.windows import Interval


async def benchmark_by_symbol(info: Info, symbol: str) -> Benchmark | None:
    record = await info.context.loaders.benchmark_by_symbol.load(symbol.upper())
    return Benchmark.from_record(record) if record else None


async def all_benchmarks(info: Info) -> list[Benchmark]:
    async with info.context.resources.sessions() as session:
        records = await list_benchmarks(session)
    for record in records:
        info.context.loaders.benchmark_by_symbol.prime(record.symbol, record)
    return [Benchmark.from_record(r) for r in records]


async def benchmark_latest(info: Info, record: BenchmarkRecord) -> LatestPoint | None:
    if record.is_blend:
        return await blend_latest(info, record)
    latest = await info.context.loaders.latest_by_benchmark.load(record.id)
    if latest is None:
        return None
    return LatestPoint(
        timestamp=latest.timestamp, value=latest.value, return_=latest.return_, seq=latest.seq
    )


async def benchmark_series(
    info: Info, record: BenchmarkRecord, window: WindowInput | None, interval: Interval
) -> BenchmarkSeries:
    if record.is_blend:
        series = await blend_series(info, record, to_window(window), interval)
        return BenchmarkSeries(interval=interval, _series=series)
    key = SeriesKey(record.id, to_window(window), interval)
    series = await info.context.loaders.series_by_benchmark.load(key)
    return BenchmarkSeries(interval=interval, _series=series)


async def benchmark_freshness(info: Info, record: BenchmarkRecord) -> BenchmarkFreshness:
    # Staleness depends on the clock, not only on stored data: never a stored response.
    info.context.loaders.versions.dependencies.uncacheable("freshness depends on the time")
    freshness = await info.context.loaders.freshness_by_benchmark.load(record.id)
    return BenchmarkFreshness.from_freshness(freshness, record)


async def benchmark_warnings(
    info: Info, record: BenchmarkRecord, first: int
) -> list[BenchmarkWarning]:
    if not 0 < first <= MAX_WARNINGS:
        raise InvalidInput(f"first must be between 1 and {MAX_WARNINGS}, got {first}")
    found = await info.context.loaders.warnings_by_benchmark.load(WarningsRequest(record.id, first))
    return [BenchmarkWarning.from_record(w) for w in found]


async def create_benchmark_from_input(
    info: Info, data: CreateBenchmarkInput
) -> CreateBenchmarkResult:
    access.check_benchmark_write(info.context.principal)
    resources = info.context.resources
    try:
        async with resources.cache.versions.writing([CATALOG]) as write:  # the list changes
            async with resources.sessions() as session:
                record = await create_benchmark(session, data=data.to_new())
            write.committed(CATALOG)
    except InvalidInput as exc:
        return ValidationError(message=str(exc), field="input")
    return BenchmarkCreated(benchmark=Benchmark.from_record(record))
