"""The pub/sub bridge on a real Redis: confirmation, reference counts, reconnects, bounds."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from services import keys, metrics
from services.config import Settings
from services.pubsub import PubSubBridge
from services.resources import Resources, dedicated_connection, open_resources
from tests.redis_clients import kill_pubsub_clients
from tests.waiting import until


@pytest.fixture
async def bridge(resources: Resources) -> AsyncIterator[tuple[PubSubBridge, str]]:
    """A bridge of its own, with a unique client name the test can kill."""
    name = keys.pubsub_client_name(f"test-{uuid.uuid4().hex[:8]}")
    opened = PubSubBridge(lambda: dedicated_connection(resources.redis, name), min_backoff_s=0.01)
    try:
        yield opened, name
    finally:
        await opened.close()


def channel() -> str:
    """A channel no other test uses (a strategy id far beyond any test database's)."""
    return keys.performance_channel(random.randrange(10**9, 2**31))


async def numsub(redis: Redis, name: str) -> int:
    return int((await redis.pubsub_numsub(name))[0][1])


async def test_listen_returns_once_subscribed_and_delivers_in_order(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, _ = bridge
    name = channel()
    listener = await pubsub.listen([name])
    assert await numsub(resources.redis, name) == 1  # confirmed before listen returned
    for i in range(5):
        await resources.redis.publish(name, f"m{i}")
    received: list[bytes] = []
    while len(received) < 5:
        resync, messages = await asyncio.wait_for(listener.get(), 5)
        assert not resync
        received += messages
    assert received == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    await listener.close()


async def test_channels_are_reference_counted(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, _ = bridge
    shared, other = channel(), channel()
    first = await pubsub.listen([shared])
    second = await pubsub.listen([shared, other])
    assert pubsub.channels == {shared, other}
    assert await numsub(resources.redis, shared) == 1  # one connection, whatever the listeners
    await first.close()
    assert await numsub(resources.redis, shared) == 1  # the second listener still needs it
    await resources.redis.publish(shared, "still here")
    assert await asyncio.wait_for(second.get(), 5) == (False, [b"still here"])
    await second.close()
    assert pubsub.channels == frozenset()

    async def gone() -> bool:
        return (
            await numsub(resources.redis, shared) == 0 and await numsub(resources.redis, other) == 0
        )

    await until(gone, "UNSUBSCRIBE of the last listener")


async def test_reconnects_resubscribes_and_asks_listeners_to_resync(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, client_name = bridge
    name = channel()
    listener = await pubsub.listen([name])
    assert await kill_pubsub_clients(resources.redis, [client_name]) == 1

    resync, _ = await asyncio.wait_for(listener.get(), 10)
    assert resync  # after the re-subscription is confirmed: what was missed is re-read
    assert pubsub.reconnects == 1
    assert await numsub(resources.redis, name) == 1
    await resources.redis.publish(name, "after")
    assert await asyncio.wait_for(listener.get(), 5) == (False, [b"after"])
    await listener.close()


async def test_a_listener_that_falls_behind_is_bounded_and_told_to_resync(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, _ = bridge
    name = channel()
    slow = await pubsub.listen([name], capacity=3)
    fast = await pubsub.listen([name], capacity=100)
    for i in range(10):
        await resources.redis.publish(name, str(i))
    received: list[bytes] = []
    while len(received) < 10:
        received += (await asyncio.wait_for(fast.get(), 5))[1]
    resync, kept = slow.take_nowait()
    assert resync
    assert slow.overflows >= 1
    assert len(kept) <= 3  # what arrived since the last overflow, never more than capacity
    assert received == [str(i).encode() for i in range(10)]  # others are unaffected
    await slow.close()
    await fast.close()


async def test_a_waiting_consumer_takes_messages_inline_until_it_refuses_one(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, _ = bridge
    name = channel()
    listener = await pubsub.listen([name])
    witness = await pubsub.listen([name])  # gets each message in the same step
    taken: list[bytes] = []

    def take(data: bytes) -> bool:
        taken.append(data)
        return data != b"refused"

    waiting = asyncio.create_task(listener.get(take))
    for data in (b"a", b"b", b"refused", b"after"):
        await resources.redis.publish(name, data)
    seen: list[bytes] = []
    while len(seen) < 4:
        seen += (await asyncio.wait_for(witness.get(), 5))[1]
    # Taken in the reader's task, never returned; the refused one is returned, and what
    # followed it queues behind it, unseen by the handler.
    resync, returned = await asyncio.wait_for(waiting, 5)
    assert not resync
    assert returned + listener.take_nowait()[1] == [b"refused", b"after"]
    assert taken == [b"a", b"b", b"refused"]

    # Not waiting: nothing is taken inline, even by a handler given later.
    await resources.redis.publish(name, b"queued")
    assert await asyncio.wait_for(witness.get(), 5) == (False, [b"queued"])
    assert await asyncio.wait_for(listener.get(take), 5) == (False, [b"queued"])
    assert taken == [b"a", b"b", b"refused"]
    await listener.close()
    await witness.close()


async def test_an_inline_handler_that_fails_leaves_the_message_to_the_queue(
    resources: Resources, bridge: tuple[PubSubBridge, str], caplog: pytest.LogCaptureFixture
) -> None:
    pubsub, _ = bridge
    name = channel()
    broken = await pubsub.listen([name])
    other = await pubsub.listen([name])

    def fail(data: bytes) -> bool:
        raise RuntimeError("a bug in the handler")

    waiting = asyncio.create_task(broken.get(fail))
    await resources.redis.publish(name, b"m")
    assert await asyncio.wait_for(waiting, 5) == (False, [b"m"])
    assert "inline pub/sub handler failed" in caplog.text
    # The reader goes on: the other listener has the message, and so does the next get().
    assert await asyncio.wait_for(other.get(), 5) == (False, [b"m"])
    await resources.redis.publish(name, b"n")
    assert await asyncio.wait_for(broken.get(fail), 5) == (False, [b"n"])
    await broken.close()
    await other.close()


async def test_a_bug_in_the_reader_reconnects_and_resyncs_instead_of_ending_live_updates(
    resources: Resources,
    bridge: tuple[PubSubBridge, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pubsub, _ = bridge
    name = channel()
    listener = await pubsub.listen([name])
    handle = pubsub._handle

    def fails_once(reply: list[Any]) -> None:
        monkeypatch.setattr(pubsub, "_handle", handle)
        raise RuntimeError("a bug on the reader's path")

    monkeypatch.setattr(pubsub, "_handle", fails_once)
    await resources.redis.publish(name, b"lost")
    resync, _ = await asyncio.wait_for(listener.get(), 10)
    assert resync  # the message the bug swallowed is re-read from the database
    assert "the pub/sub reader failed" in caplog.text
    await resources.redis.publish(name, b"after")
    assert await asyncio.wait_for(listener.get(), 5) == (False, [b"after"])
    await listener.close()


async def test_ten_thousand_subscribe_cycles_leave_nothing_behind(
    resources: Resources, bridge: tuple[PubSubBridge, str]
) -> None:
    pubsub, _ = bridge
    names = [channel() for _ in range(50)]
    warm = await pubsub.listen([names[0]])  # the reader task exists from here on
    await warm.close()
    tasks_before = len(asyncio.all_tasks())

    async def cycle(i: int) -> None:
        listener = await pubsub.listen([names[i % len(names)], names[(i * 7) % len(names)]])
        await listener.close()

    for start in range(0, 10_000, 100):
        await asyncio.gather(*(cycle(i) for i in range(start, start + 100)))

    assert pubsub.channels == frozenset()
    assert pubsub.stats()["listeners"] == 0
    assert len(asyncio.all_tasks()) == tasks_before

    async def unsubscribed() -> bool:
        counts = await resources.redis.pubsub_numsub(*names)
        return all(count == 0 for _, count in counts)

    await until(unsubscribed, "Redis to drop every channel")


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> tuple[metrics.PubSubCollector, CollectorRegistry]:
    """The pub/sub collector, alone in a registry of its own."""
    registry = CollectorRegistry()
    fresh = metrics.PubSubCollector()
    registry.register(fresh)
    monkeypatch.setattr(metrics, "PUBSUB", fresh)
    return fresh, registry


async def test_metrics_count_channels_listeners_and_reconnects(
    resources: Resources,
    bridge: tuple[PubSubBridge, str],
    collector: tuple[metrics.PubSubCollector, CollectorRegistry],
) -> None:
    pubsub, client_name = bridge
    watched, registry = collector
    watched.watch(pubsub)

    def value(name: str) -> float | None:
        return registry.get_sample_value(name)

    assert value("perfgraph_pubsub_channels") == 0  # nothing listens yet
    first, second = channel(), channel()
    one = await pubsub.listen([first, second])
    two = await pubsub.listen([second])
    assert value("perfgraph_pubsub_channels") == 2
    assert value("perfgraph_pubsub_listeners") == 2
    assert value("perfgraph_pubsub_reconnects_total") == 0

    assert await kill_pubsub_clients(resources.redis, [client_name]) == 1
    assert (await asyncio.wait_for(one.get(), 10))[0]  # resynced after the reconnect
    assert value("perfgraph_pubsub_reconnects_total") == 1

    await one.close()
    assert value("perfgraph_pubsub_channels") == 1
    assert value("perfgraph_pubsub_listeners") == 1
    await two.close()
    assert value("perfgraph_pubsub_channels") == 0
    assert value("perfgraph_pubsub_listeners") == 0


async def test_a_process_reports_its_bridge_until_it_closes(
    settings: Settings, collector: tuple[metrics.PubSubCollector, CollectorRegistry]
) -> None:
    _, registry = collector
    opened = await open_resources(settings)
    try:
        await opened.pubsub.listen([channel()])  # still listening when the process closes
        assert registry.get_sample_value("perfgraph_pubsub_channels") == 1
    finally:
        await opened.close()
    assert registry.get_sample_value("perfgraph_pubsub_channels") == 0
