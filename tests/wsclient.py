"""A small graphql-transport-ws client for tests, on the ``websockets`` package."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class Subscription:
    """One operation's messages: ``next`` payloads, then ``complete`` (or an ``error``)."""

    def __init__(self, client: GraphQLWS, op_id: str) -> None:
        self.client = client
        self.id = op_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def message(self, wait_s: float = 10.0) -> dict[str, Any]:
        """The next message for this operation (``next``, ``error`` or ``complete``)."""
        return await asyncio.wait_for(self.queue.get(), wait_s)

    async def next_data(self, wait_s: float = 10.0) -> dict[str, Any]:
        message = await self.message(wait_s)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def collect(self, count: int, wait_s: float = 30.0) -> list[dict[str, Any]]:
        return [await self.next_data(wait_s) for _ in range(count)]

    async def complete(self) -> None:
        await self.client.send({"id": self.id, "type": "complete"})
        self.client.subscriptions.pop(self.id, None)


class GraphQLWS:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.subscriptions: dict[str, Subscription] = {}
        self.binary_frames = 0
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> Subscription:
        op_id = str(next(self._ids))
        subscription = Subscription(self, op_id)
        self.subscriptions[op_id] = subscription
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op_id, "type": "subscribe", "payload": payload})
        return subscription

    def start_reading(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            if isinstance(raw, bytes):
                self.binary_frames += 1
            message = orjson.loads(raw)
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            subscription = self.subscriptions.get(message.get("id", ""))
            if subscription is not None:
                subscription.queue.put_nowait(message)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.ws.close()


@asynccontextmanager
async def graphql_ws(
    url: str, *, read: bool = True, receive_buffer: int | None = None
) -> AsyncIterator[GraphQLWS]:
    """A connected, initialised client. ``read=False`` leaves reading to the test, and then
    the socket's receive buffer is ``receive_buffer`` bytes and frames are not compressed,
    so that a client that does not read fills the buffers quickly."""
    sock = None
    if receive_buffer is not None:
        host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect((host, int(port)))
        sock.setblocking(False)
    max_queue = 16 if read else 1
    async with connect(
        url,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        sock=sock,
        max_queue=max_queue,
        compression="deflate" if read else None,
        open_timeout=10,
    ) as ws:
        client = GraphQLWS(ws)
        await client.send({"type": "connection_init", "payload": {}})
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        if read:
            client.start_reading()
        try:
            yield client
        finally:
            await client.close()
