"""A strategy against a benchmark, recomputed as either changes, at most once per interval.

The feed listens on the strategy's channel and the benchmark's (a blend: its components'),
emits the current state at once, then after each change waits until ``min_interval_s``
has passed since the previous emission, drops the notifications that arrived meanwhile
(the recomputation covers them) and emits the new state if it differs. A burst of updates
therefore costs one computation and one event, and the event is always the latest state.
A lost notification or a pub/sub reconnect only delays an event: every computation reads
PostgreSQL, never the messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import text

from services import keys
from services.analytics import Rebalance, blend_returns, compare
from services.benchmarks import BenchmarkRecord
from services.live import LISTENER_CAPACITY, LiveItem, Take
from services.pubsub import Listener
from services.resources import Resources
from services.series import (
    BENCHMARK,
    PERFORMANCE,
    Series,
    SeriesRequest,
    fetch_latest,
    fetch_series,
)
from services.windows import Interval, ResolvedWindow, Window, resolve


@dataclass(frozen=True)
class ComparisonRequest:
    strategy_id: int
    benchmark: BenchmarkRecord
    components: tuple[BenchmarkRecord, ...]  # the benchmark itself, or a blend's components
    window: Window
    interval: Interval
    min_interval_s: float


@dataclass(frozen=True)
class ComparisonState:
    """Returns are decimal fractions over the aligned periods; ``relative`` is rebased to 100."""

    strategy_id: int
    benchmark: str
    as_of: datetime | None
    periods: int
    strategy_return: float | None
    benchmark_return: float | None
    excess_return: float | None
    relative: float | None
    strategy_seq: int
    benchmark_seq: int


def _returns(series: Series) -> pd.Series:
    index = pd.to_datetime(series.epoch_us, unit="us", utc=True)
    returns = pd.Series(series.returns, index=index, dtype=np.float64)
    return returns[np.isfinite(returns.to_numpy())]


def _benchmark_returns(request: ComparisonRequest, series: Sequence[Series]) -> pd.Series:
    if not request.benchmark.is_blend:
        return _returns(series[0])
    parts = {c.symbol: _returns(s) for c, s in zip(request.components, series, strict=True)}
    weights = {c.symbol: c.weight for c in request.benchmark.components}
    rebalance = Rebalance[request.benchmark.rebalance or "MONTHLY"]
    return blend_returns(parts, weights, rebalance)


async def _load(
    resources: Resources, request: ComparisonRequest
) -> tuple[Series, list[Series], int, int]:
    async with resources.sessions() as session:
        seqs = (
            await session.execute(
                text(
                    "SELECT (SELECT last_seq FROM strategies WHERE id = :s), "
                    "(SELECT coalesce(sum(last_seq), 0) FROM benchmarks WHERE id = ANY(:b))"
                ),
                {"s": request.strategy_id, "b": [c.id for c in request.components]},
            )
        ).one()
        latest = (await fetch_latest(session, PERFORMANCE, [request.strategy_id])).get(
            request.strategy_id
        )
        window: ResolvedWindow = resolve(request.window, latest.timestamp if latest else None)
        strategy = await fetch_series(
            session, PERFORMANCE, [SeriesRequest(request.strategy_id, window, request.interval)]
        )
        benchmark = await fetch_series(
            session,
            BENCHMARK,
            [SeriesRequest(c.id, window, request.interval) for c in request.components],
        )
    return strategy[0], benchmark, int(seqs[0] or 0), int(seqs[1] or 0)


async def compute_comparison(resources: Resources, request: ComparisonRequest) -> ComparisonState:
    strategy, benchmark, s_seq, b_seq = await _load(resources, request)
    s_returns = _returns(strategy)
    b_returns = _benchmark_returns(request, benchmark)
    base = (request.strategy_id, request.benchmark.symbol)
    if s_returns.empty or b_returns.empty:
        return ComparisonState(*base, None, 0, None, None, None, None, s_seq, b_seq)
    result = compare(s_returns, b_returns)
    relative = result.relative.iloc[-1] if result.periods else None
    as_of = result.relative.index[-1].to_pydatetime() if result.periods else None
    return ComparisonState(
        *base,
        as_of=as_of,
        periods=result.periods,
        strategy_return=result.strategy_return,
        benchmark_return=result.benchmark_return,
        excess_return=result.excess_return,
        relative=None if relative is None or not np.isfinite(relative) else float(relative),
        strategy_seq=s_seq,
        benchmark_seq=b_seq,
    )


class ComparisonFeed:
    """Throttled comparison snapshots (see module docs)."""

    def __init__(self, resources: Resources, request: ComparisonRequest) -> None:
        self.resources = resources
        self.request = request
        self.computations = 0
        self._listener: Listener | None = None

    async def start(self) -> None:
        channels = [keys.performance_channel(self.request.strategy_id)]
        channels += [keys.benchmark_channel(c.symbol) for c in self.request.components]
        self._listener = await self.resources.pubsub.listen(channels, capacity=LISTENER_CAPACITY)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def take_inline(self, take: Take) -> None:
        """Never used: every state is computed from PostgreSQL, in the feed's own task."""

    async def _compute(self) -> LiveItem:
        self.computations += 1
        state = await compute_comparison(self.resources, self.request)
        return LiveItem(None, state.strategy_seq + state.benchmark_seq, state)

    async def batches(self) -> AsyncIterator[list[LiveItem]]:
        assert self._listener is not None, "start() the feed first"
        loop = asyncio.get_running_loop()
        current = await self._compute()
        emitted = loop.time()
        yield [current]
        while True:
            await self._listener.get()
            wait = emitted + self.request.min_interval_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._listener.take_nowait()  # covered by the computation below
            latest = await self._compute()
            emitted = loop.time()
            if latest.value != current.value:
                current = latest
                yield [current]
