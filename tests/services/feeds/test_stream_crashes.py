"""Consumers that die between read and acknowledgement: reclaimed, applied exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.config import Settings
from services.feeds.stream import MarketDataStream, market_data_consumer
from services.resources import Resources
from services.streams import Batch, StreamConsumer, StreamEntry
from tests.factories import create_benchmark
from tests.services.feeds.conftest import stored_levels
from tests.services.feeds.streams import T0, add, channel, last_seq, pending, tick


@dataclass(frozen=True)
class Hanging(MarketDataStream):
    """A handler that stops for good before or after its commit: a consumer that dies."""

    after_apply: bool = False
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
        if self.after_apply:
            await super().apply(batch, entries)
            batch.after_commit(self.hang)  # committed, never acknowledged
        else:
            await self.hang()

    async def hang(self) -> None:
        self.reached.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def hanging(stream: str, *, after_apply: bool, reached: asyncio.Event) -> Hanging:
    return Hanging(stream, after_apply=after_apply, reached=reached)


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
    reached = asyncio.Event()
    doomed = StreamConsumer(
        resources, hanging(stream, after_apply=False, reached=reached), name="doomed"
    )
    await doomed.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    async with channel(resources, benchmark.symbol) as published:
        await kill_while_holding(doomed, reached)
        assert await pending(resources, stream) == 1
        assert await stored_levels(resources, benchmark.id) == []

        rescuer = StreamConsumer(
            resources, MarketDataStream(stream), name="rescuer", claim_idle_ms=50
        )
        await asyncio.sleep(0.1)  # the entry has been idle longer than claim_idle_ms
        assert await rescuer.step(block=False) == 1

    assert await pending(resources, stream) == 0
    assert await stored_levels(resources, benchmark.id) == [(T0, 100.0)]
    assert [m["seq"] for m in published] == [1]


async def test_killed_after_commit_the_reclaimed_entry_is_not_applied_again(
    resources: Resources, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    reached = asyncio.Event()
    doomed = StreamConsumer(
        resources, hanging(stream, after_apply=True, reached=reached), name="doomed"
    )
    live = StreamConsumer(resources, MarketDataStream(stream), name="live")
    await doomed.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    async with channel(resources, benchmark.symbol) as published:
        await kill_while_holding(doomed, reached)
        # Meanwhile a correction arrives and is applied: re-applying the first entry on
        # reclaim would silently undo it.
        await add(resources, stream, tick(benchmark.symbol, T0, 100.5))
        assert await live.step(block=False) == 1
        rescuer = StreamConsumer(
            resources, MarketDataStream(stream), name="rescuer", claim_idle_ms=50
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
    reached = asyncio.Event()
    first = StreamConsumer(
        resources, hanging(stream, after_apply=True, reached=reached), name="worker-1"
    )
    await first.ensure_group()
    await add(resources, stream, tick(benchmark.symbol, T0, 100.0))
    await kill_while_holding(first, reached)

    restarted = StreamConsumer(resources, MarketDataStream(stream), name="worker-1")
    assert await restarted.step(block=False) == 1
    assert await pending(resources, stream) == 0
    assert await last_seq(resources, benchmark.id) == 1


KILLED_AFTER_COMMIT = textwrap.dedent("""
    import asyncio, os, signal, sys
    from services.config import load_settings
    from services.feeds.stream import MarketDataStream
    from services.resources import open_resources
    from services.streams import StreamConsumer

    class ApplyThenDie(MarketDataStream):
        async def apply(self, batch, entries):
            await super().apply(batch, entries)
            batch.after_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))  # not acknowledged

    async def main() -> None:
        resources = await open_resources(load_settings())
        await StreamConsumer(resources, ApplyThenDie(sys.argv[1]), name="doomed").step()

    asyncio.run(main())
""")


async def test_a_process_killed_after_commit_leaves_the_entry_to_be_reclaimed_once(
    resources: Resources, settings: Settings, stream: str
) -> None:
    benchmark = await create_benchmark(resources)
    consumer = market_data_consumer(resources, stream=stream, name="rescuer")
    consumer.claim_idle_ms = 1
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
