"""Redis Stream consumer groups: read, apply, acknowledge after commit, reclaim after a crash.

Producers ``XADD`` entries; every consumer group sees each entry, shared among the group's
consumers. An entry is acknowledged (``XACK``) only once ``apply`` has returned its id, that
is after the transaction that applied it committed. A consumer that dies between read and
ack leaves its entries pending: a restarted consumer of the same name re-reads its own
pending entries first, and any consumer claims entries idle for longer than
``reclaim_idle_ms`` (``XAUTOCLAIM``). An entry may therefore be delivered more than once;
``apply`` makes it take effect once by recording receipts in its own transaction
(:func:`first_receipts`).

``apply(entries) -> ids to acknowledge`` is the whole contract between a stream and what
it feeds, so the same function runs on any consumer that honours it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEntry:
    id: str
    fields: dict[str, str]


Apply = Callable[[Sequence[StreamEntry]], Awaitable[Sequence[str]]]


def _entries(raw: Sequence[Any]) -> list[StreamEntry]:
    def s(value: Any) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    return [
        StreamEntry(s(entry_id), {s(k): s(v) for k, v in (fields or {}).items()})
        for entry_id, fields in raw
    ]


@dataclass
class StreamConsumer:
    """One consumer of a group; ``run`` until stopped, or drive it with ``step`` in tests."""

    redis: Redis
    stream: str
    group: str
    name: str
    apply: Apply
    batch_size: int = 100
    block_ms: int = 300  # keep below the client's socket timeout
    reclaim_idle_ms: int = 30_000
    retry_delay_s: float = 1.0
    _last_reclaim: float = field(default=0.0, init=False)
    _own_pending_done: bool = field(default=False, init=False)

    async def ensure_group(self) -> None:
        """Create the group (and the stream) once; entries already in the stream are read."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def step(self, *, block: bool = True) -> int:
        """One round: own pending entries, then idle ones of others, then new ones."""
        handled = 0
        if not self._own_pending_done:
            own = await self._read("0", block=False)
            self._own_pending_done = len(own) < self.batch_size
            handled += await self._handle(own)
        if time.monotonic() - self._last_reclaim >= self.reclaim_idle_ms / 2000:
            self._last_reclaim = time.monotonic()
            handled += await self._handle(await self.reclaim())
        return handled + await self._handle(await self._read(">", block=block))

    async def reclaim(self) -> list[StreamEntry]:
        """Claim entries that other consumers read and left unacknowledged for too long."""
        response: Any = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.name,
            min_idle_time=self.reclaim_idle_ms,
            start_id="0-0",
            count=self.batch_size,
        )
        return _entries(response[1])

    async def run(self, stop: asyncio.Event) -> None:
        await self.ensure_group()
        while not stop.is_set():
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # PostgreSQL or Redis away: nothing acked, retried later
                log.exception("stream %s: applying entries failed; retrying", self.stream)
                self._own_pending_done = False
                await asyncio.sleep(self.retry_delay_s)

    async def _read(self, start: str, *, block: bool) -> list[StreamEntry]:
        response: Any = await self.redis.xreadgroup(
            self.group,
            self.name,
            {self.stream: start},
            count=self.batch_size,
            block=self.block_ms if block else None,
        )
        return _entries(response[0][1]) if response else []

    async def _handle(self, entries: list[StreamEntry]) -> int:
        if not entries:
            return 0
        done = await self.apply(entries)
        if done:
            await self.redis.xack(self.stream, self.group, *done)
        return len(entries)


async def first_receipts(conn: AsyncConnection, stream: str, ids: Sequence[str]) -> set[str]:
    """Record entries as applied in the caller's transaction; returns those seen for the
    first time (the others were applied before a crash or a reclaim)."""
    rows = await conn.execute(
        text(
            "INSERT INTO stream_receipts (stream, entry_id) "
            "SELECT :stream, unnest(CAST(:ids AS text[])) "
            "ON CONFLICT DO NOTHING RETURNING entry_id"
        ),
        {"stream": stream, "ids": list(ids)},
    )
    return set(rows.scalars())


async def prune_receipts(conn: AsyncConnection, *, older_than_s: int) -> int:
    """Forget receipts old enough that their entries can no longer be pending."""
    result = await conn.execute(
        text(
            "DELETE FROM stream_receipts "
            "WHERE received_at < now() - make_interval(secs => :s) RETURNING 1"
        ),
        {"s": older_than_s},
    )
    return len(result.all())
