"""Consumers that die between read and acknowledgement: reclaimed, applied exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence

from services.config import Settings
from services.feeds.stream import GROUP, market_data_apply, market_data_consumer
from services.resources import Resources
from services.streams import Apply, StreamConsumer, StreamEntry
from tests.factories import create_benchmark
from tests.services.feeds.conftest import stored_levels
from tests.services.feeds.streams import T0, add, channel, last_seq, pending, tick


def hanging(apply: Apply, *, after_apply: bool, reached: asyncio.Event) -> Apply:
    """An apply that stops for good before or after the real one: a consumer that dies."""

    async def run(entries: Sequence[StreamEntry]) -> Sequence[str]:
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
