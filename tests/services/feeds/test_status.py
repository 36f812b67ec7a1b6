"""Feed statuses and the stale feeds a readiness check or metric reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.feeds.files import import_levels
from services.feeds.registry import FeedConfig, configure_feed
from services.feeds.status import FeedStatus, describe_stale, feed_statuses, stale_feeds
from services.freshness import Freshness
from services.metrics import REGISTRY
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


async def test_the_readiness_check_names_stale_feeds_and_sets_the_gauges(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    benchmark = await create_benchmark(
        resources, levels=[(datetime(2024, 7, 3, tzinfo=UTC), 100.0)], stale_after_s=3600
    )
    async with resources.engine.begin() as conn:
        await configure_feed(
            conn, benchmark_id=benchmark.id, kind="http", url="https://x.test/a", interval_s=60
        )

    body = (await client.get("/readyz")).json()
    feeds = body["checks"]["feeds"]
    assert (feeds["ok"], feeds["critical"]) == (False, False)
    assert " stale: " in feeds["detail"]  # other tests' stale feeds may be listed first
    assert body["status"] == "degraded"  # served, with the data's age
    scraped = (await client.get("/metrics")).text
    assert f'perfgraph_feed_stale{{feed="{benchmark.symbol}:http"}} 1.0' in scraped


async def test_rows_are_counted_per_feed_and_result(resources: Resources, tmp_path: Path) -> None:
    benchmark = await create_benchmark(resources)
    path = tmp_path / "levels.csv"
    path.write_text("ts,level\n2024-01-02,100\n2024-01-02,100\n2024-01-03,-1\n")
    await import_levels(resources, benchmark.symbol, str(path))
    label = f"{benchmark.symbol}:file"

    def count(result: str) -> float | None:
        return REGISTRY.get_sample_value(
            "perfgraph_feed_rows_total", {"feed": label, "result": result}
        )

    assert (count("stored"), count("duplicate"), count("quarantined")) == (1.0, 1.0, 1.0)


def test_the_detail_lists_ten_stale_feeds_and_counts_the_rest() -> None:
    def status(i: int, due: datetime | None) -> FeedStatus:
        feed = FeedConfig(i, i, f"S{i:02d}", "http", "https://x.test", "auto", 60, 10.0, True)
        freshness = Freshness(None, None, None, True, due, 3600)
        return FeedStatus(feed, None, freshness)

    stale = [status(0, None)] + [status(i, MONDAY_NOON) for i in range(1, 12)]
    detail = describe_stale(stale)
    assert detail.startswith("12 stale: S00:http (no data), S01:http (due 2024-07-08 12:00 UTC)")
    assert detail.endswith("S09:http (due 2024-07-08 12:00 UTC) and 2 more")
