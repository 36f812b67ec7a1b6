"""The root Subscription type (graphql-transport-ws). See docs/live-updates.md."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from resolvers.live import benchmark_ticks, live_comparison, performance_updates
from schema.context import Info
from schema.types.common import Interval, WindowInput
from schema.types.live import (
    BenchmarkSeqInput,
    BenchmarkTick,
    LiveComparison,
    PerformanceUpdate,
    StrategySeqInput,
)

AFTER_SEQ = "Resume the one subscribed entity after this sequence number (replayed first)."
AFTER = "Resume each listed entity after its sequence number (replayed first)."


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Committed changes to the strategies' performance, in sequence order per "
            "strategy, each once. Without a cursor: changes from now on."
        )
    )
    async def performance(
        self,
        info: Info,
        strategy_ids: list[strawberry.ID],
        after_seq: Annotated[int | None, strawberry.argument(description=AFTER_SEQ)] = None,
        after: Annotated[
            list[StrategySeqInput] | None, strawberry.argument(description=AFTER)
        ] = None,
    ) -> AsyncGenerator[PerformanceUpdate, None]:
        async for update in performance_updates(info, strategy_ids, after_seq, after):
            yield update

    @strawberry.subscription(
        description="Committed benchmark levels, in sequence order per symbol, each once."
    )
    async def benchmark_ticks(
        self,
        info: Info,
        symbols: list[str],
        after_seq: Annotated[int | None, strawberry.argument(description=AFTER_SEQ)] = None,
        after: Annotated[
            list[BenchmarkSeqInput] | None, strawberry.argument(description=AFTER)
        ] = None,
    ) -> AsyncGenerator[BenchmarkTick, None]:
        async for tick in benchmark_ticks(info, symbols, after_seq, after):
            yield tick

    @strawberry.subscription(
        description=(
            "The strategy against a benchmark (default: the strategy's), now and whenever "
            "either changes, at most one event per minIntervalMs (bursts are coalesced into "
            "the latest state)."
        )
    )
    async def live_comparison(
        self,
        info: Info,
        strategy_id: strawberry.ID,
        benchmark: str | None = None,
        window: Annotated[
            WindowInput | None, strawberry.argument(description="Default: ONE_YEAR.")
        ] = None,
        interval: Interval = Interval.DAY,
        min_interval_ms: int = 1000,
    ) -> AsyncGenerator[LiveComparison, None]:
        stream = live_comparison(info, strategy_id, benchmark, window, interval, min_interval_ms)
        async for state in stream:
            yield state
