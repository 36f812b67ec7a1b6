"""GraphQL types for benchmarks."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from schema.context import Info
from schema.types.common import Interval, WindowInput
from schema.types.ingest import ValidationError
from schema.types.series import BenchmarkSeries, LatestPoint
from services.benchmarks import BenchmarkComponent as ServiceComponent
from services.benchmarks import BenchmarkRecord, NewBenchmark
from services.feeds.warnings import WarningRecord
from services.freshness import Freshness


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


@strawberry.enum(description="How often a benchmark gets a level.")
class Cadence(Enum):
    DAILY = "DAILY"
    INTRADAY = "INTRADAY"


@strawberry.type
class BenchmarkComponent:
    symbol: str
    weight: float


@strawberry.type(description="Freshness rules: docs/feeds.md.")
class BenchmarkFreshness:
    as_of: datetime | None = strawberry.field(description="Timestamp of the newest level.")
    received_at: datetime | None = strawberry.field(
        description="When the newest level arrived (null for levels loaded before tracking)."
    )
    latency_seconds: float | None = strawberry.field(
        description="From the newest level's observation (its close, for daily levels) to its "
        "arrival."
    )
    is_stale: bool = strawberry.field(
        description="The next level is overdue by more than staleAfterSeconds; weekends and "
        "exchange holidays never count."
    )
    expected_next_at: datetime | None = strawberry.field(
        description="When the next level is due: the next session's close (DAILY), or now / "
        "the next open (INTRADAY)."
    )
    stale_after_seconds: int
    calendar: str
    cadence: Cadence

    @classmethod
    def from_freshness(cls, f: Freshness, record: BenchmarkRecord) -> BenchmarkFreshness:
        return cls(
            as_of=f.as_of,
            received_at=f.received_at,
            latency_seconds=f.latency_s,
            is_stale=f.is_stale,
            expected_next_at=f.expected_next_at,
            stale_after_seconds=f.stale_after_s,
            calendar=record.calendar,
            cadence=Cadence(record.cadence),
        )


@strawberry.enum
class BenchmarkWarningKind(Enum):
    JUMP = "JUMP"
    MISSING_SESSIONS = "MISSING_SESSIONS"


@strawberry.type(description="Stored data that looks wrong: a jump, or sessions without a level.")
class BenchmarkWarning:
    kind: BenchmarkWarningKind
    timestamp: datetime | None = strawberry.field(description="The level concerned, if one.")
    message: str
    source: str
    recorded_at: datetime

    @classmethod
    def from_record(cls, w: WarningRecord) -> BenchmarkWarning:
        return cls(
            kind=BenchmarkWarningKind(w.kind),
            timestamp=w.ts,
            message=w.message,
            source=w.source,
            recorded_at=w.recorded_at,
        )


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

    @strawberry.field(
        description=(
            "Sequence number of the last committed change to the levels, a revision of an old"
            " level included (the data version: resume benchmarkTicks after it). Null for a"
            " blend, which has no levels of its own: follow its components."
        )
    )
    def last_seq(self) -> int | None:
        return None if self._record.is_blend else self._record.last_seq

    @strawberry.field(description="The newest level.")
    async def latest(self, info: Info) -> LatestPoint | None:
        from resolvers.benchmarks import benchmark_latest

        return await benchmark_latest(info, self._record)

    @strawberry.field(
        description=(
            "How current the levels are, on the benchmark's trading calendar (a blend: its "
            "stalest component)."
        )
    )
    async def freshness(self, info: Info) -> BenchmarkFreshness:
        from resolvers.benchmarks import benchmark_freshness

        return await benchmark_freshness(info, self._record)

    @strawberry.field(
        description="Warnings about stored levels (jumps, missing sessions), newest first."
    )
    async def warnings(self, info: Info, first: int = 20) -> list[BenchmarkWarning]:
        from resolvers.benchmarks import benchmark_warnings

        return await benchmark_warnings(info, self._record, first)

    @strawberry.field(description="Levels over a window, bucketed in the database.")
    async def series(
        self,
        info: Info,
        window: WindowInput | None = None,
        interval: Interval = Interval.DAY,
    ) -> BenchmarkSeries:
        from resolvers.benchmarks import benchmark_series

        return await benchmark_series(info, self._record, window, interval)


@strawberry.input
class BenchmarkComponentInput:
    symbol: str
    weight: float = strawberry.field(description="Above zero; a blend's weights sum to 1.")


@strawberry.input(description="A benchmark to register; the feeds then supply its levels.")
class CreateBenchmarkInput:
    symbol: str = strawberry.field(description="1-32 of A-Z 0-9 _ . ^ -; stored upper case.")
    name: str
    kind: BenchmarkKind
    return_basis: ReturnBasis
    currency: str = "USD"
    description: str = ""
    components: list[BenchmarkComponentInput] = strawberry.field(
        default_factory=list, description="A blend's components; empty otherwise."
    )
    rebalance: str | None = None
    calendar: str = strawberry.field(default="XNYS", description="An exchange calendar code.")
    cadence: Cadence = Cadence.DAILY
    stale_after_seconds: int = 26 * 3600
    jump_threshold: float | None = strawberry.field(
        default=None, description="Relative move that raises a warning; null: the kind's default."
    )

    def to_new(self) -> NewBenchmark:
        return NewBenchmark(
            symbol=self.symbol.strip().upper(),
            name=self.name,
            kind=self.kind.value,
            return_basis=self.return_basis.value,
            currency=self.currency,
            description=self.description,
            components=tuple(
                ServiceComponent(c.symbol.strip().upper(), c.weight) for c in self.components
            ),
            rebalance=self.rebalance,
            calendar=self.calendar,
            cadence=self.cadence.value,
            stale_after_s=self.stale_after_seconds,
            jump_threshold=self.jump_threshold,
        )


@strawberry.type
class BenchmarkCreated:
    benchmark: Benchmark


CreateBenchmarkResult = Annotated[
    BenchmarkCreated | ValidationError, strawberry.union("CreateBenchmarkResult")
]
