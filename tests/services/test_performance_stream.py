"""The performance stream and its consumer on real Redis Streams and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from services import keys
from services.errors import ServiceUnavailable
from services.performance_stream import PerformanceStream, parse_entry
from services.resources import Resources, dedicated_redis
from services.streams import Batch, StreamConsumer, StreamEntry
from tests.factories import create_strategy

DAY = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def stream() -> str:
    """A stream of the test's own: a new group reads its stream from the start."""
    return f"{keys.performance_stream()}:test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(resources: Resources) -> AsyncIterator[Redis]:
    client = dedicated_redis(resources.redis, socket_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()


def consumer(
    resources: Resources,
    redis: Redis,
    stream: str,
    group: str,
    name: str = "c1",
    handler: PerformanceStream | None = None,
) -> StreamConsumer:
    return StreamConsumer(
        resources,
        handler or PerformanceStream(stream=stream, group=group),
        name=name,
        redis=redis,
        block_ms=100,
        claim_idle_ms=0,
    )


def group() -> str:
    return f"{keys.ingest_group()}:test-{uuid.uuid4().hex[:8]}"


def entry(sid: int | str, day: int, nav: float | str, **extra: str) -> dict[str, str]:
    stamp = (DAY + timedelta(days=day)).isoformat()
    return {"strategy_id": str(sid), "ts": stamp, "nav": str(nav), **extra}


async def add(redis: Redis, stream: str, *entries: dict[str, str]) -> list[str]:
    ids = [await redis.xadd(stream, e) for e in entries]  # type: ignore[arg-type]
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


async def navs(resources: Resources, sid: int) -> list[tuple[int, float]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT ts, nav FROM performance_points WHERE strategy_id = :s ORDER BY ts"),
            {"s": sid},
        )
        return [((ts - DAY).days, nav) for ts, nav in rows]


async def pending(redis: Redis, stream: str, group_name: str) -> int:
    return int((await redis.xpending(stream, group_name))["pending"])


async def quarantined(resources: Resources, entity: str) -> list[str]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT reason FROM quarantine WHERE source = 'stream:performance' "
                "AND entity = :e ORDER BY id"
            ),
            {"e": entity},
        )
        return list(rows.scalars())


def test_entry_format() -> None:
    ok = parse_entry(StreamEntry("1-0", entry(7, 0, "101.25", cash_flow="-5")))
    assert not isinstance(ok, str)
    sid, row = ok
    assert (sid, row.ts, row.value, row.cash_flow) == (7, DAY, 101.25, -5.0)
    assert parse_entry(StreamEntry("1-1", {"strategy_id": "7"})) == "missing field(s): ts, nav"
    assert "integer" in str(parse_entry(StreamEntry("1-2", entry("x", 0, 1))))
    assert "ISO-8601" in str(parse_entry(StreamEntry("1-3", {**entry(7, 0, 1), "ts": "soon"})))
    assert "decimal" in str(parse_entry(StreamEntry("1-4", entry(7, 0, "lots"))))


async def test_a_batch_is_stored_per_strategy_bad_entries_quarantined_all_acked(
    resources: Resources, redis: Redis, stream: str
) -> None:
    name = group()
    c = consumer(resources, redis, stream, name)
    await c.ensure_group()
    a, b = await create_strategy(resources), await create_strategy(resources)
    await add(
        redis,
        stream,
        entry(a, 0, 100.0),
        entry(b, 0, 50.0),
        entry(a, 1, 101.0),
        entry(a, 1, 101.5),  # the same timestamp later in the stream: supersedes
        {"strategy_id": str(a), "ts": "yesterday", "nav": "1"},
        entry(a, 2, -3.0),  # parses, fails validation
        entry(999_999, 0, 1.0),
    )
    assert await c.step() == 7
    assert await navs(resources, a) == [(0, 100.0), (1, 101.5)]
    assert await navs(resources, b) == [(0, 50.0)]
    reasons = await quarantined(resources, str(a))
    assert len(reasons) == 2
    assert any("ISO-8601" in r for r in reasons)
    assert any("above zero" in r for r in reasons)
    assert await quarantined(resources, "999999") == ["strategy 999999 does not exist"]
    assert await pending(redis, stream, name) == 0
    assert await c.step() == 0  # nothing left; applying again would change nothing anyway


async def test_a_crashed_consumers_entries_are_reclaimed(
    resources: Resources, redis: Redis, stream: str
) -> None:
    name = group()
    survivor = consumer(resources, redis, stream, name, "survivor")
    await survivor.ensure_group()
    sid = await create_strategy(resources)
    await add(redis, stream, entry(sid, 0, 100.0), entry(sid, 1, 101.0))
    # Another consumer reads the entries and dies before committing or acknowledging them.
    await redis.xreadgroup(name, "crashed", {stream: ">"}, count=10)
    assert await pending(redis, stream, name) == 2
    assert await navs(resources, sid) == []

    assert await survivor.claim() == 2
    assert await navs(resources, sid) == [(0, 100.0), (1, 101.0)]
    assert await pending(redis, stream, name) == 0


async def test_nothing_is_acknowledged_before_it_is_committed(
    resources: Resources, redis: Redis, stream: str
) -> None:
    name = group()
    failures = [ServiceUnavailable("PostgreSQL is unreachable")]

    class Flaky(PerformanceStream):
        async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
            if failures:
                raise failures.pop()
            await super().apply(batch, entries)

    c = consumer(resources, redis, stream, name, handler=Flaky(stream=stream, group=name))
    await c.ensure_group()
    sid = await create_strategy(resources)
    await add(redis, stream, entry(sid, 0, 100.0), entry(sid, 1, 101.0))
    with pytest.raises(ServiceUnavailable):
        await c.step()
    assert await pending(redis, stream, name) == 2  # still owed
    assert await c.step() == 2  # re-read from this consumer's pending entries
    assert await navs(resources, sid) == [(0, 100.0), (1, 101.0)]
    assert await pending(redis, stream, name) == 0


async def test_an_entry_that_keeps_failing_is_quarantined_alone(
    resources: Resources, redis: Redis, stream: str
) -> None:
    name = group()
    sid = await create_strategy(resources)

    class Poisoned(PerformanceStream):
        async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
            if any(e.fields.get("poison") for e in entries):
                raise ValueError("cannot handle this entry")
            await super().apply(batch, entries)

    c = consumer(resources, redis, stream, name, handler=Poisoned(stream=stream, group=name))
    await c.ensure_group()
    await add(
        redis, stream, entry(sid, 0, 100.0), entry(sid, 1, 1.0, poison="yes"), entry(sid, 2, 102.0)
    )
    assert await c.step() == 3
    assert await navs(resources, sid) == [(0, 100.0), (2, 102.0)]
    assert await quarantined(resources, str(sid)) == [
        "could not be applied: cannot handle this entry"
    ]
    assert (c.applied, c.quarantined) == (2, 1)
    assert await pending(redis, stream, name) == 0


async def test_run_consumes_until_stopped(resources: Resources, redis: Redis, stream: str) -> None:
    name = group()
    c = consumer(resources, redis, stream, name)
    await c.ensure_group()
    stop = asyncio.Event()
    running = asyncio.create_task(c.run(stop))
    sid = await create_strategy(resources)
    await add(redis, stream, *(entry(sid, d, 100.0 + d) for d in range(20)))
    deadline = asyncio.get_running_loop().time() + 10
    while len(await navs(resources, sid)) < 20:
        assert asyncio.get_running_loop().time() < deadline, "entries were not applied"
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert await pending(redis, stream, name) == 0
