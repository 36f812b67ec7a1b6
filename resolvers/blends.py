"""Benchmark and risk-free arguments resolved to validated specs, and blends' own series."""

from __future__ import annotations

import numpy as np
import strawberry

from loaders import Loaders
from loaders.blends import BlendKey
from schema.context import Info
from schema.types.analytics import RiskFreeInput
from schema.types.blends import BenchmarkInput
from schema.types.series import LatestPoint
from services.benchmarks import BenchmarkRecord
from services.blends import BenchmarkSpec, blend_spec, component_symbols, spec_for
from services.errors import InvalidInput, NotFound
from services.performance import RiskFreeSpec
from services.returns import last_timestamp, slice_series
from services.series import Series
from services.windows import Interval, Window, resolve


def is_set(value: object) -> bool:
    """Whether a field of a oneOf input was the one given (the others are UNSET)."""
    return value is not None and value is not strawberry.UNSET


async def benchmark_record(info: Info, symbol: str) -> BenchmarkRecord:
    return await find_benchmark(info.context.loaders, symbol)


async def find_benchmark(loaders: Loaders, symbol: str) -> BenchmarkRecord:
    record = await loaders.benchmark_by_symbol.load(symbol.upper())
    if record is None:
        raise NotFound(f"unknown benchmark {symbol!r}")
    return record


async def stored_spec(info: Info, record: BenchmarkRecord) -> BenchmarkSpec:
    return await benchmark_spec(info.context.loaders, record)


async def benchmark_spec(loaders: Loaders, record: BenchmarkRecord) -> BenchmarkSpec:
    """The spec of a stored benchmark, its components looked up for a blend."""
    symbols = component_symbols(record)
    found = await loaders.benchmark_by_symbol.load_many(symbols)
    return spec_for(record, dict(zip(symbols, found, strict=True)))


async def resolve_benchmark(
    info: Info, argument: BenchmarkInput | None, default_symbol: str | None
) -> BenchmarkSpec | None:
    """The benchmark asked for, else the strategy's default one, else None."""
    blend = argument.blend if argument is not None else None
    if blend is not None and is_set(blend):
        weights = [(c.symbol.upper(), c.weight) for c in blend.components]
        symbols = [symbol for symbol, _ in weights]
        found = await info.context.loaders.benchmark_by_symbol.load_many(symbols)
        return blend_spec(weights, blend.rebalance, dict(zip(symbols, found, strict=True)))
    symbol = argument.symbol if argument is not None and is_set(argument.symbol) else default_symbol
    if symbol is None:
        return None
    return await stored_spec(info, await benchmark_record(info, symbol))


async def resolve_risk_free(info: Info, argument: RiskFreeInput | None) -> RiskFreeSpec | None:
    if argument is None:
        return None
    if is_set(argument.rate):
        return RiskFreeSpec(annual_rate=argument.rate)
    return await cash_risk_free(info.context.loaders, argument.symbol or "")


async def cash_risk_free(loaders: Loaders, symbol: str) -> RiskFreeSpec:
    """A cash benchmark as the risk-free rate; another kind of benchmark is refused."""
    record = await find_benchmark(loaders, symbol)
    if record.kind != "CASH":
        raise InvalidInput(
            f"risk-free benchmark {record.symbol} is {record.kind}, not CASH: give a cash "
            "benchmark (such as TBILL_3M) or a rate"
        )
    return RiskFreeSpec(cash_id=record.id, cash_symbol=record.symbol)


async def blend_series(
    info: Info, record: BenchmarkRecord, window: Window, interval: Interval
) -> Series:
    """A stored blend's series over a window; presets end at its components' last common date."""
    spec = await stored_spec(info, record)
    full = await info.context.loaders.analytics.series_by_blend.load(BlendKey(spec, interval))
    return slice_series(full, resolve(window, last_timestamp(full)))


async def blend_latest(info: Info, record: BenchmarkRecord) -> LatestPoint | None:
    """A blend's newest daily level; its seq is the newest of its components' (its inputs'
    data version), as a blend has no writes of its own."""
    spec = await stored_spec(info, record)
    full = await info.context.loaders.analytics.series_by_blend.load(BlendKey(spec, Interval.DAY))
    if len(full) == 0:
        return None
    latest = await info.context.loaders.latest_by_benchmark.load_many(
        [leg.benchmark_id for leg in spec.legs]
    )
    last_return = float(full.returns[-1])
    return LatestPoint(
        timestamp=full.timestamp_at(-1),
        value=float(full.values[-1]),
        return_=None if np.isnan(last_return) else last_return,
        seq=max(point.seq for point in latest if point is not None),
    )
