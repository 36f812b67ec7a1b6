"""Topics: one producer per group of identical subscriptions, fanned out to bounded queues.

A topic owns a feed (``services/live.py``), renders each event once (``schema/render.py``)
and pushes the result to its subscribers' queues. Each subscriber first replays what it
asked for from PostgreSQL (after joining, so nothing falls in between), then drains its
queue, skipping what the replay already covered: per entity, sequence numbers only go up.

A queue that reaches its capacity is dropped and its subscriber ends with RESYNC_REQUIRED,
carrying the last sequence number it was sent per entity: memory stays bounded, and the
client resumes exactly where it stopped. A feed failure ends every subscriber of the topic
with that error; so does losing access, which the registry re-checks for all its topics
together, once per access scope, every ``live_access_recheck_s`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from services import access, metrics
from services.access import Principal
from services.config import Settings
from services.errors import PerfgraphError, PermissionDenied, ResyncRequired
from services.live import Feed, LiveItem
from services.resources import Resources

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class Delivery:
    """One event as its topic delivers it, shared by all the topic's subscribers.

    Not frozen (never changed all the same): one is made per event, and a frozen
    dataclass's ``__init__`` costs four times as much.
    """

    key: str | None  # the entity, or None for a whole-state snapshot
    seq: int
    value: object  # the GraphQL object
    payload: str | None  # the serialised ``next`` payload, when the topic renders


@dataclass(frozen=True)
class LiveAccess:
    """The strategies a subscription reads, re-checked while it streams."""

    resources: Resources
    principal: Principal
    strategy_ids: tuple[int, ...]


@dataclass(frozen=True)
class LiveSpec(Generic[T]):
    """What a subscription resolver asks for, once its arguments and access are checked."""

    feed: Callable[[], Feed]
    present: Callable[[Any], T]
    key_name: str
    after: Mapping[str, int] | None = None  # replay cursors; None: live changes only
    replay: Callable[[Mapping[str, int], int], Awaitable[list[LiveItem]]] | None = None
    access: LiveAccess | None = None
    snapshot: bool = False  # late joiners first get the latest delivery
    kind: str = "subscription"  # the metrics' label: set to the subscription field


class Renders(Protocol):
    """What topics need from ``schema.render.Renderer``."""

    async def render(self, value: object) -> str: ...

    def render_now(self, value: object) -> str | None:
        """The payload without suspending, or None when only ``render`` can make it."""
        ...

    @property
    def compiled(self) -> bool:
        """Whether ``render_now`` can make payloads at all."""
        ...


class _Overflow(Exception):
    pass


class Subscriber:
    """One subscriber's bounded queue, with an optional way to deliver without queueing.

    ``inline`` (set by a WebSocket sender that is idle) takes a delivery directly and
    returns True when it did; otherwise deliveries queue for the subscriber's own task.
    """

    __slots__ = (
        "_capacity",
        "_error",
        "_overflowed",
        "_queue",
        "_waiter",
        "active",
        "dropped",
        "inline",
    )

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._queue: deque[Delivery] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._overflowed = False
        self._error: BaseException | None = None
        self.active = True  # still taking deliveries: neither overflowed nor failed
        self.inline: Callable[[Delivery], bool] | None = None
        self.dropped = 0  # deliveries discarded by the last overflow, until the topic counts them

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    def push(self, delivery: Delivery) -> bool:
        """Deliver or queue; True when the queue is past half its capacity."""
        if not self.active:
            return False
        queue = self._queue
        if not queue and self.inline is not None and self.inline(delivery):
            return False
        if len(queue) >= self._capacity:
            self._overflowed = True
            self.active = False
            self.dropped = len(queue) + 1
            queue.clear()
        else:
            queue.append(delivery)
        self.wake()
        return 2 * len(queue) > self._capacity

    def fail(self, error: BaseException) -> None:
        self._error = error
        self.active = False
        self._queue.clear()
        self.wake()

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until something is queued, the queue overflowed, the topic failed, or ``wake``."""
        if self._queue or self._overflowed or self._error is not None:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def take_nowait(self) -> list[Delivery]:
        if self._error is not None:
            raise self._error
        if self._overflowed:
            raise _Overflow
        batch = list(self._queue)
        self._queue.clear()
        return batch

    async def take(self) -> list[Delivery]:
        while not self._queue and not self._overflowed and self._error is None:
            await self.wait()
        return self.take_nowait()


class Cursor:
    """What one subscriber has been sent: the last sequence number per entity."""

    def __init__(self, spec: LiveSpec[Any]) -> None:
        self.key_name = spec.key_name
        self.last: dict[str, int] = dict(spec.after or {})

    def accept(self, delivery: Delivery) -> bool:
        key = delivery.key
        if key is None:
            return True
        previous = self.last.get(key)
        if previous is not None and delivery.seq <= previous:
            return False
        self.last[key] = delivery.seq
        return True

    async def next_batch(self, subscriber: Subscriber) -> list[Delivery]:
        """The subscriber's next deliveries it has not seen; RESYNC_REQUIRED on overflow."""
        await subscriber.wait()
        return self.queued(subscriber)

    def queued(self, subscriber: Subscriber) -> list[Delivery]:
        """What is queued and not yet seen, without waiting; RESYNC_REQUIRED on overflow."""
        try:
            batch = subscriber.take_nowait()
        except _Overflow:
            message = "subscriber fell behind; subscribe again with `after` to resume"
            raise ResyncRequired(message, self.last, self.key_name) from None
        return [d for d in batch if self.accept(d)]


async def replay(topic: Topic, spec: LiveSpec[Any], max_replay: int) -> list[Delivery]:
    """The changes after the subscriber's cursors, rendered by its topic."""
    if not spec.after or spec.replay is None:
        return []
    items = await spec.replay(spec.after, max_replay + 1)
    if max(Counter(i.key for i in items).values(), default=0) > max_replay:
        message = f"more than {max_replay} changes to replay: reload, then subscribe again"
        raise ResyncRequired(message, spec.after, spec.key_name, ResyncRequired.REPLAY_LIMIT)
    return [await topic.deliver(item) for item in items]


class Topic:
    def __init__(self, key: str, spec: LiveSpec[Any], renderer: Renders | None) -> None:
        self.key = key
        self.spec = spec
        self.renderer = renderer
        self.subscribers: set[Subscriber] = set()
        self.last: Delivery | None = None
        self.failed: BaseException | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._task: asyncio.Task[None] | None = None
        self._crowded = False  # the last inline delivery left a subscriber past half full
        self._delivered = metrics.DELIVERIES.labels(spec.kind)
        self._dropped = metrics.DROPS.labels(spec.kind, "slow_subscriber")

    def start(self) -> None:
        self._task = asyncio.create_task(self._produce(), name="perfgraph-topic")

    async def stop(self) -> None:
        if not self.ready.done():
            self.ready.cancel()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def deliver(self, item: LiveItem) -> Delivery:
        value = self.spec.present(item.value)
        payload = await self.renderer.render(value) if self.renderer else None
        return Delivery(item.key, item.seq, value, payload)

    async def _produce(self) -> None:
        feed = self.spec.feed()
        try:
            await feed.start()
            if self.renderer is None or self.renderer.compiled:  # else every one would refuse
                feed.take_inline(self._take)
            self.ready.set_result(None)
            async for batch in feed.batches():
                self._crowded = False
                for item in batch:
                    if self._fan_out(await self.deliver(item)):
                        # A burst (a batch of points) must not overflow subscribers that keep
                        # up: let their senders drain before pushing more.
                        await asyncio.sleep(0)
        except Exception as exc:
            if not isinstance(exc, PerfgraphError):
                log.exception("live topic failed")
            self.fail(exc)
        finally:
            await feed.close()

    def _take(self, item: LiveItem) -> bool:
        """An item straight from the pub/sub reader, while the topic's task waits for more.

        Delivered here when it renders without suspending and no subscriber is crowded;
        otherwise False, and the topic's task delivers it (and whatever follows) itself, as
        it does every item of a replay. The subscribers' cursors make a repeat harmless.
        """
        if self._crowded or self.failed is not None:
            return False
        value = self.spec.present(item.value)
        renderer = self.renderer
        payload = None
        if renderer is not None:
            payload = renderer.render_now(value)
            if payload is None:
                return False
        self._crowded = self._fan_out(Delivery(item.key, item.seq, value, payload))
        return True

    def _fan_out(self, delivery: Delivery) -> bool:
        """Push to every subscriber; True when one's queue is past half its capacity."""
        if self.spec.snapshot:
            self.last = delivery
        crowded = False
        handed = 0
        for subscriber in tuple(self.subscribers):
            crowded |= subscriber.push(delivery)
            if subscriber.dropped:
                self._dropped.inc(subscriber.dropped)
                subscriber.dropped = 0
            elif subscriber.active:
                handed += 1
        if handed:
            self._delivered.inc(handed)
        return crowded

    def fail(self, error: BaseException) -> None:
        self.failed = error
        if not self.ready.done():
            self.ready.set_exception(error)
        for subscriber in self.subscribers:
            subscriber.fail(error)


class TopicRegistry:
    """The process's topics, by key (see ``schema.render.topic_key``)."""

    def __init__(self, *, queue_size: int, max_replay: int, recheck_s: float) -> None:
        self.queue_size = queue_size
        self.max_replay = max_replay
        self.recheck_s = recheck_s
        self.topics: dict[str, Topic] = {}
        self._recheck: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicRegistry:
        return cls(
            queue_size=settings.live_queue_size,
            max_replay=settings.live_max_replay,
            recheck_s=settings.live_access_recheck_s,
        )

    def stats(self) -> dict[str, int]:
        subscribers = [s for t in self.topics.values() for s in t.subscribers]
        return {
            "topics": len(self.topics),
            "subscribers": len(subscribers),
            "queued": sum(len(s) for s in subscribers),
        }

    async def attach(
        self, key: str, spec: LiveSpec[Any], renderer: Callable[[], Renders | None]
    ) -> tuple[Topic, Subscriber]:
        topic = self.topics.get(key)
        if topic is None or topic.failed is not None:
            topic = self.topics[key] = Topic(key, spec, renderer())
            topic.start()
            if self._recheck is None:
                self._recheck = asyncio.create_task(self._recheck_access())
        subscriber = Subscriber(self.queue_size)
        if topic.last is not None:
            subscriber.push(topic.last)
            topic._delivered.inc()
        topic.subscribers.add(subscriber)
        try:
            await asyncio.shield(topic.ready)
        except BaseException:
            await self.detach(topic, subscriber)
            raise
        return topic, subscriber

    async def detach(self, topic: Topic, subscriber: Subscriber) -> None:
        topic.subscribers.discard(subscriber)
        if topic.subscribers:
            return
        if self.topics.get(topic.key) is topic:
            del self.topics[topic.key]
        if not self.topics and self._recheck is not None:
            self._recheck.cancel()
            await asyncio.gather(self._recheck, return_exceptions=True)
            self._recheck = None
        await topic.stop()

    async def _recheck_access(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_s)
            scopes: dict[str, list[Topic]] = {}
            for topic in self.topics.values():
                if topic.spec.access is not None and topic.failed is None:
                    scopes.setdefault(topic.spec.access.principal.scope_key, []).append(topic)
            for topics in scopes.values():
                await self._recheck_scope(topics)

    async def _recheck_scope(self, topics: list[Topic]) -> None:
        first = topics[0].spec.access
        assert first is not None
        ids = sorted({i for t in topics if t.spec.access for i in t.spec.access.strategy_ids})
        try:
            denied = await access.unreadable_strategies(first.resources, first.principal, ids)
        except Exception:  # the database is unreachable: keep streaming, check again later
            log.warning("re-checking live access failed", exc_info=True)
            return
        for topic in topics:
            assert topic.spec.access is not None
            lost = denied.intersection(topic.spec.access.strategy_ids)
            if lost:
                topic.fail(PermissionDenied(f"no access to strategy {min(lost)}"))
