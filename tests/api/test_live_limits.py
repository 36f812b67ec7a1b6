"""Live subscriptions at their limits: a client that never reads, lost access, churn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from schema.app import create_app
from services import keys, metrics
from services.config import Settings, load_settings
from services.resources import Resources
from tests.api.conftest import PERFORMANCE, record, topics
from tests.factories import create_strategy
from tests.live_server import serve_in_process
from tests.waiting import until
from tests.wsclient import graphql_ws

QUEUE = 16
MINUTE = timedelta(minutes=1)


def counted(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def drops() -> float:
    return counted(
        "perfgraph_subscription_drops_total", kind="performance", reason="slow_subscriber"
    )


def deliveries() -> float:
    return counted("perfgraph_subscription_deliveries_total", kind="performance")


@pytest.fixture(scope="module")
async def tight(settings: Settings, resources: Resources) -> AsyncIterator[tuple[Starlette, str]]:
    """An app with small subscriber queues and frequent access checks, on a real uvicorn."""
    tuned = load_settings(
        **{
            **settings.model_dump(),
            "live_queue_size": QUEUE,
            "live_access_recheck_s": 0.2,
        }
    )
    app = create_app(tuned, resources=resources)
    async with serve_in_process(app) as url:
        yield app, url


async def test_a_subscriber_that_never_reads_is_bounded_then_told_where_to_resume(
    resources: Resources, tight: tuple[Starlette, str]
) -> None:
    app, url = tight
    registry = topics(app)
    sid = await create_strategy(resources)
    day = 0
    dropped_before = drops()
    async with graphql_ws(url, read=False, receive_buffer=4096) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (day, 100.0))

        async def attached() -> bool:
            return any(str(sid) in k and t.subscribers for k, t in registry.topics.items())

        await until(attached, "the subscriber")
        # Write far more than the socket buffers and the queue hold, never reading.
        high_water = 0
        # (The drop counter, not the subscriber: an overflowed one may already be detached.)
        while drops() == dropped_before:
            batch = [(day + i, 100.0 + i) for i in range(1, 501)]
            day += 500
            await record(resources, sid, *batch, unit=MINUTE)
            high_water = max(high_water, registry.stats()["queued"])
            assert day < 100_000, "the subscriber never fell behind"
        assert high_water <= QUEUE
        assert registry.stats()["queued"] == 0  # the backlog is dropped, not kept

        ws.start_reading()
        received: list[int] = []
        while True:
            message = await sub.message()
            if message["payload"].get("errors"):
                break
            received.append(message["payload"]["data"]["performance"]["seq"])
        [error] = message["payload"]["errors"]
        assert (await sub.message())["type"] == "complete"
    assert received == list(range(1, len(received) + 1))  # a gap-free prefix
    assert error["extensions"]["code"] == "RESYNC_REQUIRED"
    assert error["extensions"]["lastSeq"] == received[-1]
    assert error["extensions"]["after"] == [{"strategyId": str(sid), "seq": received[-1]}]

    last = await record(resources, sid, (day + 1, 1.0), unit=MINUTE)
    async with graphql_ws(url) as ws:
        again = await ws.subscribe(
            PERFORMANCE, {"ids": [str(sid)], "after": error["extensions"]["after"]}
        )
        rest = await again.collect(last - received[-1])
    assert [e["performance"]["seq"] for e in rest] == list(range(received[-1] + 1, last + 1))


async def test_a_subscriber_that_reads_keeps_up_with_bursts_larger_than_its_queue(
    resources: Resources, tight: tuple[Starlette, str]
) -> None:
    _, url = tight
    sid = await create_strategy(resources)
    async with graphql_ws(url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0))
        await sub.next_data()
        delivered_before, dropped_before = deliveries(), drops()
        for start in range(1, 2001, 500):  # each call publishes 500 events at once
            batch = [(d, 100.0 + d) for d in range(start, start + 500)]
            await record(resources, sid, *batch, unit=MINUTE)
        events = await sub.collect(2000)
    assert [e["performance"]["seq"] for e in events] == list(range(2, 2002))
    assert deliveries() - delivered_before >= 2000  # each one counted once it is handed over
    assert drops() == dropped_before


async def test_losing_access_ends_the_subscription(
    resources: Resources, tight: tuple[Starlette, str]
) -> None:
    _, url = tight
    sid = await create_strategy(resources)
    async with graphql_ws(url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0))
        await sub.next_data()
        async with resources.engine.begin() as conn:
            await conn.execute(text("DELETE FROM strategies WHERE id = :id"), {"id": sid})
        message = await sub.message()
        assert (await sub.message())["type"] == "complete"
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_client_that_vanishes_mid_stream_is_cleaned_up(
    resources: Resources, app: Starlette, live_url: str
) -> None:
    sid = await create_strategy(resources)
    registry = topics(app)
    async with graphql_ws(live_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0))
        await sub.next_data()
        writing = asyncio.create_task(
            record(resources, sid, *((m, 100.0) for m in range(1, 400)), unit=MINUTE)
        )
        ws.ws.transport.abort()  # no close frame, no complete: the connection just drops
        await writing

    async def gone() -> bool:
        return not any(str(sid) in key for key in registry.topics)

    await until(gone, "the topic of the vanished subscriber to close")


async def test_subscribe_and_unsubscribe_cycles_leave_nothing_behind(
    resources: Resources, app: Starlette, live_url: str
) -> None:
    sid = await create_strategy(resources)
    await record(resources, sid, (0, 100.0))
    channel = keys.performance_channel(sid)
    registry = topics(app)
    async with graphql_ws(live_url) as ws:

        async def cycle() -> None:
            sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
            await sub.next_data()  # attached and replayed
            await sub.complete()

        await cycle()

        async def idle() -> bool:
            subscribed = (await resources.redis.pubsub_numsub(channel))[0][1]
            return registry.stats()["topics"] == 0 and subscribed == 0

        await until(idle, "the first cycle to unwind")
        tasks = len(asyncio.all_tasks())
        for _ in range(200):
            await cycle()
        await until(idle, "every topic and channel to go")
        await until(_tasks_at(tasks), "tasks to return to their baseline")


def _tasks_at(count: int) -> Any:
    async def check() -> bool:
        return len(asyncio.all_tasks()) <= count

    return check
