"""GraphQL types for strategies."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.context import Info
from schema.types.benchmarks import Benchmark
from schema.types.common import Interval, PageInfo, WindowInput
from schema.types.series import LatestPoint, Performance
from services.strategies import StrategyRecord


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
