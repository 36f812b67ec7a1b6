"""The order of a write (services/write_batch.py), which the mutations and the stream
consumers share: versions unknown while it runs and set after the commit, events and
callbacks only after the commit, nothing of either for a write that rolls back, and nothing
committed lost while Redis is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from services import keys
from services.embedded import EmbeddedServers
from services.ingest import PERFORMANCE, dependency, record_performance, store_rows
from services.resources import Resources
from services.validation import IncomingRow, Validated, validate_rows
from services.versions import Dep, VersionStore
from services.write_batch import write_batch
from tests.factories import create_strategy
from tests.redis_clients import published
from tests.redis_server import RedisServer
from tests.services.test_streams import stored

DAY = datetime(2024, 3, 1, tzinfo=UTC)


def rows(*navs: float) -> list[IncomingRow]:
    return [IncomingRow(DAY + timedelta(days=i), nav) for i, nav in enumerate(navs)]


def checked(*navs: float) -> Validated:
    return validate_rows(rows(*navs), now=DAY + timedelta(days=30))


async def known(resources: Resources) -> tuple[int, Dep, VersionStore]:
    """A new strategy, its dependency, and the version store, which knows its version (0)."""
    sid = await create_strategy(resources)
    dep, versions = dependency(PERFORMANCE, sid), resources.cache.versions
    await versions.entity_versions([dep])
    assert await versions.current([dep.name]) == ["0"]
    return sid, dep, versions


async def test_versions_then_events_then_callbacks_follow_the_commit(
    resources: Resources,
) -> None:
    sid, dep, versions = await known(resources)
    seen_by_callback: list[object] = []

    async def callback() -> None:
        seen_by_callback.extend([await versions.current([dep.name]), await stored(resources, sid)])

    channel = keys.performance_channel(sid)
    async with published(resources.redis, channel) as events, write_batch(resources, [dep]) as b:
        assert await versions.current([dep.name]) == [None]  # unknown while written
        await store_rows(b, PERFORMANCE, sid, str(sid), checked(100.0, 101.0), source="t")
        b.after_commit(callback)
        assert await stored(resources, sid) == (0, [])  # not committed yet
        assert await versions.current([dep.name]) == [None]

    assert seen_by_callback == [["2"], (2, [100.0, 101.0])]
    assert await versions.current([dep.name]) == ["2"]
    assert not await resources.redis.exists(keys.pending_key(dep.name))
    assert [(e["seq"], e["nav"], e["kind"]) for e in events] == [
        (1, 100.0, "INSERT"),
        (2, 101.0, "INSERT"),
    ]


async def test_a_write_that_fails_publishes_nothing_and_sets_no_version(
    resources: Resources,
) -> None:
    sid, dep, versions = await known(resources)
    called: list[str] = []

    async def failing_write() -> None:
        async with write_batch(resources, [dep]) as batch:
            result = await store_rows(batch, PERFORMANCE, sid, str(sid), checked(100.0), source="t")
            assert result.last_seq == 1
            batch.after_commit(lambda: called.append("callback"))
            assert await versions.current([dep.name]) == [None]
            raise RuntimeError("the write fails after storing")

    async with published(resources.redis, keys.performance_channel(sid)) as events:
        with pytest.raises(RuntimeError, match="after storing"):
            await failing_write()

    assert events == []
    assert called == []
    assert await stored(resources, sid) == (0, [])  # rolled back
    # Pending, then cleared without a version: the next reader takes PostgreSQL's, not 1.
    assert await versions.current([dep.name]) == [None]
    assert not await resources.redis.exists(keys.pending_key(dep.name))
    assert await versions.entity_versions([dep]) == {dep: 0}
    assert await versions.current([dep.name]) == ["0"]


async def test_a_write_while_redis_is_away_is_committed_and_its_version_forgotten(
    resources: Resources,
) -> None:
    sid = await create_strategy(resources)
    dep = dependency(PERFORMANCE, sid)
    cut_off_redis = Redis.from_url(RedisServer().url, socket_timeout=1)  # nothing listens
    cut_off = Resources(
        resources.settings, resources.engine, resources.sessions, cut_off_redis, EmbeddedServers()
    )
    try:
        result = await record_performance(cut_off, sid, rows(100.0, 101.0), source="t")
    finally:
        await cut_off_redis.aclose()

    assert (result.inserted, result.last_seq) == (2, 2)
    assert await stored(resources, sid) == (2, [100.0, 101.0])
    assert dep.name in cut_off.cache.versions.dirty  # deleted from Redis once it answers
