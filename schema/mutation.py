"""The root Mutation type. Expected failures are typed results, not exceptions."""

from __future__ import annotations

import strawberry

from resolvers.benchmarks import create_benchmark_from_input
from resolvers.ingest import record_benchmark_levels, record_performance_points
from resolvers.reports import create_report_link
from schema.context import Info
from schema.types.benchmarks import CreateBenchmarkInput, CreateBenchmarkResult
from schema.types.ingest import (
    BenchmarkPriceInput,
    PerformancePointInput,
    RecordBenchmarkPricesResult,
    RecordPerformanceResult,
)
from schema.types.reports import CreateReportLinkResult, ReportInput


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

    @strawberry.mutation(
        description=(
            "Register a benchmark (an index the market-data pipeline feeds, or a blend of "
            "registered ones). Every problem with the input is reported at once."
        )
    )
    async def create_benchmark(
        self, info: Info, input: CreateBenchmarkInput
    ) -> CreateBenchmarkResult:
        return await create_benchmark_from_input(info, input)

    @strawberry.mutation(
        description=(
            "A short-lived signed link to download a report (CSV or PDF) of a strategy "
            "against a benchmark. The link is bound to the caller: download it with the same "
            "credentials."
        )
    )
    async def create_report_link(self, info: Info, input: ReportInput) -> CreateReportLinkResult:
        return await create_report_link(info, input)
