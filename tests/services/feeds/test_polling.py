"""HTTP polling against a real local server standing in for the third-party source."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from services.errors import UpstreamError
from services.feeds.http import Retry, fetch
from services.feeds.polling import poll_due, poll_feed, run_pollers
from services.feeds.registry import FeedConfig, FeedState, configure_feed, feed_states, get_feed
from services.resources import Resources
from tests.factories import create_benchmark
from tests.services.feeds.conftest import Source, quarantined, stored_levels

CSV = "ts,level\n2024-01-02,100\n2024-01-03,101\n"
NO_WAIT = Retry(attempts=3, base_delay_s=0.001)
LAST_MODIFIED = "Wed, 03 Jan 2024 22:00:00 GMT"


class Sleeps:
    """Records the backoff delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def http_feed(resources: Resources, url: str, **options: object) -> FeedConfig:
    benchmark = await create_benchmark(resources)
    async with resources.engine.begin() as conn:
        feed_id = await configure_feed(
            conn,
            benchmark_id=benchmark.id,
            kind="http",
            url=url,
            interval_s=60,
            **options,  # type: ignore[arg-type]
        )
        return await get_feed(conn, feed_id)


async def state(resources: Resources, feed: FeedConfig) -> FeedState:
    async with resources.engine.connect() as conn:
        return (await feed_states(conn, [feed.id]))[feed.id]


async def test_etag_not_modified_means_nothing_is_ingested_again(
    resources: Resources, source: Source
) -> None:
    source.body, source.etag = CSV, '"v1"'
    feed = await http_feed(resources, source.url)
    async with httpx.AsyncClient() as client:
        first = await poll_feed(resources, feed, client, retry=NO_WAIT)
        second = await poll_feed(resources, feed, client, retry=NO_WAIT)
        source.body, source.etag = CSV + "2024-01-04,102\n", '"v2"'
        third = await poll_feed(resources, feed, client, retry=NO_WAIT)

    assert first.report is not None
    assert first.report.inserted == 2
    assert "if-none-match" not in source.requests[0]
    assert source.requests[1]["if-none-match"] == '"v1"'
    assert (second.not_modified, second.report) == (True, None)
    assert third.report is not None
    assert (third.report.inserted, third.report.unchanged) == (1, 2)
    assert len(await stored_levels(resources, feed.benchmark_id)) == 3
    after = await state(resources, feed)
    assert (after.etag, after.not_modified, after.inserted, after.received) == ('"v2"', 1, 3, 5)


async def test_last_modified_is_sent_back_as_if_modified_since(
    resources: Resources, source: Source
) -> None:
    source.body, source.last_modified = CSV, LAST_MODIFIED
    feed = await http_feed(resources, source.url)
    async with httpx.AsyncClient() as client:
        await poll_feed(resources, feed, client, retry=NO_WAIT)
        again = await poll_feed(resources, feed, client, retry=NO_WAIT)

    assert source.requests[1]["if-modified-since"] == LAST_MODIFIED
    assert again.not_modified
    assert (await state(resources, feed)).inserted == 2


async def test_server_errors_are_retried_with_exponential_backoff(source: Source) -> None:
    source.body, source.failures = CSV, [503, 500, 502]
    sleeps = Sleeps()
    retry = Retry(attempts=4, base_delay_s=0.5, jitter=0.25)
    async with httpx.AsyncClient() as client:
        fetched = await fetch(client, source.url, timeout_s=5, retry=retry, sleep=sleeps)

    assert (fetched.status, fetched.attempts, fetched.body) == (200, 4, CSV)
    assert len(source.requests) == 4
    for delay, base in zip(sleeps.delays, (0.5, 1.0, 2.0), strict=True):
        assert base <= delay <= base * 1.25


async def test_retry_after_is_honoured_when_longer_than_the_backoff(source: Source) -> None:
    async def limited(request: object) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    sleeps = Sleeps()
    async with httpx.AsyncClient(transport=httpx.MockTransport(limited)) as client:
        with pytest.raises(UpstreamError, match="HTTP 429"):
            await fetch(client, source.url, timeout_s=1, retry=Retry(attempts=2), sleep=sleeps)
    assert sleeps.delays == [7.0]


async def test_a_timeout_is_retried_then_recorded_and_stores_nothing(
    resources: Resources, source: Source
) -> None:
    source.body, source.delay_s = CSV, 0.5
    feed = await http_feed(resources, source.url, timeout_s=0.05)
    async with httpx.AsyncClient() as client:
        result = await poll_feed(resources, feed, client, retry=Retry(attempts=2, base_delay_s=0))

    assert result.error is not None
    assert "no answer within 0.05 s (after 2 attempts)" in result.error
    assert len(source.requests) == 2
    assert await stored_levels(resources, feed.benchmark_id) == []
    after = await state(resources, feed)
    assert after.last_error == result.error
    assert after.last_polled_at is not None


async def test_client_errors_are_not_retried(resources: Resources, source: Source) -> None:
    source.failures = [404]
    feed = await http_feed(resources, source.url)
    async with httpx.AsyncClient() as client:
        result = await poll_feed(resources, feed, client, retry=NO_WAIT)
    assert result.error is not None
    assert "HTTP 404" in result.error
    assert len(source.requests) == 1


async def test_a_bad_body_is_an_error_and_bad_rows_are_quarantined(
    resources: Resources, source: Source
) -> None:
    source.body = "<html>maintenance</html>"
    feed = await http_feed(resources, source.url)
    async with httpx.AsyncClient() as client:
        broken = await poll_feed(resources, feed, client, retry=NO_WAIT)
        source.body = (
            '{"observations": [{"date": "2024-01-02", "value": "4.1"}, '
            '{"date": "2024-01-03", "value": "."}, {"date": "2024-01-04", "value": "-1"}]}'
        )
        fixed = await poll_feed(resources, feed, client, retry=NO_WAIT)

    assert broken.error is not None
    assert "unrecognised header" in broken.error
    assert fixed.report is not None
    assert (fixed.report.inserted, fixed.report.skipped, fixed.report.rejected) == (1, 1, 1)
    assert (await state(resources, feed)).last_error is None
    [(reason, payload)] = await quarantined(resources, feed.symbol)
    assert "above zero" in reason
    assert payload["at"] == "item 3"


async def test_feeds_are_polled_when_due_and_not_before(
    resources: Resources, source: Source
) -> None:
    source.body = CSV
    feed = await http_feed(resources, source.url)
    async with httpx.AsyncClient() as client:
        wait = await poll_due(resources, client, symbols={feed.symbol})
        again = await poll_due(resources, client, symbols={feed.symbol})

    assert len(source.requests) == 1
    assert 0 < again <= 60
    assert wait <= 60
    polled = (await state(resources, feed)).last_polled_at
    assert polled is not None
    assert polled <= datetime.now(UTC)


async def test_the_poller_runs_until_stopped(resources: Resources, source: Source) -> None:
    source.body = CSV
    feed = await http_feed(resources, source.url)
    stop = asyncio.Event()
    task = asyncio.create_task(run_pollers(resources, stop, symbols={feed.symbol}))
    try:
        for _ in range(500):  # until the first poll has been stored
            if len(await stored_levels(resources, feed.benchmark_id)) == 2:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert len(source.requests) == 1  # the next poll is an interval away
    assert len(await stored_levels(resources, feed.benchmark_id)) == 2
