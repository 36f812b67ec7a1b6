"""GraphQL types for strategies."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.context import Info
from schema.types.analytics import Drawdown, Metrics, RiskFreeInput
from schema.types.benchmarks import Benchmark
from schema.types.blends import BenchmarkInput
from schema.types.common import Interval, PageInfo, WindowInput
from schema.types.comparison import Comparison
from schema.types.periods import LookbackReturns, PeriodReturns, Rolling
from schema.types.series import LatestPoint, Performance
from services.analytics import AlignmentPolicy, PeriodFrequency, RollingMetric
from services.strategies import StrategyRecord

COMPOUND = AlignmentPolicy.COMPOUND_TO_COMMON


@strawberry.type(description="A trading strategy whose NAV perfgraph tracks.")
class Strategy:
    _record: strawberry.Private[StrategyRecord]
    id: strawberry.ID
    slug: str
    name: str
    description: str
    asset_class: str
    base_currency: str
    status: str
    inception_date: date | None
    last_seq: int = strawberry.field(
        description="Sequence number of the last committed change (the data version)."
    )

    @classmethod
    def from_record(cls, record: StrategyRecord) -> Strategy:
        return cls(
            _record=record,
            id=strawberry.ID(str(record.id)),
            slug=record.slug,
            name=record.name,
            description=record.description,
            asset_class=record.asset_class,
            base_currency=record.base_currency,
            status=record.status,
            inception_date=record.inception_date,
            last_seq=record.last_seq,
        )

    @strawberry.field(description="The default benchmark.")
    async def benchmark(self, info: Info) -> Benchmark | None:
        from resolvers.benchmarks import benchmark_by_symbol

        symbol = self._record.benchmark_symbol
        return await benchmark_by_symbol(info, symbol) if symbol else None

    @strawberry.field(description="The newest NAV point.")
    async def latest(self, info: Info) -> LatestPoint | None:
        from resolvers.strategies import strategy_latest

        return await strategy_latest(info, self._record)

    @strawberry.field(description="NAV, time-weighted returns and drawdowns over a window.")
    async def performance(
        self,
        info: Info,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
    ) -> Performance:
        from resolvers.strategies import strategy_performance

        return await strategy_performance(info, self._record, window, interval)

    @strawberry.field(
        description=(
            "Risk and return metrics over a window. benchmark (default: the strategy's) adds "
            "the benchmark's metrics over the same span; riskFree omitted is zero."
        )
    )
    async def metrics(
        self,
        info: Info,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
        benchmark: BenchmarkInput | None = None,
        risk_free: RiskFreeInput | None = None,
        periods_per_year: float | None = None,
        var_level: float = 0.95,
    ) -> Metrics:
        from resolvers.analytics import Arguments, strategy_metrics

        args = Arguments(window, interval, benchmark, risk_free, periods_per_year, var_level)
        return await strategy_metrics(info, self._record, args)

    @strawberry.field(
        description="Against a benchmark (default: the strategy's) over their aligned periods."
    )
    async def comparison(
        self,
        info: Info,
        benchmark: BenchmarkInput | None = None,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
        alignment: AlignmentPolicy = COMPOUND,
        risk_free: RiskFreeInput | None = None,
        periods_per_year: float | None = None,
    ) -> Comparison:
        from resolvers.analytics import Arguments, strategy_comparison

        args = Arguments(
            window, interval, benchmark, risk_free, periods_per_year, alignment=alignment
        )
        return await strategy_comparison(info, self._record, args)

    @strawberry.field(description="The deepest drawdown episodes in a window, deepest first.")
    async def drawdowns(
        self,
        info: Info,
        top: int = 5,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
    ) -> list[Drawdown]:
        from resolvers.analytics import Arguments, strategy_drawdowns

        return await strategy_drawdowns(info, self._record, top, Arguments(window, interval))

    @strawberry.field(
        description=(
            "Calendar-period returns of the strategy, its benchmark (default: the strategy's) "
            "and the difference, from daily returns."
        )
    )
    async def period_returns(
        self,
        info: Info,
        frequency: PeriodFrequency,
        benchmark: BenchmarkInput | None = None,
        window: WindowInput | None = None,
        alignment: AlignmentPolicy = COMPOUND,
    ) -> PeriodReturns:
        from resolvers.analytics import Arguments, strategy_period_returns

        args = Arguments(window, benchmark=benchmark, alignment=alignment)
        return await strategy_period_returns(info, self._record, frequency, args)

    @strawberry.field(description="MTD, QTD, YTD, 1M..5Y and since-inception returns.")
    async def lookback_returns(
        self, info: Info, periods_per_year: float | None = None
    ) -> LookbackReturns:
        from resolvers.analytics import strategy_lookbacks

        return await strategy_lookbacks(info, self._record, periods_per_year)

    @strawberry.field(
        description=(
            "A metric over a trailing window of `periods` returns (63, 126, 252 or any >= 2). "
            "BETA and ALPHA use the benchmark (default: the strategy's)."
        )
    )
    async def rolling(
        self,
        info: Info,
        metric: RollingMetric,
        periods: int,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
        benchmark: BenchmarkInput | None = None,
        risk_free: RiskFreeInput | None = None,
        periods_per_year: float | None = None,
        alignment: AlignmentPolicy = COMPOUND,
    ) -> Rolling:
        from resolvers.analytics import Arguments, strategy_rolling

        args = Arguments(
            window, interval, benchmark, risk_free, periods_per_year, alignment=alignment
        )
        return await strategy_rolling(info, self._record, metric, periods, args)


@strawberry.input
class StrategyFilterInput:
    search: str | None = strawberry.field(default=None, description="Part of the name or slug.")
    asset_class: str | None = None
    status: str | None = None
    slugs: list[str] | None = None


@strawberry.type
class StrategyEdge:
    cursor: str
    node: Strategy


@strawberry.type
class StrategyConnection:
    edges: list[StrategyEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Strategy]:
        return [edge.node for edge in self.edges]
