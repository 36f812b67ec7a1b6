"""What every stream consumer guarantees, shown on the performance stream (the market-data
stream's own crash tests are in tests/services/feeds/test_stream_crashes.py)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services import keys
from services.performance_stream import PerformanceStream
from services.resources import Resources
from services.streams import (
    Batch,
    StreamConsumer,
    StreamEntry,
    apply_once,
    prune_receipts,
    quarantine_entry,
)
from tests.factories import create_strategy
from tests.redis_clients import published
from tests.waiting import until

DAY = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def handler() -> PerformanceStream:
    """The performance stream under a key and group of the test's own."""
    tag = uuid.uuid4().hex[:8]
    return PerformanceStream(
        stream=f"{keys.performance_stream()}:test-{tag}", group=f"{keys.ingest_group()}:{tag}"
    )


@dataclass(frozen=True)
class Gated(PerformanceStream):
    """Applies nothing until ``release`` is set: a consumer that dies, or stalls, there.
    With ``after_commit`` it stops after the commit, before the acknowledgement."""

    after_commit: bool = False
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
        if self.after_commit:
            await super().apply(batch, entries)
            batch.after_commit(self.wait)
        else:
            await self.wait()
            await super().apply(batch, entries)

    async def wait(self) -> None:
        self.reached.set()
        await self.release.wait()


def gated(handler: PerformanceStream, *, after_commit: bool = False) -> Gated:
    return Gated(handler.stream, handler.group, after_commit=after_commit)


def consumer(resources: Resources, handler: PerformanceStream, name: str) -> StreamConsumer:
    return StreamConsumer(resources, handler, name=name, block_ms=50)


def point(sid: int, day: int, nav: float) -> dict[str, str]:
    return {"strategy_id": str(sid), "ts": (DAY + timedelta(days=day)).isoformat(), "nav": str(nav)}


async def add(resources: Resources, handler: PerformanceStream, *points: dict[str, str]) -> None:
    """Add the points at once (MULTI): a consumer reads them in one batch."""
    async with resources.redis.pipeline(transaction=True) as pipe:
        for fields in points:
            pipe.xadd(handler.stream, fields)  # type: ignore[arg-type]
        await pipe.execute()


async def pending(resources: Resources, handler: PerformanceStream) -> int:
    return int((await resources.redis.xpending(handler.stream, handler.group))["pending"])


async def stored(resources: Resources, sid: int) -> tuple[int, list[float]]:
    """The strategy's last sequence number and its NAVs."""
    async with resources.engine.connect() as conn:
        seq = await conn.execute(text("SELECT last_seq FROM strategies WHERE id = :s"), {"s": sid})
        navs = await conn.execute(
            text("SELECT nav FROM performance_points WHERE strategy_id = :s ORDER BY ts"),
            {"s": sid},
        )
        return int(seq.scalar_one()), list(navs.scalars())


def kinds(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(seq, kind) of each published event."""
    return [(e["seq"], e["kind"]) for e in events]


async def killed(step: asyncio.Task[int], reached: asyncio.Event) -> None:
    """Cancel ``step`` once its handler is reached: the consumer dies holding its entries."""
    await asyncio.wait_for(reached.wait(), 10)
    step.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await step


async def test_redelivery_after_a_crash_between_commit_and_ack_is_a_no_op(
    resources: Resources, handler: PerformanceStream
) -> None:
    sid = await create_strategy(resources)
    doomed_handler = gated(handler, after_commit=True)
    doomed = consumer(resources, doomed_handler, "doomed")
    await doomed.ensure_group()
    await add(resources, handler, point(sid, 0, 100.0))
    async with published(resources.redis, keys.performance_channel(sid)) as events:
        await killed(asyncio.create_task(doomed.step(block=False)), doomed_handler.reached)
        assert await pending(resources, handler) == 1
        # A correction is applied meanwhile: applying the first entry again would undo it.
        await add(resources, handler, point(sid, 0, 100.5))
        assert await consumer(resources, handler, "live").step(block=False) == 1
        rescuer = consumer(resources, handler, "rescuer")
        rescuer.claim_idle_ms = 1
        await asyncio.sleep(0.05)
        assert await rescuer.claim() == 1

    assert (rescuer.applied, rescuer.duplicates) == (0, 1)
    assert await stored(resources, sid) == (2, [100.5])
    assert kinds(events) == [(1, "INSERT"), (2, "REVISION")]
    assert await pending(resources, handler) == 0


async def test_a_dead_consumers_entry_claimed_by_two_survivors_is_applied_once(
    resources: Resources, handler: PerformanceStream
) -> None:
    sid = await create_strategy(resources)
    survivors = [consumer(resources, handler, f"survivor-{i}") for i in range(2)]
    await survivors[0].ensure_group()
    await add(resources, handler, point(sid, 0, 100.0), point(sid, 1, 101.0))
    # A consumer reads the entries and dies before applying them.
    await resources.redis.xreadgroup(handler.group, "dead", {handler.stream: ">"}, count=10)
    for survivor in survivors:
        survivor.claim_idle_ms = 0  # each may take the entries from the other, too
    async with published(resources.redis, keys.performance_channel(sid)) as events:
        await asyncio.gather(*(s.claim() for s in survivors))

    assert sum(s.applied for s in survivors) == 2
    assert sum(s.quarantined for s in survivors) == 0
    assert await stored(resources, sid) == (2, [100.0, 101.0])
    assert kinds(events) == [(1, "INSERT"), (2, "INSERT")]
    assert await pending(resources, handler) == 0


async def test_a_stalled_consumer_whose_entry_was_taken_over_commits_nothing_twice(
    resources: Resources, handler: PerformanceStream
) -> None:
    sid = await create_strategy(resources)
    entry = StreamEntry("1700000000000-0", point(sid, 0, 100.0))
    stalled = gated(handler)
    first = asyncio.create_task(apply_once(resources, stalled, [entry]))
    await asyncio.wait_for(stalled.reached.wait(), 10)  # its transaction holds the receipt
    second = asyncio.create_task(apply_once(resources, handler, [entry]))
    await until(lambda: _waiting_for_a_lock(resources), "the second transaction to wait", 10)
    stalled.release.set()

    assert await asyncio.wait_for(first, 10) == 1
    assert await asyncio.wait_for(second, 10) == 0
    assert await stored(resources, sid) == (1, [100.0])


async def _waiting_for_a_lock(resources: Resources) -> bool:
    async with resources.engine.connect() as conn:
        waiting = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting.scalar_one())


async def test_stopping_finishes_and_acknowledges_the_batch_in_hand(
    resources: Resources, handler: PerformanceStream
) -> None:
    sid = await create_strategy(resources)
    slow = gated(handler)
    c = consumer(resources, slow, "stopping")
    stop = asyncio.Event()
    running = asyncio.create_task(c.run(stop))
    await until(lambda: _group_exists(resources, handler), "the group", 10)
    await add(resources, handler, point(sid, 0, 100.0), point(sid, 1, 101.0))
    await asyncio.wait_for(slow.reached.wait(), 10)
    stop.set()
    slow.release.set()
    await asyncio.wait_for(running, 10)

    assert await stored(resources, sid) == (2, [100.0, 101.0])
    assert await pending(resources, handler) == 0


async def _group_exists(resources: Resources, handler: PerformanceStream) -> bool:
    with contextlib.suppress(Exception):  # no stream yet
        groups = await resources.redis.xinfo_groups(handler.stream)
        return any(g["name"].decode() == handler.group for g in groups)
    return False


async def test_a_deleted_group_is_recreated_and_reapplies_nothing(
    resources: Resources, handler: PerformanceStream
) -> None:
    sid = await create_strategy(resources)
    c = consumer(resources, handler, "c")
    stop = asyncio.Event()
    running = asyncio.create_task(c.run(stop))
    try:
        await until(lambda: _group_exists(resources, handler), "the group", 10)
        await add(resources, handler, point(sid, 0, 100.0))
        await until(lambda: _applied(c, 1), "the first entry", 10)
        await resources.redis.xgroup_destroy(handler.stream, handler.group)
        await add(resources, handler, point(sid, 1, 101.0))
        # Created again at the stream's start: the first entry is delivered again.
        await until(lambda: _handled(c, 3), "both entries", 10)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)

    assert (c.applied, c.duplicates) == (2, 1)
    assert await stored(resources, sid) == (2, [100.0, 101.0])


async def _applied(c: StreamConsumer, count: int) -> bool:
    return c.applied >= count


async def _handled(c: StreamConsumer, count: int) -> bool:
    return c.applied + c.duplicates >= count


async def test_an_entry_is_quarantined_once_with_its_reason(
    resources: Resources, handler: PerformanceStream
) -> None:
    entry = StreamEntry("1700000000000-7", {"strategy_id": "41", "nav": "x"})
    assert await quarantine_entry(resources, handler, entry, "could not be applied: boom")
    assert not await quarantine_entry(resources, handler, entry, "could not be applied: boom")
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT entity, reason, payload FROM quarantine WHERE payload->>'entry' = :e"),
            {"e": entry.id},
        )
        assert [tuple(r) for r in rows] == [
            (
                "41",
                "could not be applied: boom",
                {"strategy_id": "41", "nav": "x", "entry": entry.id},
            )
        ]


async def test_old_receipts_of_the_given_streams_are_pruned(resources: Resources) -> None:
    mine, other = (f"test-prune-{uuid.uuid4().hex[:8]}" for _ in range(2))
    async with resources.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO stream_receipts (stream, entry_id, received_at) VALUES "
                "(:mine, '1-0', now() - interval '2 days'), (:mine, '2-0', now()), "
                "(:other, '1-0', now() - interval '2 days')"
            ),
            {"mine": mine, "other": other},
        )
        assert await prune_receipts(conn, [mine], older_than_s=86_400) == 1
        left = await conn.execute(
            text(
                "SELECT stream, entry_id FROM stream_receipts "
                "WHERE stream IN (:mine, :other) ORDER BY stream = :other, entry_id"
            ),
            {"mine": mine, "other": other},
        )
        assert [tuple(r) for r in left] == [(mine, "2-0"), (other, "1-0")]
