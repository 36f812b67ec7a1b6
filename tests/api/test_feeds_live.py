"""End to end: a tick from the market-data stream reaches a benchmarkTicks subscriber."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import text

from services import keys
from services.feeds.stream import market_data_consumer
from services.resources import Resources
from tests.factories import create_benchmark
from tests.services.feeds.streams import T0, add, pending, tick
from tests.wsclient import graphql_ws

TICKS = """
subscription($symbols: [String!]!, $afterSeq: Int) {
  benchmarkTicks(symbols: $symbols, afterSeq: $afterSeq) { symbol seq kind timestamp level }
}
"""


async def test_a_stream_tick_is_delivered_to_a_benchmark_subscriber(
    resources: Resources, live_url: str
) -> None:
    benchmark = await create_benchmark(resources, levels=[(T0 - timedelta(days=1), 100.0)])
    stream = f"{keys.market_data_stream()}:test-{uuid.uuid4().hex[:8]}"
    consumer = market_data_consumer(resources, stream=stream, name="e2e")
    await consumer.ensure_group()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with graphql_ws(live_url) as ws:
            # From sequence 1 (the stored level): no race with the bridge's SUBSCRIBE.
            ticks = await ws.subscribe(TICKS, {"symbols": [benchmark.symbol], "afterSeq": 1})
            await add(resources, stream, tick(benchmark.symbol, T0, 101.25))
            [message] = await ticks.collect(1)
    finally:
        stop.set()
        await task
        async with resources.engine.begin() as conn:  # its feed (on old data) is stale now
            await conn.execute(
                text("UPDATE feeds SET enabled = false WHERE benchmark_id = :id"),
                {"id": benchmark.id},
            )
    event = message["benchmarkTicks"]
    assert (event["symbol"], event["seq"], event["kind"], event["level"]) == (
        benchmark.symbol,
        2,
        "INSERT",
        101.25,
    )
    assert await pending(resources, stream) == 0
