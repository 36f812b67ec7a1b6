"""Every feed with its state and its benchmark's freshness; the stale ones for health checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.benchmarks import benchmarks_by_ids
from services.feeds.registry import FeedConfig, FeedState, feed_states, list_feeds
from services.freshness import Freshness, freshness_of
from services.resources import Resources


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


async def stale_feeds(resources: Resources, now: datetime | None = None) -> list[FeedStatus]:
    """Enabled feeds whose benchmark is stale on its trading calendar: for readiness
    details and metrics. Benchmarks without a feed (history only) are not listed."""
    return [
        s for s in await feed_statuses(resources, now) if s.feed.enabled and s.freshness.is_stale
    ]
