"""The market-data stream on real Redis and PostgreSQL: delivery, crashes, bad entries."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import text

from services import keys
from services.config import Settings
from services.feeds.stream import GROUP, market_data_apply, market_data_consumer
from services.resources import Resources
from services.streams import Apply, StreamConsumer, StreamEntry
from tests.conftest import GraphQLClient
from tests.factories import create_benchmark
from tests.services.feeds.conftest import quarantined, stored_levels

T0 = datetime(2024, 6, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def stream() -> str:
    """A stream of this test's own: the group reads a stream from its start."""
    return f"{keys.market_data_stream()}:test-{uuid.uuid4().hex[:8]}"


def tick(symbol: str, ts: datetime, level: float | str) -> dict[str, str]:
    return {"symbol": symbol, "ts": ts.isoformat(), "level": str(level)}


async def add(resources: Resources, stream: str, *entries: dict[str, str]) -> list[str]:
    ids = [await resources.redis.xadd(stream, dict(e)) for e in entries]  # type: ignore[arg-type]
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


async def pending(resources: Resources, stream: str) -> int:
    summary = await resources.redis.xpending(stream, GROUP)
    return int(summary["pending"])


async def last_seq(resources: Resources, benchmark_id: int) -> int:
    async with resources.engine.connect() as conn:
        query = text("SELECT last_seq FROM benchmarks WHERE id = :id")
        return int((await conn.execute(query, {"id": benchmark_id})).scalar_one())


@contextlib.asynccontextmanager
async def channel(resources: Resources, symbol: str) -> AsyncIterator[list[dict[str, object]]]:
    """Messages published on the benchmark's channel while the block runs (and just after)."""
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(keys.benchmark_channel(symbol))
    await pubsub.get_message(timeout=1.0)
    received: list[dict[str, object]] = []
    try:
        yield received
        while message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.3):
            received.append(orjson.loads(message["data"]))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]


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


def hanging(apply: Apply, *, after_apply: bool, reached: asyncio.Event) -> Apply:
    """An apply that stops for good before or after the real one: a consumer that dies."""

    async def run(entries: list[StreamEntry]) -> Sequence[str]:
        if after_apply:
            await apply(entries)
        reached.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return run


async def kill_while_holding(consumer: StreamConsumer, reached: asyncio.Event) -> None:
    """Run one step of ``consumer`` and cancel it once its apply is reached: it dies holding
    the entry it read (maybe applied), never acknowledging it."""
    killed = asyncio.create_task(consumer.step(block=False))
    await reached.wait()
    killed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await killed


async def test_killed_before_commit_the_entry_is_reclaimed_and_applied(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    apply = market_data_apply(resources, stream)
    reached = asyncio.Event()
    doomed = StreamConsumer(
        resources.redis,
        stream,
        GROUP,
        "doomed",
        hanging(apply, after_apply=False, reached=reached),
    )
    await doomed.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    async with channel(resources, benchmark.symbol) as published:
        await kill_while_holding(doomed, reached)
        assert await pending(resources, stream) == 1
        assert await stored_levels(resources, benchmark.id) == []

        rescuer = StreamConsumer(
            resources.redis, stream, GROUP, "rescuer", apply, reclaim_idle_ms=50
        )
        await asyncio.sleep(0.1)  # the entry has been idle longer than reclaim_idle_ms
        assert await rescuer.step(block=False) == 1

    assert await pending(resources, stream) == 0
    assert await stored_levels(resources, benchmark.id) == [(T0, 100.0)]
    assert [m["seq"] for m in published] == [1]


async def test_killed_after_commit_the_reclaimed_entry_is_not_applied_again(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    apply = market_data_apply(resources, stream)
    reached = asyncio.Event()
    doomed = StreamConsumer(
        resources.redis,
        stream,
        GROUP,
        "doomed",
        hanging(apply, after_apply=True, reached=reached),
    )
    live = StreamConsumer(resources.redis, stream, GROUP, "live", apply)
    await doomed.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    async with channel(resources, benchmark.symbol) as published:
        await kill_while_holding(doomed, reached)
        # Meanwhile a correction arrives and is applied: re-applying the first entry on
        # reclaim would silently undo it.
        await add(resources, stream, tick(benchmark.symbol, T0, 100.5))
        assert await live.step(block=False) == 1
        rescuer = StreamConsumer(
            resources.redis, stream, GROUP, "rescuer", apply, reclaim_idle_ms=50
        )
        await asyncio.sleep(0.1)
        assert await rescuer.step(block=False) == 1

    assert await pending(resources, stream) == 0
    assert await stored_levels(resources, benchmark.id) == [(T0, 100.5)]
    assert await last_seq(resources, benchmark.id) == 2
    assert [(m["seq"], m["kind"]) for m in published] == [(1, "INSERT"), (2, "REVISION")]


async def test_a_restarted_consumer_rereads_its_own_pending_entries(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    apply = market_data_apply(resources, stream)
    reached = asyncio.Event()
    first = StreamConsumer(
        resources.redis,
        stream,
        GROUP,
        "worker-1",
        hanging(apply, after_apply=True, reached=reached),
    )
    await first.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    await kill_while_holding(first, reached)

    restarted = StreamConsumer(resources.redis, stream, GROUP, "worker-1", apply)
    assert await restarted.step(block=False) == 1
    assert await pending(resources, stream) == 0
    assert await last_seq(resources, benchmark.id) == 1


KILLED_AFTER_COMMIT = textwrap.dedent("""
    import asyncio, os, signal, sys
    from services.config import load_settings
    from services.feeds.stream import GROUP, market_data_apply
    from services.resources import open_resources
    from services.streams import StreamConsumer

    async def main() -> None:
        resources = await open_resources(load_settings())
        apply = market_data_apply(resources, sys.argv[1])

        async def apply_then_die(entries):
            await apply(entries)
            os.kill(os.getpid(), signal.SIGKILL)  # committed, not acknowledged

        await StreamConsumer(resources.redis, sys.argv[1], GROUP, "doomed", apply_then_die).step()

    asyncio.run(main())
""")


async def test_a_process_killed_after_commit_leaves_the_entry_to_be_reclaimed_once(
    resources: Resources, settings: Settings, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    consumer = market_data_consumer(resources, stream=stream, name="rescuer")
    consumer.reclaim_idle_ms = 1
    await consumer.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    env = {
        **os.environ,
        "PERFGRAPH_DATABASE_URL": settings.database_url or "",
        "PERFGRAPH_REDIS_URL": settings.redis_url or "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_AFTER_COMMIT, stream, env=env, stderr=subprocess.PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == -9, stderr.decode()
    assert await pending(resources, stream) == 1
    assert await last_seq(resources, benchmark.id) == 1  # it did commit

    await add(resources, stream, tick(benchmark.symbol, T0, 100.5))  # a correction
    live = market_data_consumer(resources, stream=stream, name="live")
    assert await live.step(block=False) == 1  # the correction only: the other is not idle long
    assert await consumer.step(block=False) == 1  # the reclaimed entry: already applied
    assert await pending(resources, stream) == 0
    assert await last_seq(resources, benchmark.id) == 2
    assert await stored_levels(resources, benchmark.id) == [(T0, 100.5)]


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
