"""Every feed with its state and its benchmark's freshness; the stale ones for readiness
details and metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services import metrics
from services.benchmarks import benchmarks_by_ids
from services.feeds.registry import FeedConfig, FeedState, feed_states, list_feeds
from services.feeds.store import FeedReport
from services.freshness import Freshness, freshness_of
from services.resources import Resources

KEEPS_DELIVERING = frozenset({"stream", "http"})


@dataclass(frozen=True)
class FeedStatus:
    feed: FeedConfig
    state: FeedState | None
    freshness: Freshness  # of the feed's benchmark, whatever feed delivered its levels


async def feed_statuses(resources: Resources, now: datetime | None = None) -> list[FeedStatus]:
    """Every configured feed, by symbol then kind."""
    async with resources.engine.connect() as conn:
        feeds = await list_feeds(conn)
        states = await feed_states(conn, [f.id for f in feeds])
        records = await benchmarks_by_ids(conn, sorted({f.benchmark_id for f in feeds}))
        fresh = await freshness_of(conn, list(records.values()), now or datetime.now(UTC))
    return [FeedStatus(f, states.get(f.id), fresh[f.benchmark_id]) for f in feeds]


def is_alarming(status: FeedStatus) -> bool:
    """An enabled feed that is expected to keep delivering (not a one-off file import)
    whose benchmark is stale."""
    feed = status.feed
    return feed.enabled and feed.kind in KEEPS_DELIVERING and status.freshness.is_stale


async def stale_feeds(resources: Resources, now: datetime | None = None) -> list[FeedStatus]:
    """The feeds to alarm about: for readiness details and metrics. Benchmarks without such
    a feed (history only, like the demo set) are not listed."""
    return [s for s in await feed_statuses(resources, now) if is_alarming(s)]


def feed_label(symbol: str, kind: str) -> str:
    """The ``feed`` label of the feed metrics."""
    return f"{symbol}:{kind}"


def export_metrics(statuses: Sequence[FeedStatus]) -> None:
    """Set the feed gauges from the stored state (cheap: no I/O)."""
    for s in statuses:
        label = feed_label(s.feed.symbol, s.feed.kind)
        metrics.FEED_STALE.labels(label).set(int(is_alarming(s)))
        if s.state and s.state.last_received_at:
            metrics.FEED_LAST_RECEIVED.labels(label).set(s.state.last_received_at.timestamp())
        if s.state and s.state.last_as_of:
            metrics.FEED_AS_OF.labels(label).set(s.state.last_as_of.timestamp())


def count_rows(symbol: str, kind: str, report: FeedReport) -> None:
    label = feed_label(symbol, kind)
    for result, rows in (
        ("stored", report.inserted + report.revised),
        ("duplicate", report.unchanged + report.duplicates),
        ("quarantined", report.rejected),
    ):
        if rows:
            metrics.FEED_ROWS.labels(label, result).inc(rows)


def describe_stale(stale: Sequence[FeedStatus], listed: int = 10) -> str:
    """``SPX:http (due 2024-07-08 20:00 UTC), ...`` for a readiness detail."""
    parts = [
        f"{feed_label(s.feed.symbol, s.feed.kind)} (due "
        f"{s.freshness.expected_next_at:%Y-%m-%d %H:%M} UTC)"
        if s.freshness.expected_next_at
        else f"{feed_label(s.feed.symbol, s.feed.kind)} (no data)"
        for s in stale[:listed]
    ]
    more = f" and {len(stale) - listed} more" if len(stale) > listed else ""
    return f"{len(stale)} stale: {', '.join(parts)}{more}"
