"""The process's one Redis pub/sub connection, shared by every live subscriber in it.

Channels are reference-counted: the first local listener of a channel sends SUBSCRIBE, the
last one to leave sends UNSUBSCRIBE. ``listen`` returns only once Redis has confirmed every
channel, so a caller that reads PostgreSQL afterwards cannot miss a change committed in
between (changes are published after their commit).

Redis pub/sub is at-most-once: a dropped connection loses whatever was published while it
was down. The bridge reconnects with exponential backoff and jitter, re-subscribes, and
once a channel is confirmed again marks its listeners for *resync*: they re-read
PostgreSQL by sequence number, so nothing is lost. A listener whose bounded queue
overflows is marked for resync in the same way, and its queue is dropped.

The connection is a bare redis-py ``Connection`` rather than redis-py's ``PubSub``: that
class re-subscribes silently after a reconnect, which would hide exactly the gap we must
repair. Replies arrive in command order, so each SUBSCRIBE reply is matched to the
channel state that sent it (a channel unsubscribed and subscribed again before the first
reply arrives is not confirmed early).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.errors import ServiceUnavailable

log = logging.getLogger(__name__)
ConnectionFactory = Callable[[], AbstractConnection]
Inline = Callable[[bytes], bool]
_DISCONNECTS = (RedisConnectionError, RedisTimeoutError, OSError)


class Listener:
    """One local consumer of some channels: a bounded queue of raw messages.

    While its consumer waits in :meth:`get` with an ``inline`` handler, a message that
    arrives to an empty queue goes to that handler directly, in the reader's task (no task
    switch per message); a handler that returns False, or raises, leaves the message to the
    queue, and every later message queues behind it until the consumer has taken them.
    """

    def __init__(self, bridge: PubSubBridge, channels: tuple[bytes, ...], capacity: int) -> None:
        self.channels = channels
        self.overflows = 0
        self._bridge = bridge
        self._capacity = capacity
        self._queue: deque[bytes] = deque()
        self._resync = False
        self._waiter: asyncio.Future[None] | None = None
        self._inline: Inline | None = None

    def push(self, data: bytes) -> None:
        inline = self._inline
        if inline is not None and not self._queue and not self._resync:
            try:
                if inline(data):
                    return
            except Exception:  # the consumer's own task handles it again, and reports it
                log.exception("inline pub/sub handler failed; the message is queued")
        if len(self._queue) >= self._capacity:
            # Dropping the backlog keeps memory bounded; the resync re-reads it from the DB.
            self._queue.clear()
            self.overflows += 1
            self.mark_resync()
            return
        self._queue.append(data)
        self._wake()

    def mark_resync(self) -> None:
        self._resync = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, inline: Inline | None = None) -> tuple[bool, list[bytes]]:
        """Wait for messages; returns (resync needed, messages in arrival order).

        ``inline`` takes the messages that arrive while this waits (see the class docs):
        it returns True for a message it has handled, which ``get`` then never returns.
        """
        while not self._queue and not self._resync:
            self._waiter = asyncio.get_running_loop().create_future()
            self._inline = inline
            try:
                await self._waiter
            finally:
                self._waiter = None
                self._inline = None
        return self.take_nowait()

    def take_nowait(self) -> tuple[bool, list[bytes]]:
        resync, self._resync = self._resync, False
        messages = list(self._queue)
        self._queue.clear()
        return resync, messages

    async def close(self) -> None:
        await self._bridge.remove(self)


@dataclass(eq=False)
class _Channel:
    name: bytes
    confirmed: asyncio.Future[None]
    listeners: set[Listener] = field(default_factory=set)
    resync_on_confirm: bool = False


class PubSubBridge:
    def __init__(
        self,
        connect: ConnectionFactory,
        *,
        min_backoff_s: float = 0.05,
        max_backoff_s: float = 5.0,
        ping_interval_s: float = 15.0,
        subscribe_timeout_s: float = 10.0,
    ) -> None:
        self._connect = connect
        self._min_backoff = min_backoff_s
        self._max_backoff = max_backoff_s
        self._ping_interval = ping_interval_s
        self._subscribe_timeout = subscribe_timeout_s
        self._channels: dict[bytes, _Channel] = {}
        self._replies: dict[bytes, deque[_Channel | None]] = {}
        self._conn: AbstractConnection | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._last_read = 0.0
        self.reconnects = 0

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(name.decode() for name in self._channels)

    def stats(self) -> dict[str, Any]:
        return {
            "connected": self._conn is not None,
            "channels": len(self._channels),
            "listeners": len({id(li) for c in self._channels.values() for li in c.listeners}),
            "reconnects": self.reconnects,
        }

    async def listen(self, channels: Iterable[str], *, capacity: int = 10_000) -> Listener:
        """A listener on ``channels``, returned once Redis has confirmed all of them."""
        names = tuple(dict.fromkeys(c.encode() for c in channels))
        listener = Listener(self, names, capacity)
        loop = asyncio.get_running_loop()
        new: list[_Channel] = []
        for name in names:
            channel = self._channels.get(name)
            if channel is None:
                channel = self._channels[name] = _Channel(name, loop.create_future())
                new.append(channel)
            channel.listeners.add(listener)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="perfgraph-pubsub")
        try:
            if new:
                await self._send("SUBSCRIBE", new)
            await self._confirmed([self._channels[n].confirmed for n in names])
        except BaseException:
            await self.remove(listener)
            raise
        return listener

    async def _confirmed(self, futures: list[asyncio.Future[None]]) -> None:
        pending = [f for f in futures if not f.done()]
        if not pending:
            return
        # asyncio.wait, unlike gather, never cancels the futures other listeners share.
        _, still = await asyncio.wait(pending, timeout=self._subscribe_timeout)
        if still:
            raise ServiceUnavailable("Redis did not confirm the live subscription in time")

    async def remove(self, listener: Listener) -> None:
        gone: list[_Channel] = []
        for name in listener.channels:
            channel = self._channels.get(name)
            if channel is None:
                continue
            channel.listeners.discard(listener)
            if not channel.listeners:
                del self._channels[name]
                gone.append(channel)
        if gone:
            await self._send("UNSUBSCRIBE", gone)

    async def _send(self, command: str, channels: list[_Channel]) -> None:
        async with self._lock:
            conn = self._conn
            if conn is None:
                return  # the reconnect subscribes whatever is registered by then
            if command == "SUBSCRIBE":
                for channel in channels:
                    self._replies.setdefault(channel.name, deque()).append(channel)
            try:
                await conn.send_command(command, *(c.name for c in channels))
            except _DISCONNECTS:
                log.debug("pub/sub %s failed; the reader reconnects", command, exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        delay = self._min_backoff
        while True:
            conn = self._connect()
            try:
                await self._open(conn)
                delay = self._min_backoff
                await self._read(conn)
            except _DISCONNECTS as exc:
                log.warning("Redis pub/sub connection lost (%s); reconnecting", exc)
            except Exception:  # a bug in what a message runs must not end live updates
                log.exception("the pub/sub reader failed; reconnecting (subscribers resync)")
            finally:
                self._drop()
                await conn.disconnect(nowait=True)
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self._max_backoff)

    async def _open(self, conn: AbstractConnection) -> None:
        await conn.connect()  # type: ignore[no-untyped-call]
        async with self._lock:
            self._replies.clear()
            self._conn = conn
            channels = list(self._channels.values())
            for channel in channels:
                self._replies.setdefault(channel.name, deque()).append(channel)
            if channels:
                await conn.send_command("SUBSCRIBE", *(c.name for c in channels))

    def _drop(self) -> None:
        """The connection is gone: confirmed channels must be confirmed again, then resync."""
        if self._conn is not None:
            self.reconnects += 1
        self._conn = None
        loop = asyncio.get_running_loop()
        for channel in self._channels.values():
            if channel.confirmed.done():
                channel.confirmed = loop.create_future()
                channel.resync_on_confirm = True

    async def _read(self, conn: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        self._last_read = loop.time()
        watchdog = asyncio.create_task(self._watch(conn))
        try:
            while True:
                reply = await conn.read_response(timeout=math.inf)
                self._last_read = loop.time()
                if isinstance(reply, list):
                    self._handle(reply)
        finally:
            watchdog.cancel()

    def _handle(self, reply: list[Any]) -> None:
        kind = reply[0]
        if kind == b"message":
            channel = self._channels.get(reply[1])
            if channel is not None:
                # A copy: a push runs the consumer's inline handler, which may change the set.
                for listener in tuple(channel.listeners):
                    listener.push(reply[2])
        elif kind == b"subscribe":
            self._confirm(reply[1])

    def _confirm(self, name: bytes) -> None:
        replies = self._replies.get(name)
        sent_by = replies.popleft() if replies else None
        channel = self._channels.get(name)
        if channel is None or channel is not sent_by:
            return  # the reply to a SUBSCRIBE of a channel state since unsubscribed
        if not channel.confirmed.done():
            channel.confirmed.set_result(None)
        if channel.resync_on_confirm:
            channel.resync_on_confirm = False
            for listener in channel.listeners:
                listener.mark_resync()

    async def _watch(self, conn: AbstractConnection) -> None:
        """PING when idle; a connection silent for three intervals is presumed dead."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._ping_interval)
            idle = loop.time() - self._last_read
            if idle > 3 * self._ping_interval:
                log.warning("Redis pub/sub connection silent for %.0f s; reconnecting", idle)
                await conn.disconnect(nowait=True)
                return
            if idle >= self._ping_interval:
                async with self._lock:
                    try:
                        await conn.send_command("PING")
                    except _DISCONNECTS:
                        return  # the reader sees the same failure and reconnects
