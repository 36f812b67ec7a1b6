"""Redis Stream consumers: delivered at least once, applied exactly once.

A :class:`StreamHandler` says what one stream's entries mean (the performance stream, the
market-data stream); a :class:`StreamConsumer` does everything else, the same for every
stream: consumer group, reads, one transaction per batch with the entries' receipts,
acknowledgement after the commit, take-over of a dead consumer's entries, quarantine of an
entry that cannot be applied, a clean stop. The rules, and what each failure does, are in
docs/live-updates.md ("Redis Stream consumers").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from services._stream_batch import (
    StreamEntry,
    StreamHandler,
    apply_once,
    is_transient,
    prune_receipts,
    quarantine_entry,
    record_receipts,
)
from services.resources import Resources, dedicated_redis, process_name
from services.write_batch import Batch

__all__ = [
    "Batch",
    "StreamConsumer",
    "StreamEntry",
    "StreamHandler",
    "apply_once",
    "consume",
    "is_transient",
    "prune_receipts",
    "quarantine_entry",
    "record_receipts",
]

log = logging.getLogger(__name__)
BLOCK_MS = 1_000
RECEIPTS_KEPT_S = 7 * 24 * 3600  # far longer than any entry stays pending
PRUNE_EVERY_S = 3600.0


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _entries(raw: Sequence[Any]) -> list[StreamEntry]:
    """Entries of an XREADGROUP/XAUTOCLAIM reply, decoded (bad UTF-8 becomes U+FFFD)."""
    return [
        StreamEntry(_text(entry_id), {_text(k): _text(v) for k, v in (fields or {}).items()})
        for entry_id, fields in raw
        if entry_id is not None
    ]


@dataclass
class StreamConsumer:
    """One consumer, named ``name``, of a handler's stream in the handler's group.

    ``run`` consumes until stopped; tests drive it with ``step`` and ``claim``. Reads block
    for ``block_ms``, kept below the client's socket timeout.
    """

    resources: Resources
    handler: StreamHandler
    name: str = field(default_factory=process_name)
    redis: Redis | None = None  # None: the resources' client
    batch_size: int = 500
    block_ms: int = BLOCK_MS
    claim_idle_ms: int | None = None  # None: PERFGRAPH_STREAM_CLAIM_IDLE_MS
    claim_every_s: float = 5.0
    max_backoff_s: float = 10.0
    applied: int = 0  # entries applied for the first time
    duplicates: int = 0  # entries delivered again after they were applied: no-ops
    quarantined: int = 0  # entries that could not be applied
    _client: Redis = field(init=False, repr=False)
    _reread_own: bool = field(default=True, init=False, repr=False)
    _next_claim: float = field(default=0.0, init=False, repr=False)
    _unacked: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = self.redis or self.resources.redis
        timeout = self._client.connection_pool.connection_kwargs.get("socket_timeout")
        if timeout:
            self.block_ms = max(1, min(self.block_ms, int(timeout * 600)))
        if self.claim_idle_ms is None:
            self.claim_idle_ms = self.resources.settings.stream_claim_idle_ms

    @property
    def stream(self) -> str:
        return self.handler.stream

    @property
    def group(self) -> str:
        return self.handler.group

    async def ensure_group(self) -> None:
        """Create the group (and the stream) at the stream's start: nothing written is skipped."""
        try:
            await self._client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is committed and acknowledged."""
        delay, group_ready = 0.1, False
        while not stop.is_set():
            try:
                if not group_ready:
                    await self.ensure_group()
                    group_ready = True
                await self.step()
                delay = 0.1
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                group_ready = False  # the stream or the group was deleted: create them again
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("stream %s: %s; retrying in %.1f s", self.stream, exc, delay)
                await _sleep_unless(stop, delay)
                delay = min(delay * 2, self.max_backoff_s)
        await self._last_acks()

    async def step(self, *, block: bool = True) -> int:
        """One round: acks owed, this consumer's own pending entries, then (every
        ``claim_every_s``) entries idle at others, then new ones. Returns entries handled."""
        await self._flush_acks()
        handled = 0
        if self._reread_own:
            own = await self._read("0", block=False)
            self._reread_own = bool(own)
            handled += await self._process(own)
        now = asyncio.get_running_loop().time()
        if now >= self._next_claim:
            self._next_claim = now + self.claim_every_s
            handled += await self.claim()
        return handled + await self._process(await self._read(">", block=block))

    async def claim(self) -> int:
        """Take over the entries pending at any consumer for ``claim_idle_ms`` (it died, or
        stalled) and apply them; returns how many."""
        handled, start = 0, "0-0"
        while True:
            reply: Any = await self._client.xautoclaim(
                self.stream,
                self.group,
                self.name,
                self.claim_idle_ms or 0,
                start_id=start,
                count=self.batch_size,
            )
            start = _text(reply[0])
            handled += await self._process(_entries(reply[1]))
            if start == "0-0":
                return handled

    async def _read(self, start: str, *, block: bool) -> list[StreamEntry]:
        reply: Any = await self._client.xreadgroup(
            self.group,
            self.name,
            {self.stream: start},
            count=self.batch_size,
            block=self.block_ms if block and start == ">" else None,
        )
        return _entries(reply[0][1]) if reply else []

    async def _process(self, entries: Sequence[StreamEntry]) -> int:
        """Apply a batch (entry by entry if it fails), then acknowledge all of it."""
        if not entries:
            return 0
        try:
            await self._apply(entries)
        except Exception as exc:
            self._raise_if_transient(exc)
            log.warning("stream %s: a batch failed (%s); applying one by one", self.stream, exc)
            for entry in entries:
                await self._apply_alone(entry)
        await self._ack([e.id for e in entries])
        return len(entries)

    async def _apply(self, entries: Sequence[StreamEntry]) -> None:
        new = await apply_once(self.resources, self.handler, entries)
        self.applied += new
        self.duplicates += len(entries) - new

    async def _apply_alone(self, entry: StreamEntry) -> None:
        try:
            await self._apply([entry])
        except Exception as exc:
            self._raise_if_transient(exc)
            log.error("stream %s: entry %s quarantined: %s", self.stream, entry.id, exc)
            reason = f"could not be applied: {exc}"
            if await quarantine_entry(self.resources, self.handler, entry, reason):
                self.quarantined += 1

    def _raise_if_transient(self, exc: Exception) -> None:
        """An outage says nothing about the entries: leave them pending, re-read them later."""
        if is_transient(exc):
            self._reread_own = True
            raise exc

    async def _ack(self, ids: list[str]) -> None:
        self._unacked += ids
        await self._flush_acks()

    async def _flush_acks(self) -> None:
        if self._unacked:
            await self._client.xack(self.stream, self.group, *self._unacked)
            self._unacked.clear()

    async def _last_acks(self) -> None:
        """At stop: acknowledge what was committed; if Redis is away, the entries stay pending
        and their receipts make them no-ops wherever they are delivered next."""
        try:
            await self._flush_acks()
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning(
                "stream %s: %d entries left pending: %s", self.stream, len(self._unacked), exc
            )


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def consume(
    resources: Resources, handlers: Sequence[StreamHandler], stop: asyncio.Event
) -> None:
    """Consume each handler's stream in this process until ``stop`` is set; the first
    consumer to fail stops the others. Old receipts are pruned meanwhile."""
    redis = dedicated_redis(resources.redis, socket_timeout=BLOCK_MS / 1000 + 5)
    try:
        async with asyncio.TaskGroup() as group:
            for handler in handlers:
                group.create_task(StreamConsumer(resources, handler, redis=redis).run(stop))
            group.create_task(_prune(resources, [h.stream for h in handlers], stop))
    finally:
        await redis.aclose()


async def _prune(resources: Resources, streams: Sequence[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with resources.engine.begin() as conn:
                await prune_receipts(conn, streams, older_than_s=RECEIPTS_KEPT_S)
        except Exception:  # the next round tries again; receipts only grow meanwhile
            log.warning("pruning stream receipts failed", exc_info=True)
        await _sleep_unless(stop, PRUNE_EVERY_S)
