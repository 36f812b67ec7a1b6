"""GraphQL types for benchmarks."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.context import Info
from schema.types.common import Interval, WindowInput
from schema.types.series import BenchmarkSeries, LatestPoint
from services.benchmarks import BenchmarkRecord


@strawberry.enum
class BenchmarkKind(Enum):
    EQUITY_INDEX = "EQUITY_INDEX"
    BOND_INDEX = "BOND_INDEX"
    CASH = "CASH"
    BLEND = "BLEND"


@strawberry.enum
class ReturnBasis(Enum):
    PRICE = "PRICE"
    TOTAL_RETURN = "TOTAL_RETURN"


@strawberry.type
class BenchmarkComponent:
    symbol: str
    weight: float


@strawberry.type(description="A market index, a modelled index, cash, or a blend of those.")
class Benchmark:
    _record: strawberry.Private[BenchmarkRecord]
    symbol: str
    name: str
    description: str
    kind: BenchmarkKind
    return_basis: ReturnBasis
    currency: str
    rebalance: str | None = strawberry.field(description="Rebalancing frequency of a blend.")
    components: list[BenchmarkComponent]

    @classmethod
    def from_record(cls, record: BenchmarkRecord) -> Benchmark:
        return cls(
            _record=record,
            symbol=record.symbol,
            name=record.name,
            description=record.description,
            kind=BenchmarkKind(record.kind),
            return_basis=ReturnBasis(record.return_basis),
            currency=record.currency,
            rebalance=record.rebalance,
            components=[
                BenchmarkComponent(symbol=c.symbol, weight=c.weight) for c in record.components
            ],
        )

    @strawberry.field(description="The newest level.")
    async def latest(self, info: Info) -> LatestPoint | None:
        from resolvers.benchmarks import benchmark_latest

        return await benchmark_latest(info, self._record)

    @strawberry.field(description="Levels over a window, bucketed in the database.")
    async def series(
        self,
        info: Info,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
    ) -> BenchmarkSeries:
        from resolvers.benchmarks import benchmark_series

        return await benchmark_series(info, self._record, window, interval)
