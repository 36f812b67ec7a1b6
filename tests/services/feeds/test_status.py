"""Feed statuses and the stale feeds a readiness check or metric reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.feeds.registry import configure_feed
from services.feeds.status import feed_statuses, stale_feeds
from services.resources import Resources
from tests.factories import create_benchmark

MONDAY_NOON = datetime(2024, 7, 8, 12, tzinfo=UTC)


async def with_feed(resources: Resources, as_of: datetime, *, enabled: bool = True) -> int:
    benchmark = await create_benchmark(resources, levels=[(as_of, 100.0)], stale_after_s=3600)
    async with resources.engine.begin() as conn:
        return await configure_feed(
            conn,
            benchmark_id=benchmark.id,
            kind="http",
            url="https://example.com/levels.csv",
            interval_s=3600,
            enabled=enabled,
        )


async def test_stale_feeds_are_the_enabled_feeds_of_stale_benchmarks(
    resources: Resources,
) -> None:
    friday = await with_feed(resources, datetime(2024, 7, 5, tzinfo=UTC))  # due Monday's close
    thursday = await with_feed(resources, datetime(2024, 7, 3, tzinfo=UTC))  # was due Friday
    off = await with_feed(resources, datetime(2024, 7, 3, tzinfo=UTC), enabled=False)

    stale = {s.feed.id for s in await stale_feeds(resources, MONDAY_NOON)}
    assert thursday in stale
    assert friday not in stale
    assert off not in stale
    later = {s.feed.id for s in await stale_feeds(resources, MONDAY_NOON + timedelta(hours=10))}
    assert friday in later  # 22:00: more than an hour after the close


async def test_statuses_list_every_feed_with_its_freshness(resources: Resources) -> None:
    feed = await with_feed(resources, datetime(2024, 7, 5, tzinfo=UTC))
    [status] = [s for s in await feed_statuses(resources, MONDAY_NOON) if s.feed.id == feed]
    assert status.freshness.as_of == datetime(2024, 7, 5, tzinfo=UTC)
    assert status.freshness.expected_next_at == datetime(2024, 7, 8, 20, tzinfo=UTC)
    assert status.state is None  # never polled
