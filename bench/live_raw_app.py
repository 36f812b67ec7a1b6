"""The baseline for bench/live_bench.py: a raw Starlette WebSocket fan-out.

One Redis connection in pub/sub mode (read with hiredis, as perfgraph's bridge reads),
subscribed to the channels its clients ask for; every message is forwarded, as received,
to each WebSocket subscribed to its channel. No GraphQL, no sequence numbers, no replay,
no queues: the cost floor of moving the same messages from Redis to the same sockets
with the same server stack.

A client connects to /ws and sends one text message: a JSON list of channel names.
Run: uvicorn bench.live_raw_app:app (PERFGRAPH_REDIS_URL names the Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import AsyncIterator

import orjson
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from services.resources import dedicated_connection

subscribers: dict[bytes, set[WebSocket]] = {}
state: dict[str, AbstractConnection] = {}


async def forward(conn: AbstractConnection) -> None:
    while True:
        reply = await conn.read_response(timeout=math.inf)
        if not isinstance(reply, list) or reply[0] != b"message":
            continue
        text = reply[2].decode()
        for websocket in tuple(subscribers.get(reply[1], ())):
            with contextlib.suppress(WebSocketDisconnect):
                await websocket.send_text(text)


async def endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    channels = [c.encode() for c in orjson.loads(await websocket.receive_text())]
    new = [c for c in channels if c not in subscribers]
    for channel in channels:
        subscribers.setdefault(channel, set()).add(websocket)
    if new:
        await state["conn"].send_command("SUBSCRIBE", *new)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        for channel in channels:
            subscribers[channel].discard(websocket)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    redis = Redis.from_url(os.environ["PERFGRAPH_REDIS_URL"])
    conn = dedicated_connection(redis, "bench-raw")
    await conn.connect()  # type: ignore[no-untyped-call]
    state["conn"] = conn
    task = asyncio.create_task(forward(conn))
    yield
    task.cancel()
    await conn.disconnect()
    await redis.aclose()


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)], lifespan=lifespan)
