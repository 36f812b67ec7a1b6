"""Feed configuration (``feeds``) and what each feed last did (``feed_state``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.errors import InvalidInput, NotFound
from services.feeds.formats import FORMATS
from services.feeds.store import FeedReport

FeedKind = Literal["stream", "http", "file"]
KINDS: tuple[FeedKind, ...] = ("stream", "http", "file")
MIN_INTERVAL_S = 10


@dataclass(frozen=True)
class FeedConfig:
    id: int
    benchmark_id: int
    symbol: str
    kind: str
    url: str | None
    format: str
    interval_s: int | None
    timeout_s: float
    enabled: bool


@dataclass(frozen=True)
class FeedState:
    last_polled_at: datetime | None
    last_received_at: datetime | None
    last_as_of: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    etag: str | None
    last_modified: str | None
    received: int
    inserted: int
    revised: int
    rejected: int
    flagged: int
    not_modified: int


_FEEDS = """
SELECT f.id, f.benchmark_id, b.symbol, f.kind, f.url, f.format, f.interval_s, f.timeout_s,
       f.enabled
FROM feeds f JOIN benchmarks b ON b.id = f.benchmark_id
"""


async def list_feeds(conn: AsyncConnection, *, kind: str | None = None) -> list[FeedConfig]:
    where = "WHERE f.kind = :kind" if kind else ""
    rows = await conn.execute(text(f"{_FEEDS} {where} ORDER BY b.symbol, f.kind"), {"kind": kind})
    return [FeedConfig(**row._mapping) for row in rows]


async def get_feed(conn: AsyncConnection, feed_id: int) -> FeedConfig:
    row = (await conn.execute(text(f"{_FEEDS} WHERE f.id = :id"), {"id": feed_id})).one_or_none()
    if row is None:
        raise NotFound(f"feed {feed_id} does not exist")
    return FeedConfig(**row._mapping)


async def benchmark_for_feed(
    conn: AsyncConnection, symbol: str, *, stale_after_s: int | None = None
) -> int:
    """The id of a benchmark that takes levels of its own; optionally set its stale limit."""
    if stale_after_s is not None and stale_after_s <= 0:
        raise InvalidInput("stale after: must be a positive number of seconds")
    symbol = symbol.strip().upper()
    row = (
        await conn.execute(
            text(
                "UPDATE benchmarks SET stale_after_s = coalesce(:stale, stale_after_s) "
                "WHERE symbol = :symbol RETURNING id, kind"
            ),
            {"symbol": symbol, "stale": stale_after_s},
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"benchmark {symbol} does not exist")
    if row.kind == "BLEND":
        raise InvalidInput(f"{symbol} is a blend: its levels come from its components")
    benchmark_id: int = row.id
    return benchmark_id


def _check(kind: str, url: str | None, fmt: str, interval_s: int | None, timeout_s: float) -> None:
    problems = []
    if kind not in KINDS:
        problems.append(f"kind: one of {', '.join(KINDS)}")
    if fmt != "auto" and fmt not in FORMATS:
        problems.append(f"format: auto or one of {', '.join(FORMATS)}")
    if kind == "http" and not (url or "").startswith(("http://", "https://")):
        problems.append("url: an http feed needs an http:// or https:// URL")
    if kind == "http" and (interval_s is None or interval_s < MIN_INTERVAL_S):
        problems.append(f"interval: an http feed polls every {MIN_INTERVAL_S} s or more")
    if not timeout_s > 0:
        problems.append("timeout: must be above zero")
    if problems:
        raise InvalidInput("; ".join(problems))


async def configure_feed(
    conn: AsyncConnection,
    *,
    benchmark_id: int,
    kind: str,
    url: str | None = None,
    fmt: str = "auto",
    interval_s: int | None = None,
    timeout_s: float = 10.0,
    enabled: bool = True,
) -> int:
    """Create or replace the benchmark's feed of this kind; returns its id."""
    _check(kind, url, fmt, interval_s, timeout_s)
    row = await conn.execute(
        text(
            "INSERT INTO feeds (benchmark_id, kind, url, format, interval_s, timeout_s, enabled) "
            "VALUES (:b, :kind, :url, :fmt, :interval, :timeout, :enabled) "
            "ON CONFLICT (benchmark_id, kind) DO UPDATE SET url = EXCLUDED.url, "
            "format = EXCLUDED.format, interval_s = EXCLUDED.interval_s, "
            "timeout_s = EXCLUDED.timeout_s, enabled = EXCLUDED.enabled RETURNING id"
        ),
        {
            "b": benchmark_id,
            "kind": kind,
            "url": url,
            "fmt": fmt,
            "interval": interval_s,
            "timeout": timeout_s,
            "enabled": enabled,
        },
    )
    feed_id: int = row.scalar_one()
    return feed_id


async def ensure_feeds(
    conn: AsyncConnection, benchmark_ids: Sequence[int], kind: FeedKind, url: str | None = None
) -> dict[int, int]:
    """The feed of this kind of each benchmark, created when missing: {benchmark id: feed id}."""
    rows = await conn.execute(
        text(
            "INSERT INTO feeds (benchmark_id, kind, url) "
            "SELECT b, :kind, :url FROM unnest(CAST(:ids AS int[])) AS b "
            "ON CONFLICT (benchmark_id, kind) "
            "DO UPDATE SET url = coalesce(EXCLUDED.url, feeds.url) "
            "RETURNING benchmark_id, id"
        ),
        {"ids": sorted(benchmark_ids), "kind": kind, "url": url},
    )
    return {benchmark_id: feed_id for benchmark_id, feed_id in rows}


async def remove_feed(conn: AsyncConnection, benchmark_id: int, kind: str) -> bool:
    result = await conn.execute(
        text("DELETE FROM feeds WHERE benchmark_id = :b AND kind = :kind RETURNING id"),
        {"b": benchmark_id, "kind": kind},
    )
    return result.first() is not None


_RECORD = text("""
INSERT INTO feed_state AS s (feed_id, last_received_at, last_as_of, received, inserted, revised,
                             unchanged, rejected, flagged)
VALUES (:id, now(), :as_of, :received, :inserted, :revised, :unchanged, :rejected, :flagged)
ON CONFLICT (feed_id) DO UPDATE SET
  last_received_at = now(), last_as_of = greatest(s.last_as_of, EXCLUDED.last_as_of),
  received = s.received + EXCLUDED.received, inserted = s.inserted + EXCLUDED.inserted,
  revised = s.revised + EXCLUDED.revised, unchanged = s.unchanged + EXCLUDED.unchanged,
  rejected = s.rejected + EXCLUDED.rejected, flagged = s.flagged + EXCLUDED.flagged,
  last_error = NULL, updated_at = now()
""")


async def record_delivery(conn: AsyncConnection, feed_id: int, report: FeedReport) -> None:
    """Count what a feed delivered, in the transaction that stored it."""
    await conn.execute(
        _RECORD,
        {
            "id": feed_id,
            "as_of": report.as_of,
            "received": report.received,
            "inserted": report.inserted,
            "revised": report.revised,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "flagged": len(report.warnings),
        },
    )


async def record_poll(
    conn: AsyncConnection,
    feed_id: int,
    *,
    etag: str | None,
    last_modified: str | None,
    not_modified: bool,
) -> None:
    """A poll answered: keep the validators for the next conditional request."""
    await conn.execute(
        text(
            "INSERT INTO feed_state AS s (feed_id, last_polled_at, etag, last_modified, "
            "not_modified) VALUES (:id, now(), :etag, :lm, :nm) "
            "ON CONFLICT (feed_id) DO UPDATE SET last_polled_at = now(), "
            "etag = coalesce(EXCLUDED.etag, s.etag), "
            "last_modified = coalesce(EXCLUDED.last_modified, s.last_modified), "
            "not_modified = s.not_modified + EXCLUDED.not_modified, updated_at = now()"
            + (", last_error = NULL" if not_modified else "")
        ),
        {"id": feed_id, "etag": etag, "lm": last_modified, "nm": int(not_modified)},
    )


async def record_error(conn: AsyncConnection, feed_id: int, message: str) -> None:
    await conn.execute(
        text(
            "INSERT INTO feed_state AS s (feed_id, last_polled_at, last_error, last_error_at) "
            "VALUES (:id, now(), :error, now()) ON CONFLICT (feed_id) DO UPDATE SET "
            "last_polled_at = now(), last_error = EXCLUDED.last_error, "
            "last_error_at = now(), updated_at = now()"
        ),
        {"id": feed_id, "error": message[:2000]},
    )


async def feed_states(conn: AsyncConnection, feed_ids: Sequence[int]) -> dict[int, FeedState]:
    rows = await conn.execute(
        text(
            "SELECT feed_id, last_polled_at, last_received_at, last_as_of, last_error, "
            "last_error_at, etag, last_modified, received, inserted, revised, rejected, "
            "flagged, not_modified FROM feed_state WHERE feed_id = ANY(CAST(:ids AS int[]))"
        ),
        {"ids": list(feed_ids)},
    )
    return {row.feed_id: FeedState(*row[1:]) for row in rows}
