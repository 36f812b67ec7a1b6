"""Benchmark ticks and the throttled live comparison, over real WebSockets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from services.ingest import record_benchmark_prices, record_performance
from services.resources import Resources
from services.validation import IncomingRow
from tests.factories import create_strategy
from tests.wsclient import graphql_ws

TICKS = """
subscription($symbols: [String!]!, $afterSeq: Int) {
  benchmarkTicks(symbols: $symbols, afterSeq: $afterSeq) { symbol seq kind timestamp level }
}
"""
COMPARISON = """
subscription($id: ID!, $ms: Int!) {
  liveComparison(strategyId: $id, benchmark: "SPX", minIntervalMs: $ms,
                 window: {from: "2022-01-01T00:00:00Z"}) {
    strategyId benchmark asOf periods strategyReturn benchmarkReturn excessReturn relative
    strategySeq benchmarkSeq
  }
}
"""


async def spx(resources: Resources, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT p.ts, p.level FROM benchmark_prices p JOIN benchmarks b "
                "ON b.id = p.benchmark_id WHERE b.symbol = 'SPX' AND p.ts BETWEEN :a AND :b "
                "ORDER BY p.ts"
            ),
            {"a": start, "b": end},
        )
        return [(ts, level) for ts, level in rows]


async def test_benchmark_ticks_in_sequence_and_blends_refused(
    resources: Resources, live_url: str
) -> None:
    async with resources.engine.connect() as conn:
        current = (
            await conn.execute(text("SELECT last_seq FROM benchmarks WHERE symbol = 'SPX'"))
        ).scalar_one()
    async with graphql_ws(live_url) as ws:
        ticks = await ws.subscribe(TICKS, {"symbols": ["spx"], "afterSeq": current})
        stamp = datetime(2025, 3, 3, 21, tzinfo=UTC)
        rows = [IncomingRow(stamp, 5000.0), IncomingRow(stamp + timedelta(days=1), 5010.0)]
        await record_benchmark_prices(resources, "SPX", rows, source="tests")
        got = await ticks.collect(2)  # before the revision (a later start replays it instead)
        await record_benchmark_prices(resources, "SPX", [IncomingRow(stamp, 5001.0)], source="t")
        got += await ticks.collect(1)
        blend = await ws.subscribe(TICKS, {"symbols": ["BLEND_60_40"]})
        message = await blend.message()
    changes = [(t["benchmarkTicks"]["seq"] - current, t["benchmarkTicks"]["kind"]) for t in got]
    assert changes == [(1, "INSERT"), (2, "INSERT"), (3, "REVISION")]
    assert {t["benchmarkTicks"]["symbol"] for t in got} == {"SPX"}
    assert got[2]["benchmarkTicks"]["level"] == 5001.0
    assert message["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def expected(navs: list[float], levels: list[float]) -> tuple[float, float]:
    return navs[-1] / navs[0] - 1, levels[-1] / levels[0] - 1


async def test_live_comparison_is_recomputed_as_data_arrives_and_throttled(
    resources: Resources, live_url: str
) -> None:
    days = await spx(resources, datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 3, 31, tzinfo=UTC))
    navs = [100.0 * (1 + 0.001 * i) for i in range(len(days))]
    sid = await create_strategy(
        resources, points=[(ts, nav, 0.0) for (ts, _), nav in zip(days[:40], navs, strict=False)]
    )
    levels = [level for _, level in days]
    interval_ms = 400
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(COMPARISON, {"id": str(sid), "ms": interval_ms})
        initial = (await sub.next_data())["liveComparison"]
        started = asyncio.get_running_loop().time()
        # A burst: one point at a time, each a commit and an event.
        for (ts, _), nav in zip(days[40:], navs[40:], strict=True):
            await record_performance(resources, sid, [IncomingRow(ts, nav)], source="t")
        elapsed = asyncio.get_running_loop().time() - started
        states: list[dict[str, Any]] = []
        while not states or states[-1]["strategySeq"] < len(days):
            states.append((await sub.next_data(wait_s=15))["liveComparison"])

    s_return, b_return = expected(navs[:40], levels[:40])
    assert initial["periods"] == 39
    assert abs(initial["strategyReturn"] - s_return) < 1e-12
    assert abs(initial["benchmarkReturn"] - b_return) < 1e-12
    assert abs(initial["relative"] - (1 + s_return) / (1 + b_return) * 100) < 1e-9

    final = states[-1]
    s_return, b_return = expected(navs, levels)
    assert final["periods"] == len(days) - 1
    assert abs(final["strategyReturn"] - s_return) < 1e-12
    assert abs(final["excessReturn"] - (s_return - b_return)) < 1e-12
    # Coalesced: far fewer events than writes, at most one per interval (plus the last one).
    writes = len(days) - 40
    assert len(states) < writes
    assert len(states) <= elapsed * 1000 / interval_ms + 2
