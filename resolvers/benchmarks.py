"""Benchmark resolvers."""

from __future__ import annotations

from loaders import SeriesKey
from resolvers.blends import blend_latest, blend_series
from resolvers.strategies import to_window
from schema.context import Info
from schema.types.benchmarks import Benchmark
from schema.types.common import WindowInput
from schema.types.series import BenchmarkSeries, LatestPoint
from services.benchmarks import BenchmarkRecord, list_benchmarks
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
