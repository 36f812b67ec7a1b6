"""Counting the SQL statements one request runs (for the cache's "statements saved").

A context variable holds the request's tally; SQLAlchemy's cursor events run in the
request's context (the asyncpg greenlet inherits it), so concurrent requests never mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Tally:
    statements: int = 0


_current: ContextVar[Tally | None] = ContextVar("perfgraph_statement_tally", default=None)


def _count(*args: Any) -> None:
    tally = _current.get()
    if tally is not None:
        tally.statements += 1


def install(engine: AsyncEngine) -> None:
    """Count statements on ``engine`` for whichever request is running them."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _count):
        event.listen(engine.sync_engine, "before_cursor_execute", _count)


@contextmanager
def counting() -> Iterator[Tally]:
    tally = Tally()
    token = _current.set(tally)
    try:
        yield tally
    finally:
        _current.reset(token)
