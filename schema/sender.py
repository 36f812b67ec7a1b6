"""Writing a topic's payloads to one WebSocket operation, without a task switch per event.

Waking a task for every event and subscriber costs about as much as the socket write
itself (bench/results/live.md). So while a sender is idle, the topic hands it each delivery
directly and the write runs right there: an ASGI send returns without suspending unless the
connection's transport is paused, and then the half-done send is passed to the sender's
own task to finish, and later deliveries queue behind it, in order, up to the subscriber's
bound (past which the subscriber gets RESYNC_REQUIRED, as always).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from schema.multiplex import Cursor, Delivery, LiveSpec, Subscriber, Topic, replay

Send = Callable[[str], Coroutine[Any, Any, None]]
_DONE = object()


def _start(coro: Coroutine[Any, Any, None]) -> Any:
    """Run ``coro`` until it first suspends; returns what it awaits, or _DONE."""
    try:
        return coro.send(None)
    except StopIteration:
        return _DONE


async def _finish(coro: Coroutine[Any, Any, None], awaiting: Any) -> None:
    """Run to its end, in this task, a coroutine that suspended outside any task."""
    try:
        while awaiting is not _DONE:
            if isinstance(awaiting, asyncio.Future):
                await asyncio.wait([awaiting])  # the coroutine reads the outcome itself
            else:
                await asyncio.sleep(0)  # a bare yield: it only asked for a turn
            awaiting = _start(coro)
    except BaseException:
        coro.close()
        raise


class SocketSender:
    def __init__(
        self,
        prefix: str,
        send: Send,
        topic: Topic,
        subscriber: Subscriber,
        spec: LiveSpec[Any],
        max_replay: int,
    ) -> None:
        self.prefix = prefix
        self.send = send
        self.topic = topic
        self.subscriber = subscriber
        self.spec = spec
        self.max_replay = max_replay
        self.cursor = Cursor(spec)
        self._pending: tuple[Coroutine[Any, Any, None], Any] | None = None
        self._failure: Exception | None = None

    def offer(self, delivery: Delivery) -> bool:
        """Write a delivery now (the topic calls this while the sender is idle).

        Once per delivery and subscriber: ``Cursor.accept`` is spelled out here.
        """
        key = delivery.key
        if key is not None:
            last = self.cursor.last
            previous = last.get(key)
            if previous is not None and delivery.seq <= previous:
                return True
            last[key] = delivery.seq
        coro = self.send(self.prefix + str(delivery.payload) + "}")
        try:
            self._pending = (coro, coro.send(None))
        except StopIteration:
            return True  # written
        except Exception as exc:  # the connection is gone: the task reports it
            self._failure = exc
        # Suspended (the transport is paused) or failed: the task takes over, and the
        # topic queues behind it until it has finished this write.
        self.subscriber.inline = None
        self.subscriber.wake()
        return True

    async def run(self) -> None:
        """Replay, then deliver until cancelled; raises RESYNC_REQUIRED or a disconnect."""
        for delivery in await replay(self.topic, self.spec, self.max_replay):
            if self.cursor.accept(delivery):
                await self.send(self.prefix + str(delivery.payload) + "}")
        subscriber = self.subscriber
        while True:
            if self._pending is not None:
                coro, awaiting = self._pending
                self._pending = None
                await _finish(coro, awaiting)
            if self._failure is not None:
                raise self._failure
            batch = self.cursor.queued(subscriber)
            for delivery in batch:
                await self.send(self.prefix + str(delivery.payload) + "}")
            if not batch:
                subscriber.inline = self.offer
                await subscriber.wait()
                subscriber.inline = None
