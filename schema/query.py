"""The root Query type."""

from __future__ import annotations

import strawberry

from resolvers.analytics import Arguments
from resolvers.benchmarks import all_benchmarks, benchmark_by_symbol
from resolvers.compare import compare_strategies
from resolvers.strategies import get_strategies, get_strategy
from schema.context import Info
from schema.types.analytics import RiskFreeInput
from schema.types.benchmarks import Benchmark
from schema.types.blends import BenchmarkInput
from schema.types.common import Interval, WindowInput
from schema.types.compare import CompareEntry
from schema.types.strategies import Strategy, StrategyConnection, StrategyFilterInput
from services.analytics import AlignmentPolicy


@strawberry.type
class Query:
    @strawberry.field(description="A strategy by id or slug; null if unknown or not visible.")
    async def strategy(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Strategy | None:
        return await get_strategy(info, id, slug)

    @strawberry.field(description="Strategies in a stable order, as a cursor connection.")
    async def strategies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: StrategyFilterInput | None = None,
    ) -> StrategyConnection:
        return await get_strategies(info, first, after, filter)

    @strawberry.field(description="A benchmark by symbol (case-insensitive); null if unknown.")
    async def benchmark(self, info: Info, symbol: str) -> Benchmark | None:
        return await benchmark_by_symbol(info, symbol)

    @strawberry.field(description="Every benchmark, by symbol.")
    async def benchmarks(self, info: Info) -> list[Benchmark]:
        return await all_benchmarks(info)

    @strawberry.field(
        description=(
            "Several strategies side by side against one benchmark (default: each strategy's "
            "own), one entry per id in order; ids not visible give StrategyUnavailable."
        )
    )
    async def compare(
        self,
        info: Info,
        strategy_ids: list[strawberry.ID],
        benchmark: BenchmarkInput | None = None,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
        alignment: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
        risk_free: RiskFreeInput | None = None,
        periods_per_year: float | None = None,
    ) -> list[CompareEntry]:
        args = Arguments(
            window, interval, benchmark, risk_free, periods_per_year, alignment=alignment
        )
        return await compare_strategies(info, list(strategy_ids), args)
