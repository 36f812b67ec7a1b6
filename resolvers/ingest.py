"""Mutations that record strategy performance and benchmark prices."""

from __future__ import annotations

from resolvers.strategies import parse_strategy_id
from schema.context import Info
from schema.types.ingest import (
    BenchmarkPriceInput,
    BenchmarkPricesRecorded,
    NotFoundError,
    PerformancePointInput,
    PerformanceRecorded,
    RecordBenchmarkPricesResult,
    RecordPerformanceResult,
    ValidationError,
)
from services import access
from services.errors import InvalidInput, NotFound
from services.ingest import record_benchmark_prices, record_performance
from services.validation import IncomingRow

MAX_ROWS = 10_000


def _too_many(count: int, name: str) -> ValidationError | None:
    if count == 0:
        return ValidationError(message=f"{name} is empty", field=name)
    if count > MAX_ROWS:
        message = f"{count} rows in one request; at most {MAX_ROWS} (use the bulk import)"
        return ValidationError(message=message, field=name)
    return None


async def record_performance_points(
    info: Info, strategy_id: str, points: list[PerformancePointInput]
) -> RecordPerformanceResult:
    if error := _too_many(len(points), "points"):
        return error
    try:
        sid = parse_strategy_id(strategy_id)
    except InvalidInput as exc:
        return ValidationError(message=str(exc), field="strategyId")
    record = await info.context.loaders.strategy_by_id.load(sid)
    principal = info.context.principal
    if record is None or not access.can_read_strategy(principal, record):
        return NotFoundError(message=f"strategy {strategy_id} does not exist")
    access.check_strategy_write(principal, record)
    rows = [IncomingRow(p.timestamp, p.nav, p.cash_flow) for p in points]
    try:
        result = await record_performance(
            info.context.resources, sid, rows, source=f"graphql:{principal.name}"
        )
    except NotFound as exc:
        return NotFoundError(message=str(exc))
    return PerformanceRecorded.from_result(result)


async def record_benchmark_levels(
    info: Info, symbol: str, prices: list[BenchmarkPriceInput]
) -> RecordBenchmarkPricesResult:
    if error := _too_many(len(prices), "prices"):
        return error
    principal = info.context.principal
    access.check_benchmark_write(principal)
    rows = [IncomingRow(p.timestamp, p.level) for p in prices]
    try:
        result = await record_benchmark_prices(
            info.context.resources, symbol.upper(), rows, source=f"graphql:{principal.name}"
        )
    except NotFound as exc:
        return NotFoundError(message=str(exc))
    except InvalidInput as exc:
        return ValidationError(message=str(exc), field="symbol")
    return BenchmarkPricesRecorded.from_result(symbol.upper(), result)
