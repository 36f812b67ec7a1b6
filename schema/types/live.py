"""Events delivered by the subscriptions, and the cursors that resume them."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from services import events
from services.live_comparison import ComparisonState


@strawberry.enum(description="What a sequence number records.")
class ChangeKind(enum.Enum):
    INSERT = "INSERT"
    REVISION = "REVISION"


_KINDS = {kind.value: kind for kind in ChangeKind}  # a dict lookup: cheaper than the call


@strawberry.type(description="A point as stored: a NAV observation and its external cash flow.")
class NavPoint:
    timestamp: datetime
    nav: float
    cash_flow: float


@strawberry.type(
    description=(
        "A committed change to a strategy's performance. Sequence numbers increase by change "
        "per strategy; a subscription delivers each strategy's changes in order, once."
    )
)
class PerformanceUpdate:
    strategy_id: strawberry.ID
    seq: int
    kind: ChangeKind
    point: NavPoint

    @classmethod
    def from_event(cls, event: events.PerformanceEvent) -> PerformanceUpdate:
        return cls(
            strategy_id=strawberry.ID(str(event.strategy_id)),
            seq=event.seq,
            kind=_KINDS[event.kind],
            point=NavPoint(timestamp=event.ts, nav=event.nav, cash_flow=event.cash_flow),
        )


@strawberry.type(description="A committed benchmark level, in sequence order per symbol.")
class BenchmarkTick:
    symbol: str
    seq: int
    kind: ChangeKind
    timestamp: datetime
    level: float

    @classmethod
    def from_event(cls, tick: events.BenchmarkTick) -> BenchmarkTick:
        return cls(
            symbol=tick.symbol,
            seq=tick.seq,
            kind=_KINDS[tick.kind],
            timestamp=tick.ts,
            level=tick.level,
        )


@strawberry.type(
    description=(
        "A strategy against a benchmark over the window, as of the latest aligned period. "
        "Returns are decimal fractions; `relative` is the strategy rebased to 100 divided by "
        "the benchmark rebased to 100, times 100 (above 100: ahead of the benchmark)."
    )
)
class LiveComparison:
    strategy_id: strawberry.ID
    benchmark: str
    as_of: datetime | None
    periods: int
    strategy_return: float | None
    benchmark_return: float | None
    excess_return: float | None
    relative: float | None
    strategy_seq: int = strawberry.field(description="The strategy's data version used.")
    benchmark_seq: int = strawberry.field(description="The benchmark's data version used.")

    @classmethod
    def from_state(cls, state: ComparisonState) -> LiveComparison:
        return cls(
            strategy_id=strawberry.ID(str(state.strategy_id)),
            benchmark=state.benchmark,
            as_of=state.as_of,
            periods=state.periods,
            strategy_return=state.strategy_return,
            benchmark_return=state.benchmark_return,
            excess_return=state.excess_return,
            relative=state.relative,
            strategy_seq=state.strategy_seq,
            benchmark_seq=state.benchmark_seq,
        )


@strawberry.input(description="Resume one strategy after the last sequence number received.")
class StrategySeqInput:
    strategy_id: strawberry.ID
    seq: int


@strawberry.input(description="Resume one benchmark after the last sequence number received.")
class BenchmarkSeqInput:
    symbol: str
    seq: int
