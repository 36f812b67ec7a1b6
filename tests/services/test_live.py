"""Sequence feeds on real PostgreSQL and Redis: order, gaps repaired from the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from services import events
from services.bulk import PERFORMANCE as BULK_PERFORMANCE
from services.bulk import copy_rows
from services.ingest import record_performance
from services.live import LiveItem, PerformanceSource, SeqFeed
from services.resources import Resources
from services.validation import IncomingRow
from tests.factories import create_strategy
from tests.waiting import until

DAY = datetime(2024, 1, 1, tzinfo=UTC)


def row(day: int, nav: float) -> IncomingRow:
    return IncomingRow(DAY + timedelta(days=day), nav)


async def take(batches: AsyncIterator[list[LiveItem]], count: int) -> list[LiveItem]:
    items: list[LiveItem] = []
    while len(items) < count:
        items += await asyncio.wait_for(anext(batches), 10)
    return items


def seqs(items: list[LiveItem]) -> list[int]:
    return [i.seq for i in items]


async def test_replay_is_the_current_state_of_every_change_since(resources: Resources) -> None:
    sid = await create_strategy(resources)
    await record_performance(resources, sid, [row(0, 100.0), row(1, 101.0)], source="t")  # 1, 2
    await record_performance(resources, sid, [row(2, 102.0)], source="t")  # 3
    await record_performance(resources, sid, [row(1, 101.5)], source="t")  # 4 revises seq 2
    source = PerformanceSource((sid,))
    replayed = await source.replay(resources, {str(sid): 1}, 100)
    changes = [(i.seq, i.value.kind, i.value.nav) for i in replayed]  # type: ignore[attr-defined]
    # seq 2 no longer exists: its row now carries seq 4 with the revised value.
    assert changes == [(3, "INSERT", 102.0), (4, "REVISION", 101.5)]
    assert await source.replay(resources, {str(sid): 4}, 100) == []


async def test_live_changes_arrive_in_order_and_a_gap_is_filled_from_the_database(
    resources: Resources,
) -> None:
    sid = await create_strategy(resources)
    await record_performance(resources, sid, [row(0, 100.0)], source="t")  # seq 1, before start
    feed = SeqFeed(resources, PerformanceSource((sid,)))
    await feed.start()
    batches = feed.batches()
    try:
        await record_performance(resources, sid, [row(1, 101.0), row(2, 102.0)], source="t")
        assert seqs(await take(batches, 2)) == [2, 3]  # live, nothing from before the start

        # A backfill publishes nothing: the next live change reveals the gap.
        async with resources.engine.begin() as conn:
            await copy_rows(
                conn,
                BULK_PERFORMANCE,
                sid,
                [(DAY + timedelta(days=d), 90.0, 0.0) for d in (-3, -2)],
            )
        await record_performance(resources, sid, [row(3, 103.0)], source="t")  # seq 6
        items = await take(batches, 3)
        assert seqs(items) == [4, 5, 6]
        assert feed.replays == 1
        assert [i.value.nav for i in items] == [90.0, 90.0, 103.0]  # type: ignore[attr-defined]
    finally:
        await batches.aclose()  # type: ignore[attr-defined]
        await feed.close()


async def test_duplicate_and_stale_messages_are_dropped(resources: Resources) -> None:
    sid = await create_strategy(resources)
    feed = SeqFeed(resources, PerformanceSource((sid,)))
    await feed.start()
    batches = feed.batches()
    try:
        await record_performance(resources, sid, [row(0, 100.0)], source="t")
        assert seqs(await take(batches, 1)) == [1]
        # The same event published again (a retried publish) and a foreign, malformed one.
        again = events.PerformanceEvent(sid, 1, DAY, 100.0, 0.0)
        await events.publish(resources.redis, [again])
        await resources.redis.publish(again.channel, b"not json")
        await record_performance(resources, sid, [row(1, 101.0)], source="t")
        assert seqs(await take(batches, 1)) == [2]
        assert feed.replays == 0
    finally:
        await batches.aclose()  # type: ignore[attr-defined]
        await feed.close()


async def test_an_idle_feed_hands_over_each_next_change_inline_and_yields_the_rest(
    resources: Resources,
) -> None:
    sid = await create_strategy(resources)
    feed = SeqFeed(resources, PerformanceSource((sid,)))
    taken: list[int] = []

    def taker(item: LiveItem) -> bool:
        taken.append(item.seq)
        return item.seq != 2  # the taker refuses seq 2: the feed yields it instead

    async def taken_are(*expected: int) -> None:
        async def check() -> bool:
            return taken == list(expected)

        await until(check, f"the taker to have {expected}")

    feed.take_inline(taker)
    await feed.start()
    batches = feed.batches()
    try:
        waiting = asyncio.create_task(take(batches, 1))  # the feed is idle while this waits
        await record_performance(resources, sid, [row(0, 100.0)], source="t")  # seq 1
        await taken_are(1)
        await record_performance(resources, sid, [row(1, 101.0)], source="t")  # seq 2
        assert seqs(await asyncio.wait_for(waiting, 10)) == [2]
        await taken_are(1, 2)

        # A gap (a backfill publishes nothing) is never handed over: it is replayed.
        async with resources.engine.begin() as conn:
            await copy_rows(conn, BULK_PERFORMANCE, sid, [(DAY - timedelta(days=3), 90.0, 0.0)])
        replayed = asyncio.create_task(take(batches, 2))
        await record_performance(resources, sid, [row(2, 102.0)], source="t")  # seq 4
        assert seqs(await replayed) == [3, 4]
        assert feed.replays == 1

        # A duplicate is dropped without reaching the taker; the next change is handed over.
        waiting = asyncio.create_task(take(batches, 1))
        await events.publish(resources.redis, [events.PerformanceEvent(sid, 4, DAY, 1.0, 0.0)])
        await record_performance(resources, sid, [row(3, 103.0)], source="t")  # seq 5
        await taken_are(1, 2, 5)
        assert not waiting.done()
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    finally:
        await batches.aclose()  # type: ignore[attr-defined]
        await feed.close()
