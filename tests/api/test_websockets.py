"""WebSockets over a real server and a real graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed

from schema.app import create_app
from services import api_keys
from services.config import Environment
from services.resources import Resources
from tests.api.ws_schema import ws_schema
from tests.factories import create_account, create_key, create_strategy

PROTOCOL = "graphql-transport-ws"
HEARTBEAT = "subscription($id: ID!) { strategyHeartbeat(id: $id) }"


async def serve(resources: Resources) -> AsyncIterator[str]:
    app = create_app(resources=resources, schema=ws_schema)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, ws="websockets-sansio", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


def configured(resources: Resources, **settings: Any) -> Resources:
    return dataclasses.replace(resources, settings=resources.settings.model_copy(update=settings))


@pytest.fixture(scope="module")
async def url(resources: Resources) -> AsyncIterator[str]:
    fast = configured(resources, ws_init_timeout_s=0.5, auth_recheck_s=0.2)
    async for address in serve(fast):
        yield address


@pytest.fixture(scope="module")
async def production_url(resources: Resources) -> AsyncIterator[str]:
    async for address in serve(configured(resources, environment=Environment.PRODUCTION)):
        yield address


async def send(ws: Connection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: Connection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


async def closed(ws: Connection) -> tuple[int | None, str | None]:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed:
        return ws.close_code, ws.close_reason


async def initialised(url: str, payload: dict[str, Any] | None = None) -> Connection:
    ws = await connect(url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await send(ws, {"type": "connection_init", "payload": payload or {}})
    assert await receive(ws) == {"type": "connection_ack"}
    return ws


def subscribe(id: str, strategy_id: int | str) -> dict[str, Any]:
    payload = {"query": HEARTBEAT, "variables": {"id": str(strategy_id)}}
    return {"type": "subscribe", "id": id, "payload": payload}


async def test_a_stream_for_a_readable_strategy(url: str, resources: Resources) -> None:
    account = await create_account(resources)
    strategy = await create_strategy(resources, account=account)
    key = await create_key(resources, account=account)
    async with await initialised(url, {"apiKey": key}) as ws:
        await send(ws, subscribe("1", strategy))
        first = await receive(ws)
        assert first == {"type": "next", "id": "1", "payload": {"data": {"strategyHeartbeat": 1}}}


async def test_without_init_the_connection_is_closed(url: str) -> None:
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert await closed(ws) == (4408, "Connection initialisation timeout")


async def test_a_bad_token_is_refused_at_init(url: str) -> None:
    for payload in ({"authorization": "Bearer not-a-token"}, {"apiKey": "pgk_nope"}):
        async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
            await send(ws, {"type": "connection_init", "payload": payload})
            assert await closed(ws) == (4403, "Forbidden")


async def test_production_requires_credentials_at_init(production_url: str) -> None:
    async with connect(production_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await closed(ws) == (4403, "Forbidden")


async def test_subscribing_before_the_ack_is_refused(url: str) -> None:
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await send(ws, subscribe("1", 1))
        assert await closed(ws) == (4401, "Unauthorized")


async def test_a_duplicate_id_closes_the_connection(url: str, resources: Resources) -> None:
    strategy = await create_strategy(resources)
    async with await initialised(url) as ws:
        await send(ws, subscribe("same", strategy))
        await send(ws, subscribe("same", strategy))
        assert await closed(ws) == (4409, "Subscriber for same already exists")


async def test_the_legacy_subprotocol_is_refused(url: str) -> None:
    async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        assert await closed(ws) == (4406, "Subprotocol not acceptable")


async def test_at_most_twenty_subscriptions(url: str, resources: Resources) -> None:
    strategy = await create_strategy(resources)
    async with await initialised(url) as ws:
        for n in range(20):
            await send(ws, subscribe(str(n), strategy))
        await send(ws, subscribe("20", strategy))
        refused = None
        while refused is None:
            message = await receive(ws)
            if message["type"] == "error":
                refused = message
            else:
                assert message["type"] == "next"
                assert int(message["id"]) < 20
        assert refused == {
            "type": "error",
            "id": "20",
            "payload": [{"message": "Subscription limit reached"}],
        }


async def test_messages_over_the_size_limit_close_the_connection(url: str) -> None:
    async with await initialised(url) as ws:
        query = "subscription { strategyHeartbeat(id: 1) }" + " " * 70_000
        await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": query}})
        assert await closed(ws) == (1009, "message larger than 65536 bytes")


async def test_partner_a_cannot_subscribe_to_partner_b(url: str, resources: Resources) -> None:
    a, b = await create_account(resources), await create_account(resources)
    theirs = await create_strategy(resources, account=b)
    async with await initialised(url, {"apiKey": await create_key(resources, account=a)}) as ws:
        await send(ws, subscribe("1", theirs))
        message = await receive(ws)
        assert message["type"] == "next"
        assert message["payload"]["data"] is None
        [error] = message["payload"]["errors"]
        assert error["message"] == f"unknown strategy {theirs}"
        assert error["extensions"] == {"code": "NOT_FOUND"}


async def test_revoking_the_key_ends_the_stream_within_seconds(
    url: str, resources: Resources
) -> None:
    account = await create_account(resources)
    strategy = await create_strategy(resources, account=account)
    key = await create_key(resources, account=account)
    async with await initialised(url, {"apiKey": key}) as ws:
        await send(ws, subscribe("1", strategy))
        assert (await receive(ws))["type"] == "next"
        await api_keys.revoke_api_key(resources, prefix=api_keys.key_prefix(key) or "")
        ending = [await receive(ws)]
        while ending[-1]["type"] == "next" and "errors" not in ending[-1]["payload"]:
            ending.append(await receive(ws))
        assert len(ending) < 20  # a beat every 50 ms, a re-check every 200 ms
        [error] = ending[-1]["payload"]["errors"]
        assert error["message"].endswith("has been revoked")
        assert error["extensions"] == {"code": "UNAUTHENTICATED"}
        assert await receive(ws) == {"type": "complete", "id": "1"}
