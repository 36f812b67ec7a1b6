"""How fresh a benchmark's data is, on its trading calendar (rules in docs/feeds.md).

``DAILY`` benchmarks get one level per session, due at the session's close: the data is
stale once the close of the session after ``as_of`` is more than ``stale_after_s`` past.
``INTRADAY`` benchmarks get levels throughout each session: the data is stale once more
than ``stale_after_s`` of open-exchange time has passed since ``as_of``. Either way,
weekends and exchange holidays never count against a feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.benchmarks import BenchmarkRecord, benchmarks_by_symbols
from services.calendars import TradingCalendar, trading_calendar

Cadence = Literal["DAILY", "INTRADAY"]


@dataclass(frozen=True)
class Arrival:
    """The newest stored level of a benchmark: its timestamp and when it was received."""

    as_of: datetime
    received_at: datetime | None


@dataclass(frozen=True)
class Freshness:
    as_of: datetime | None
    received_at: datetime | None
    latency_s: float | None  # from the level's observation to its arrival
    is_stale: bool
    expected_next_at: datetime | None
    stale_after_s: int


def assess(
    arrival: Arrival | None,
    *,
    now: datetime,
    calendar: TradingCalendar,
    cadence: Cadence,
    stale_after_s: int,
) -> Freshness:
    """The freshness of a series whose newest level is ``arrival`` (None: no data)."""
    if arrival is None:
        return Freshness(None, None, None, True, None, stale_after_s)
    latency = None
    if arrival.received_at is not None:
        latency = (arrival.received_at - calendar.observed_at(arrival.as_of)).total_seconds()
    if cadence == "DAILY":
        expected = calendar.next_close_after_session(calendar.session_of(arrival.as_of))
        stale_at = expected + timedelta(seconds=stale_after_s) if expected else None
    else:
        expected = calendar.first_open_at_or_after(arrival.as_of)
        stale_at = calendar.after_trading_time(arrival.as_of, stale_after_s)
    is_stale = stale_at is not None and now > stale_at
    return Freshness(arrival.as_of, arrival.received_at, latency, is_stale, expected, stale_after_s)


def combine(parts: Sequence[Freshness], stale_after_s: int) -> Freshness:
    """A blend is as fresh as its stalest component."""
    if not parts or any(p.as_of is None for p in parts):
        return Freshness(None, None, None, True, None, stale_after_s)
    oldest = min(parts, key=lambda p: cast(datetime, p.as_of))
    expected = [p.expected_next_at for p in parts if p.expected_next_at]
    return Freshness(
        as_of=oldest.as_of,
        received_at=oldest.received_at,
        latency_s=oldest.latency_s,
        is_stale=any(p.is_stale for p in parts),
        expected_next_at=min(expected) if expected else None,
        stale_after_s=stale_after_s,
    )


_ARRIVALS = text("""
SELECT k.id, r.ts, r.received_at
FROM unnest(CAST(:ids AS int[])) AS k(id)
CROSS JOIN LATERAL (
  SELECT ts, received_at FROM benchmark_prices WHERE benchmark_id = k.id ORDER BY ts DESC LIMIT 1
) r
""")


async def arrivals_by_benchmark_ids(
    session: AsyncSession | AsyncConnection, ids: Sequence[int]
) -> dict[int, Arrival]:
    """The newest level's timestamp and arrival of every requested benchmark, in one statement."""
    if not ids:
        return {}
    rows = await session.execute(_ARRIVALS, {"ids": list(ids)})
    return {row.id: Arrival(row.ts, row.received_at) for row in rows}


async def freshness_of(
    session: AsyncSession | AsyncConnection, records: Sequence[BenchmarkRecord], now: datetime
) -> dict[int, Freshness]:
    """Freshness of each benchmark (a blend: of its components), in three statements."""
    parts = {c.symbol for r in records if r.is_blend for c in r.components}
    components = await benchmarks_by_symbols(session, sorted(parts)) if parts else {}
    own = [r for r in (*records, *components.values()) if not r.is_blend]
    arrivals = await arrivals_by_benchmark_ids(session, sorted({r.id for r in own}))
    result = {r.id: _assess(r, arrivals.get(r.id), now) for r in own}
    for r in records:
        if r.is_blend:
            found = [
                result[components[c.symbol].id] for c in r.components if c.symbol in components
            ]
            result[r.id] = combine(
                found if len(found) == len(r.components) else [], r.stale_after_s
            )
    return {r.id: result[r.id] for r in records}


def _assess(record: BenchmarkRecord, arrival: Arrival | None, now: datetime) -> Freshness:
    return assess(
        arrival,
        now=now,
        calendar=trading_calendar(record.calendar),
        cadence="INTRADAY" if record.cadence == "INTRADAY" else "DAILY",
        stale_after_s=record.stale_after_s,
    )
