"""The market-data stream on real Redis and PostgreSQL: delivery, bad entries, counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.feeds.stream import market_data_consumer
from services.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import create_benchmark
from tests.services.feeds.conftest import quarantined, stored_levels
from tests.services.feeds.streams import T0, add, channel, pending, tick


async def test_a_tick_is_queryable_and_published(
    resources: Resources, gql: GraphQLClient, stream: str
) -> None:
    benchmark = await create_benchmark(resources, levels=[(T0 - timedelta(days=1), 100.0)])
    stop = asyncio.Event()
    consumer = market_data_consumer(resources, stream=stream, name="live")
    await consumer.ensure_group()
    task = asyncio.create_task(consumer.run(stop))
    query = "query($s: String!) { benchmark(symbol: $s) { latest { timestamp value seq } } }"
    try:
        async with channel(resources, benchmark.symbol) as published:
            await add(resources, stream, tick(benchmark.symbol, T0, 101.25))
            latest = None
            for _ in range(200):  # until the consumer has applied it (a few ms)
                latest = (await gql(query, {"s": benchmark.symbol}))["benchmark"]["latest"]
                if latest["value"] == 101.25:
                    break
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task
    assert latest == {"timestamp": "2024-06-03T14:00:00+00:00", "value": 101.25, "seq": 2}
    assert [(m["symbol"], m["seq"], m["level"], m["kind"]) for m in published] == [
        (benchmark.symbol, 2, 101.25, "INSERT")
    ]
    assert await pending(resources, stream) == 0


async def test_bad_entries_are_quarantined_and_acknowledged_and_never_block_good_ones(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    symbol = benchmark.symbol
    await add(
        resources,
        stream,
        tick(symbol, T0, 100.0),
        {"ts": T0.isoformat(), "level": "1"},  # no symbol
        tick("NO_SUCH_INDEX", T0, 1.0),
        tick("BLEND_60_40", T0, 1.0),
        {"symbol": symbol, "ts": "yesterday", "level": "1"},
        tick(symbol, T0 + timedelta(hours=1), "abc"),
        tick(symbol, T0 + timedelta(hours=2), float("nan")),
        tick(symbol, T0 + timedelta(hours=3), -5.0),
        tick(symbol, datetime.now(UTC) + timedelta(days=3), 101.0),
        tick(symbol, T0 + timedelta(hours=4), 100.5),
    )
    consumer = market_data_consumer(resources, stream=stream, name="c")
    await consumer.ensure_group()

    assert await consumer.step(block=False) == 10
    assert await pending(resources, stream) == 0
    assert await stored_levels(resources, benchmark.id) == [
        (T0, 100.0),
        (T0 + timedelta(hours=4), 100.5),
    ]
    reasons = [r for r, _ in await quarantined(resources, symbol)]
    assert len(reasons) == 5
    for expected in ("unreadable timestamp", "not a number", "finite", "above zero", "future"):
        assert any(expected in r for r in reasons), expected
    [(unknown, payload)] = await quarantined(resources, "NO_SUCH_INDEX")
    assert "does not exist" in unknown
    assert payload["value"] == 1.0
    assert "blend" in (await quarantined(resources, "BLEND_60_40"))[-1][0]
    assert "no symbol" in (await quarantined(resources, "?"))[-1][0]


async def test_feed_state_counts_what_the_stream_delivered(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    await add(
        resources,
        stream,
        tick(benchmark.symbol, T0, 100.0),
        tick(benchmark.symbol, T0, 100.0),  # identical: a duplicate
        tick(benchmark.symbol, T0 + timedelta(minutes=1), 100.2),
    )
    consumer = market_data_consumer(resources, stream=stream, name="c")
    await consumer.ensure_group()
    await consumer.step(block=False)
    await add(resources, stream, tick(benchmark.symbol, T0, 99.9))  # a revision
    await consumer.step(block=False)

    async with resources.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT f.url, s.received, s.inserted, s.revised, s.last_as_of, "
                    "s.last_received_at IS NOT NULL AS seen FROM feeds f "
                    "JOIN feed_state s ON s.feed_id = f.id "
                    "WHERE f.benchmark_id = :id AND f.kind = 'stream'"
                ),
                {"id": benchmark.id},
            )
        ).one()
    assert tuple(row) == (stream, 4, 2, 1, T0 + timedelta(minutes=1), True)
