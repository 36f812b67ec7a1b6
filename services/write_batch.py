"""One write, in the order caches and subscribers rely on (docs/caching.md, "The write
protocol"); the mutations (:mod:`services.ingest`) and the stream consumers
(:mod:`services.streams`) write through it. The cached data it changes is marked as being
written, its rows are stored in one transaction, then, once that commits, its versions are
set, its events published and its callbacks run. A write that rolls back sets no version
(each stays unknown until read again from PostgreSQL), publishes nothing and runs no
callback. Redis being away loses nothing committed (services/versions.py, services/events.py).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from services import events
from services.resources import Resources
from services.versions import Dep, Write


class Batch:
    """The transaction a write stores its rows in (``conn``), and what is done once it
    commits. Opened by :func:`write_batch`."""

    def __init__(self, conn: AsyncConnection, write: Write) -> None:
        self.conn = conn
        self._write = write
        self._versions: list[tuple[Dep, int]] = []
        self._events: list[events.Event] = []
        self._after: list[Callable[[], object]] = []

    async def depend(self, deps: Sequence[Dep]) -> None:
        """Mark the cached data of ``deps`` as being written, before the commit (for
        dependencies known only inside the transaction)."""
        await self._write.depend(deps)

    def committed(self, dep: Dep, version: int) -> None:
        """``dep``'s data version once the transaction has committed."""
        self._versions.append((dep, version))

    def publish(self, published: Sequence[events.Event]) -> None:
        """Publish these events after the commit."""
        self._events += published

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` (awaited if it returns an awaitable) after the commit, once the
        events are published."""
        self._after.append(callback)


@asynccontextmanager
async def write_batch(resources: Resources, deps: Sequence[Dep] = ()) -> AsyncIterator[Batch]:
    """A transaction to write in, with ``deps`` marked as being written before it opens;
    after the commit, the versions, the events and the callbacks, in that order."""
    async with resources.cache.versions.writing(deps) as write:
        async with resources.engine.begin() as conn:
            batch = Batch(conn, write)
            yield batch
        for dep, version in batch._versions:
            write.committed(dep, version)
    await events.publish_committed(resources.redis, batch._events)
    for callback in batch._after:
        result = callback()
        if inspect.isawaitable(result):
            await result
