"""Storing a benchmark's levels from any feed: check, store, warn; publish after the commit.

Every provider goes through here, inside a transaction of its own choosing (one per stream
batch, one per chunk of a file), so the rules are the same whatever the source: rejected
rows are quarantined with their reason, identical rows are no-ops, changed values are
revisions, late rows never move ``latest`` backwards, jumps and missing sessions are stored
as warnings. See docs/feeds.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services import events
from services.benchmarks import BenchmarkRecord
from services.calendars import trading_calendar
from services.feeds.checks import (
    DataWarning,
    find_jumps,
    find_missing_sessions,
    jump_threshold,
    missing_sessions_warning,
)
from services.ingest import BENCHMARK, Change, apply_rows, change_events, quarantine_payloads
from services.validation import IncomingRow, validate_rows

# A backfill publishes only its newest change beyond this: subscribers see the sequence
# number jump and reload from PostgreSQL instead of receiving thousands of events.
PUBLISH_LIMIT = 500


@dataclass(frozen=True)
class Problem:
    """A row that was not stored, where it came from, and why."""

    where: str  # "line 12", "item 3", "entry 1712345678901-0"
    field: str
    reason: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Checked:
    accepted: list[IncomingRow]  # sorted by timestamp, unique
    problems: list[Problem]
    duplicates: int


@dataclass(frozen=True)
class Stored:
    changes: list[Change]
    unchanged: int
    last_seq: int
    warnings: list[DataWarning]
    missing_sessions: list[date]


@dataclass
class FeedReport:
    """What happened to a batch, a file or a poll of one benchmark's levels."""

    symbol: str
    received: int = 0
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0  # dates published without a value
    problems: list[Problem] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)
    missing_sessions: list[date] = field(default_factory=list)
    as_of: datetime | None = None  # the newest timestamp stored or confirmed
    last_seq: int = 0

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def add(self, stored: Stored, accepted: Sequence[IncomingRow]) -> None:
        self.inserted += sum(not c.revision for c in stored.changes)
        self.revised += sum(c.revision for c in stored.changes)
        self.unchanged += stored.unchanged
        self.warnings += stored.warnings
        self.missing_sessions = sorted({*self.missing_sessions, *stored.missing_sessions})
        self.last_seq = max(self.last_seq, stored.last_seq)
        if accepted and (self.as_of is None or accepted[-1].ts > self.as_of):
            self.as_of = accepted[-1].ts


def check(rows: Sequence[IncomingRow], wheres: Sequence[str], *, now: datetime) -> Checked:
    """Validate benchmark rows; problems name where each bad row came from."""
    validated = validate_rows(rows, now=now, allow_cash_flow=False)
    problems = [
        Problem(wheres[r.index], r.field, r.reason, {**r.row.payload(), "at": wheres[r.index]})
        for r in validated.rejected
    ]
    return Checked(validated.accepted, problems, validated.duplicates)


async def quarantine_problems(
    conn: AsyncConnection, entity: str, source: str, problems: Sequence[Problem]
) -> None:
    await quarantine_payloads(
        conn, "benchmark", entity, source, [(p.reason, p.payload) for p in problems]
    )


async def store_accepted(
    conn: AsyncConnection, benchmark: BenchmarkRecord, rows: Sequence[IncomingRow], *, source: str
) -> Stored:
    """Store checked rows (sorted, unique) in the caller's transaction, with their warnings."""
    if not rows:
        return Stored([], 0, benchmark.last_seq, [], [])
    changes, unchanged, last_seq = await apply_rows(conn, BENCHMARK, benchmark.id, rows, source)
    series = await _series_around(conn, benchmark.id, rows[0].ts, rows[-1].ts)
    calendar = trading_calendar(benchmark.calendar)
    warnings = find_jumps(series, {c.ts for c in changes}, jump_threshold(benchmark))
    missing = find_missing_sessions([ts for ts, _ in series], calendar)
    gap = missing_sessions_warning(missing, calendar.name) if changes else None
    if gap:
        warnings.append(gap)
    await _record_warnings(conn, benchmark.id, warnings, source)
    return Stored(changes, unchanged, last_seq, warnings, missing)


_AROUND = text("""
SELECT ts, level FROM benchmark_prices
WHERE benchmark_id = :id AND ts <= :last AND ts >= coalesce(
  (SELECT max(ts) FROM benchmark_prices WHERE benchmark_id = :id AND ts < :first), :first)
ORDER BY ts
""")


async def _series_around(
    conn: AsyncConnection, benchmark_id: int, first: datetime, last: datetime
) -> list[tuple[datetime, float]]:
    """The stored levels from the one before ``first`` to ``last``: what the checks compare."""
    rows = await conn.execute(_AROUND, {"id": benchmark_id, "first": first, "last": last})
    return [(ts, level) for ts, level in rows]


async def _record_warnings(
    conn: AsyncConnection, benchmark_id: int, warnings: Sequence[DataWarning], source: str
) -> None:
    if not warnings:
        return
    await conn.execute(
        text(
            "INSERT INTO feed_warnings (benchmark_id, ts, kind, message, source) "
            "SELECT :id, x.ts, x.kind, x.message, :source FROM unnest("
            "CAST(:ts AS timestamptz[]), CAST(:kinds AS text[]), CAST(:messages AS text[])"
            ") AS x(ts, kind, message)"
        ),
        {
            "id": benchmark_id,
            "source": source,
            "ts": [w.ts for w in warnings],
            "kinds": [w.kind for w in warnings],
            "messages": [w.message for w in warnings],
        },
    )


def tick_events(symbol: str, changes: Sequence[Change]) -> list[events.Event]:
    """The ticks announcing committed changes (the newest only, past PUBLISH_LIMIT)."""
    chosen = list(changes) if len(changes) <= PUBLISH_LIMIT else [max(changes, key=_seq)]
    return change_events(BENCHMARK, 0, symbol, chosen)  # a tick names its benchmark by symbol


async def publish_changes(redis: Redis, symbol: str, changes: Sequence[Change]) -> None:
    """Publish committed changes (:func:`tick_events`); never raises."""
    await events.publish_committed(redis, tick_events(symbol, changes))


def _seq(change: Change) -> int:
    return change.seq
