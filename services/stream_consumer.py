"""A consumer-group loop for the performance stream: ack after apply, dead letters, reclaim.

A :class:`StreamConsumer` reads batches with XREADGROUP and hands them to an *apply*
function (the stream's own: performance points, market data, ...), which stores them and
returns once they are committed; only then are the entries acknowledged (XACK). So an entry
is lost by nothing: a crash before the commit leaves it pending, and the apply functions
are idempotent (an identical row is a no-op), so applying it twice is harmless.

- Pending entries of this consumer (after a restart under the same name, or a failed
  apply) are read again first (XREADGROUP from id 0).
- Entries pending at another consumer for longer than ``claim_idle_ms`` (it crashed) are
  taken over with XAUTOCLAIM and applied here.
- A transient failure (database or Redis unreachable) is retried with backoff, forever.
  Any other failure of a batch is retried entry by entry; an entry that fails on its own
  goes to ``dead_letter`` (the stream's quarantine) and is acknowledged, so one poisonous
  entry never blocks the stream.
- Malformed entries are the apply function's business: it quarantines them and returns.
- ``stop`` ends the loop after the batch in hand is committed and acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services.errors import ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEntry:
    id: str
    fields: dict[str, str]  # UTF-8 decoded; undecodable bytes become U+FFFD


Apply = Callable[[Sequence[StreamEntry]], Awaitable[None]]
DeadLetter = Callable[[StreamEntry, str], Awaitable[None]]


def is_transient(exc: BaseException) -> bool:
    """Failures that say nothing about the entries: retry them, never quarantine."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    transient = (
        ServiceUnavailable,
        OperationalError,
        InterfaceError,
        RedisConnectionError,
        RedisTimeoutError,
        ConnectionError,
        TimeoutError,
        OSError,
    )
    return isinstance(exc, transient)


def _entries(raw: Sequence[tuple[bytes, dict[bytes, bytes] | None]]) -> list[StreamEntry]:
    out = []
    for entry_id, fields in raw:
        decoded = {
            k.decode(errors="replace"): v.decode(errors="replace")
            for k, v in (fields or {}).items()
        }
        out.append(StreamEntry(entry_id.decode(), decoded))
    return out


@dataclass
class StreamConsumer:
    redis: Redis  # a client whose socket timeout exceeds ``block_ms``
    stream: str
    group: str
    consumer: str
    apply: Apply
    dead_letter: DeadLetter
    batch_size: int = 500
    block_ms: int = 1_000
    claim_idle_ms: int = 60_000
    claim_every_s: float = 5.0
    max_backoff_s: float = 10.0
    applied: int = 0
    dead_lettered: int = 0
    _reread_pending: bool = field(default=True, repr=False)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is always committed and acked."""
        loop = asyncio.get_running_loop()
        delay = 0.1
        next_claim = 0.0
        group_ready = False
        while not stop.is_set():
            try:
                if not group_ready:
                    await self.ensure_group()
                    group_ready = True
                if loop.time() >= next_claim:
                    await self.claim()
                    next_claim = loop.time() + self.claim_every_s
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

    async def step(self) -> int:
        """Process one batch: this consumer's pending entries first, then new ones."""
        raw = await self._read("0") if self._reread_pending else []
        if not raw:
            self._reread_pending = False
            raw = await self._read(">")
        entries = _entries(raw)
        await self.process(entries)
        return len(entries)

    async def _read(self, start: str) -> list[tuple[bytes, dict[bytes, bytes] | None]]:
        block = self.block_ms if start == ">" else None
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.batch_size, block=block
        )
        return reply[0][1] if reply else []

    async def claim(self) -> int:
        """Take over entries another consumer left pending for ``claim_idle_ms``; apply them."""
        claimed = 0
        start = "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                self.claim_idle_ms,
                start_id=start,
                count=self.batch_size,
            )
            start = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
            entries = _entries([e for e in reply[1] if e and e[0] is not None])
            await self.process(entries)
            claimed += len(entries)
            if start == "0-0":
                return claimed

    async def process(self, entries: Sequence[StreamEntry]) -> None:
        if not entries:
            return
        try:
            await self.apply(entries)
        except Exception as exc:
            if is_transient(exc):
                self._reread_pending = True
                raise
            log.warning("stream %s: a batch failed (%s); applying one by one", self.stream, exc)
            await self._one_by_one(entries)
        else:
            self.applied += len(entries)
        await self.redis.xack(self.stream, self.group, *(e.id for e in entries))

    async def _one_by_one(self, entries: Sequence[StreamEntry]) -> None:
        for entry in entries:
            try:
                await self.apply([entry])
                self.applied += 1
            except Exception as exc:
                if is_transient(exc):
                    self._reread_pending = True
                    raise
                log.error("stream %s: entry %s dead-lettered: %s", self.stream, entry.id, exc)
                await self.dead_letter(entry, f"could not be applied: {exc}")
                self.dead_lettered += 1


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
