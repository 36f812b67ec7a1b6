"""A subscriber's writes: inline while its socket keeps up, queued behind a paused one.

The socket here is the ASGI send as the sender sees it: it writes at once unless its
transport is paused, and then waits until it is writable again, as uvicorn's does.
(``tests/api/test_live_limits.py`` drives the same paths through a real server.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from schema.multiplex import Delivery, LiveSpec, Subscriber, Topic
from schema.sender import SocketSender
from schema.ws import SERVER_SEND, text_sender
from services.errors import ResyncRequired

PREFIX = '{"id":"1","type":"next","payload":'


class Socket:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, text: str) -> None:
        await self.writable.wait()
        self.frames.append(orjson.loads(text))

    @property
    def seqs(self) -> list[int]:
        return [frame["payload"]["data"]["seq"] for frame in self.frames]


def delivery(seq: int) -> Delivery:
    return Delivery("7", seq, None, orjson.dumps({"data": {"seq": seq}}).decode())


def spec() -> LiveSpec[Any]:
    def no_feed() -> Any:
        raise AssertionError("the topic is not started here")

    return LiveSpec(feed=no_feed, present=lambda value: value, key_name="strategyId")


async def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"gave up waiting for {what}")


async def started(
    send: Callable[[str], Awaitable[None]], capacity: int
) -> tuple[Subscriber, asyncio.Task[None]]:
    live = spec()
    subscriber = Subscriber(capacity)
    sender = SocketSender(PREFIX, send, Topic("t", live, None), subscriber, live, 100)  # type: ignore[arg-type]
    task = asyncio.create_task(sender.run())
    await until(lambda: subscriber.inline is not None, "the sender to be idle")
    return subscriber, task


async def test_order_is_kept_from_inline_writes_to_queued_ones_and_back() -> None:
    socket = Socket()
    subscriber, task = await started(socket.send, capacity=64)
    for seq in (1, 2, 3):
        subscriber.push(delivery(seq))
        assert socket.seqs == list(range(1, seq + 1))  # written by the push itself
    socket.writable.clear()  # the transport is paused
    for seq in range(4, 9):
        subscriber.push(delivery(seq))
    assert socket.seqs == [1, 2, 3]
    assert subscriber.inline is None  # the sender's task has taken over
    assert len(subscriber) == 4  # 4 is being written, 5..8 wait behind it
    socket.writable.set()
    await until(lambda: subscriber.inline is not None, "the backlog to drain")
    assert socket.seqs == list(range(1, 9))
    for seq in (9, 10, 10, 4):  # inline again; what was sent is not sent twice
        subscriber.push(delivery(seq))
    assert socket.seqs == list(range(1, 11))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_stalled_socket_bounds_the_subscriber_then_tells_it_where_to_resume() -> None:
    socket = Socket()
    subscriber, task = await started(socket.send, capacity=4)
    subscriber.push(delivery(1))
    socket.writable.clear()  # the client stops reading
    for seq in range(2, 1001):
        subscriber.push(delivery(seq))
        assert len(subscriber) <= 4
    assert subscriber.overflowed
    assert len(subscriber) == 0  # the backlog is dropped, not kept
    assert not task.done()  # still writing 2
    socket.writable.set()
    with pytest.raises(ResyncRequired) as raised:
        await asyncio.wait_for(task, 5)
    assert socket.seqs == [1, 2]
    assert raised.value.after == {"7": 2}  # the last one sent


async def test_a_connection_gone_during_an_inline_write_ends_the_sender() -> None:
    async def gone(text: str) -> None:
        raise WebSocketDisconnect(1006)

    subscriber, task = await started(gone, capacity=4)
    subscriber.push(delivery(1))
    with pytest.raises(WebSocketDisconnect):
        await asyncio.wait_for(task, 5)


async def test_frames_go_through_the_kept_asgi_send_while_the_connection_is_open() -> None:
    messages: list[Message] = []

    async def server_send(message: Message) -> None:
        if message["text"] == "after the peer left":
            raise OSError("the server's ClientDisconnected")
        messages.append(message)

    async def starlette_send(message: Message) -> None:
        raise AssertionError("live frames skip Starlette's send")

    async def receive() -> Message:
        raise AssertionError("not read here")

    scope = {"type": "websocket", "path": "/graphql", "headers": [], SERVER_SEND: server_send}
    websocket = WebSocket(scope, receive, starlette_send)
    websocket.application_state = WebSocketState.CONNECTED
    send_text = text_sender(websocket)
    await send_text("a frame")
    assert messages == [{"type": "websocket.send", "text": "a frame"}]
    with pytest.raises(WebSocketDisconnect):
        await send_text("after the peer left")
    assert websocket.application_state == WebSocketState.DISCONNECTED
    with pytest.raises(WebSocketDisconnect):
        await send_text("after the close")
    assert len(messages) == 1
