"""The root Mutation type. Expected failures are typed results, not exceptions."""

from __future__ import annotations

import strawberry

from resolvers.ingest import record_benchmark_levels, record_performance_points
from schema.context import Info
from schema.types.ingest import (
    BenchmarkPriceInput,
    PerformancePointInput,
    RecordBenchmarkPricesResult,
    RecordPerformanceResult,
)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Record NAV points (new, revised or identical). Bad rows are rejected with a "
            "reason and quarantined; they never block the good ones."
        )
    )
    async def record_performance(
        self, info: Info, strategy_id: strawberry.ID, points: list[PerformancePointInput]
    ) -> RecordPerformanceResult:
        return await record_performance_points(info, strategy_id, points)

    @strawberry.mutation(description="Record benchmark index levels.")
    async def record_benchmark_prices(
        self, info: Info, symbol: str, prices: list[BenchmarkPriceInput]
    ) -> RecordBenchmarkPricesResult:
        return await record_benchmark_levels(info, symbol, prices)
