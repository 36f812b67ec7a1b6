"""One batch of stream entries, applied exactly once: in one write (:mod:`services.write_batch`)
with the entries' receipts. Used by :mod:`services.streams`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.errors import ServiceUnavailable, Timeout
from services.faults import translate
from services.ingest import Kind, quarantine_raw
from services.resources import Resources
from services.write_batch import Batch, write_batch

log = logging.getLogger(__name__)
# Deadlock, serialization failure: the same batch succeeds when tried again.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True)
class StreamEntry:
    id: str
    fields: dict[str, str]

    def payload(self) -> dict[str, str]:
        """The entry as it is kept in quarantine."""
        return {**self.fields, "entry": self.id}


class StreamHandler(Protocol):
    """One Redis Stream perfgraph consumes: where it is and what its entries mean."""

    @property
    def stream(self) -> str: ...  # the Redis key

    @property
    def group(self) -> str: ...  # the consumer group perfgraph reads it in

    @property
    def kind(self) -> Kind: ...  # what its quarantined entries are about

    @property
    def source(self) -> str: ...  # recorded with what it writes and quarantines

    def entity(self, entry: StreamEntry) -> str:
        """The quarantine entity of an entry that cannot be applied."""
        ...

    async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
        """Apply entries in ``batch``'s transaction; bad ones are quarantined, not raised."""
        ...


async def apply_once(
    resources: Resources, handler: StreamHandler, entries: Sequence[StreamEntry]
) -> int:
    """Apply the entries not applied before, in one transaction with their receipts;
    returns how many were new (the others were delivered again: no-ops). The batch's
    versions, events and callbacks follow the commit, before this returns and so before
    the entries are acknowledged."""
    async with write_batch(resources) as batch:
        fresh = await record_receipts(batch.conn, handler.stream, [e.id for e in entries])
        if fresh:
            await handler.apply(batch, [e for e in entries if e.id in fresh])
    return len(fresh)


async def quarantine_entry(
    resources: Resources, handler: StreamHandler, entry: StreamEntry, reason: str
) -> bool:
    """Quarantine an entry with its receipt (False: it was applied or quarantined before)."""
    async with resources.engine.begin() as conn:
        if not await record_receipts(conn, handler.stream, [entry.id]):
            return False
        item = (handler.entity(entry), reason, entry.payload())
        await quarantine_raw(conn, handler.kind, handler.source, [item])
    return True


async def record_receipts(conn: AsyncConnection, stream: str, ids: Sequence[str]) -> set[str]:
    """Record entries as applied in the caller's transaction; returns those seen for the
    first time. A concurrent transaction recording the same entry waits for this one."""
    rows = await conn.execute(
        text(
            "INSERT INTO stream_receipts (stream, entry_id) "
            "SELECT :stream, unnest(CAST(:ids AS text[])) "
            "ON CONFLICT DO NOTHING RETURNING entry_id"
        ),
        {"stream": stream, "ids": list(ids)},
    )
    return set(rows.scalars())


async def prune_receipts(
    conn: AsyncConnection, streams: Sequence[str], *, older_than_s: int
) -> int:
    """Forget receipts old enough that their entries can no longer be pending."""
    result = await conn.execute(
        text(
            "DELETE FROM stream_receipts WHERE stream = ANY(CAST(:streams AS text[])) "
            "AND received_at < now() - make_interval(secs => :s) RETURNING 1"
        ),
        {"streams": list(streams), "s": older_than_s},
    )
    return len(result.all())


def is_transient(exc: BaseException) -> bool:
    """Failures that say nothing about the entries (an outage, a timeout, a deadlock):
    retry them, never quarantine."""
    if isinstance(translate(exc), ServiceUnavailable | Timeout):
        return True
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True  # a serialization failure or a deadlock: the retry may well succeed
    return isinstance(exc, OperationalError | InterfaceError | OSError)
