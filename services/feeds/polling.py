"""Polling HTTP feeds on their schedules (``perfgraph feeds poll``).

Each enabled ``http`` feed is polled every ``interval_s`` seconds, counted from its last
poll (kept in ``feed_state``, so a restart does not poll everything at once). A Redis lock
per feed keeps replicas from polling the same feed together. The validators of an answer
(``ETag``, ``Last-Modified``) are saved only after its rows are stored, so a failure never
leaves a feed believing it is up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from services import keys
from services.benchmarks import benchmarks_by_ids
from services.errors import InvalidInput, UpstreamError
from services.feeds.files import Target, store_parsed
from services.feeds.formats import format_named, parse
from services.feeds.http import Retry, Sleep, fetch
from services.feeds.registry import (
    FeedConfig,
    feed_states,
    list_feeds,
    record_error,
    record_poll,
)
from services.feeds.store import FeedReport
from services.resources import Resources

log = logging.getLogger(__name__)
IDLE_MAX_S = 60.0
DEFAULT_RETRY = Retry()


@dataclass(frozen=True)
class PollResult:
    feed: FeedConfig
    report: FeedReport | None = None  # None: not modified, or failed
    not_modified: bool = False
    error: str | None = None


async def poll_feed(
    resources: Resources,
    feed: FeedConfig,
    client: httpx.AsyncClient,
    *,
    retry: Retry = DEFAULT_RETRY,
    sleep: Sleep = asyncio.sleep,
) -> PollResult:
    """Poll one feed now: fetch conditionally, store what changed, record the outcome."""
    async with resources.engine.connect() as conn:
        state = (await feed_states(conn, [feed.id])).get(feed.id)
        benchmark = (await benchmarks_by_ids(conn, [feed.benchmark_id]))[feed.benchmark_id]
    try:
        fetched = await fetch(
            client,
            feed.url or "",
            timeout_s=feed.timeout_s,
            retry=retry,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            sleep=sleep,
        )
        report = None
        if fetched.body is not None:
            parsed = parse(fetched.body, format_named(feed.format))
            target = Target(benchmark, feed.id, "http", f"http:{feed.url}"[:100])
            report = await store_parsed(resources, target, parsed)
    except (UpstreamError, InvalidInput) as exc:
        async with resources.engine.begin() as conn:
            await record_error(conn, feed.id, str(exc))
        log.warning("feed %s (%s): %s", feed.symbol, feed.url, exc)
        return PollResult(feed, error=str(exc))
    async with resources.engine.begin() as conn:
        await record_poll(
            conn,
            feed.id,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            not_modified=fetched.status == 304,
        )
    return PollResult(feed, report, not_modified=fetched.status == 304)


async def due_feeds(
    resources: Resources, now: datetime, symbols: Collection[str] | None = None
) -> tuple[list[FeedConfig], float]:
    """Enabled HTTP feeds (of ``symbols``, or all) due for a poll, and the seconds until the
    next one falls due."""
    async with resources.engine.connect() as conn:
        feeds = [
            f
            for f in await list_feeds(conn, kind="http")
            if f.enabled and (symbols is None or f.symbol in symbols)
        ]
        states = await feed_states(conn, [f.id for f in feeds])
    due, wait = [], IDLE_MAX_S
    for feed in feeds:
        last = states[feed.id].last_polled_at if feed.id in states else None
        next_at = last + timedelta(seconds=feed.interval_s or 0) if last else now
        if next_at <= now:
            due.append(feed)
        else:
            wait = min(wait, (next_at - now).total_seconds())
    return due, wait


async def _claim(resources: Resources, feed: FeedConfig) -> bool:
    """Claim this interval's poll of the feed (the lock expires with the interval), so that
    replicas poll a feed once per interval between them. Without Redis, poll anyway: a
    second conditional poll costs a 304."""
    try:
        key = keys.lock_key(f"feed:{feed.id}")
        ttl = max(1, (feed.interval_s or 1) - 1)
        return bool(await resources.redis.set(key, b"1", nx=True, ex=ttl))
    except Exception:
        log.warning("feed lock unavailable; polling %s without it", feed.symbol, exc_info=True)
        return True


async def poll_due(
    resources: Resources, client: httpx.AsyncClient, symbols: Collection[str] | None = None
) -> float:
    """Poll every feed (of ``symbols``, or all) that is due; returns the seconds until the
    next is."""
    due, wait = await due_feeds(resources, datetime.now(UTC), symbols)
    for feed in due:
        if await _claim(resources, feed):
            await poll_feed(resources, feed, client)
        wait = min(wait, float(feed.interval_s or IDLE_MAX_S))
    return wait


async def poll_once(
    resources: Resources, symbols: Collection[str] | None = None
) -> list[PollResult]:
    """Poll the feeds that are due now, once (``perfgraph feeds poll --once``)."""
    due, _ = await due_feeds(resources, datetime.now(UTC), symbols)
    async with httpx.AsyncClient(follow_redirects=True) as client:
        return [await poll_feed(resources, f, client) for f in due if await _claim(resources, f)]


async def run_pollers(
    resources: Resources, stop: asyncio.Event, symbols: Collection[str] | None = None
) -> None:
    """Poll until ``stop`` is set; configuration changes are picked up on the next round."""
    async with httpx.AsyncClient(follow_redirects=True) as client:
        while not stop.is_set():
            try:
                wait = await poll_due(resources, client, symbols)
            except Exception:  # the database is away: try again shortly
                log.exception("polling feeds failed")
                wait = 5.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.5))
