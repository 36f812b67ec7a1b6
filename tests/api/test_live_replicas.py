"""Two API processes (real uvicorn subprocesses) sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.config import Settings
from services.resources import Resources
from tests.api.conftest import DAY, PERFORMANCE, record
from tests.factories import create_account, create_key, create_strategy
from tests.live_server import ServerProcess, start_server_process, stop_server_process
from tests.redis_clients import bridge_name, kill_pubsub_clients, pubsub_clients
from tests.waiting import until
from tests.wsclient import graphql_ws

pytestmark = pytest.mark.slow

RECORD = """
mutation($id: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $id, points: $points) {
    ... on PerformanceRecorded { lastSeq }
  }
}
"""


@pytest.fixture(scope="module")
async def replicas(settings: Settings) -> AsyncIterator[list[ServerProcess]]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    started = await asyncio.gather(
        *(start_server_process(settings.database_url, settings.redis_url) for _ in range(2))
    )
    try:
        yield list(started)
    finally:
        for server in started:
            stop_server_process(server)


_writer_key: list[str] = []


@pytest.fixture(autouse=True)
async def writer_key(resources: Resources) -> None:
    """An admin key for writing through the server processes (anonymous cannot write)."""
    if not _writer_key:
        account = await create_account(resources)
        _writer_key.append(await create_key(resources, account=account, scopes=["admin"]))


async def record_through(server: ServerProcess, sid: int, day: int, nav: float) -> int:
    stamp = (DAY + timedelta(days=day)).isoformat()
    variables = {"id": str(sid), "points": [{"timestamp": stamp, "nav": nav}]}
    headers = {"X-API-Key": _writer_key[0]}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            server.http_url, json={"query": RECORD, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    last: int = body["data"]["recordPerformance"]["lastSeq"]
    return last


def names(servers: list[ServerProcess]) -> list[str]:
    return [bridge_name(f"{socket.gethostname()}-{s.process.pid}") for s in servers]


async def test_a_point_recorded_through_one_process_reaches_a_subscriber_of_the_other(
    resources: Resources, replicas: list[ServerProcess]
) -> None:
    writer, reader = replicas
    sid = await create_strategy(resources)
    async with graphql_ws(reader.ws_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record_through(writer, sid, 0, 100.0)
        first = await sub.next_data()
        # The subscriber has replayed and is live: this one can only come through Redis.
        await record_through(writer, sid, 1, 101.0)
        second = await sub.next_data()
    assert [first["performance"]["seq"], second["performance"]["seq"]] == [1, 2]
    assert second["performance"]["point"]["nav"] == 101.0


async def test_killing_the_pubsub_connection_while_publishing_loses_nothing(
    resources: Resources, replicas: list[ServerProcess]
) -> None:
    sid = await create_strategy(resources)
    subscribed = names(replicas[1:])

    async def reconnected() -> bool:
        return bool(await pubsub_clients(resources.redis, subscribed))

    async with graphql_ws(replicas[1].ws_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        await record(resources, sid, (0, 100.0))
        await sub.next_data()
        kills = 0
        for batch in range(333):  # 999 more points, 3 per commit, a minute apart
            if batch % 30 == 15 or batch == 332:
                # The last kill precedes the last commit: no later event reveals that gap,
                # only the resynchronisation after the reconnect can.
                await until(reconnected, "the pub/sub connection to be back")
                kills += await kill_pubsub_clients(resources.redis, subscribed)
            points = [(1 + 3 * batch + i, 100.0 + i) for i in range(3)]
            await record(resources, sid, *points, unit=timedelta(minutes=1))
        events = await sub.collect(999, wait_s=30)
    seqs = [e["performance"]["seq"] for e in events]
    assert seqs == list(range(2, 1001))  # with seq 1 above: all 1,000, in order, once each
    assert kills == 12


async def test_resuming_on_the_other_process_misses_nothing_and_doubles_nothing(
    resources: Resources, replicas: list[ServerProcess]
) -> None:
    first, second = replicas
    sid = await create_strategy(resources)
    async with graphql_ws(first.ws_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
        for day in range(3):
            await record_through(second, sid, day, 100.0 + day)
        seen = [e["performance"]["seq"] for e in await sub.collect(3)]
    for day in range(3, 6):
        await record_through(first, sid, day, 100.0 + day)
    async with graphql_ws(second.ws_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": seen[-1]})
        missed = [e["performance"]["seq"] for e in await sub.collect(3)]
        await record_through(first, sid, 6, 106.0)
        live = [e["performance"]["seq"] for e in await sub.collect(1)]
    assert seen + missed + live == list(range(1, 8))


async def test_a_process_killed_mid_stream_loses_nothing_for_a_client_that_resumes_elsewhere(
    settings: Settings, resources: Resources, replicas: list[ServerProcess]
) -> None:
    survivor = replicas[0]
    assert settings.database_url is not None
    assert settings.redis_url is not None
    doomed = await start_server_process(settings.database_url, settings.redis_url)
    sid = await create_strategy(resources)
    seen: list[int] = []
    try:
        async with graphql_ws(doomed.ws_url) as ws:
            sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": 0})
            for day in range(3):
                await record_through(survivor, sid, day, 100.0 + day)
            seen = [e["performance"]["seq"] for e in await sub.collect(3)]
            doomed.process.kill()  # SIGKILL: no graceful close, no goodbye to the client
            doomed.process.wait()
            for day in range(3, 6):  # written while the client has no connection
                await record_through(survivor, sid, day, 100.0 + day)
    except Exception:  # the dead server's socket surfaces as a client error: expected
        pass
    finally:
        if doomed.process.poll() is None:
            stop_server_process(doomed)
    async with graphql_ws(survivor.ws_url) as ws:
        sub = await ws.subscribe(PERFORMANCE, {"ids": [str(sid)], "afterSeq": seen[-1]})
        resumed = [e["performance"]["seq"] for e in await sub.collect(3)]
    assert seen + resumed == list(range(1, 7))
