"""The data-version protocol on a real Redis: unknown while written, never moved backwards."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from services import keys
from services.cache import Cache
from services.resources import Resources, create_redis
from services.versions import CATALOG, Dep, VersionStore
from tests.conftest import StatementCounter
from tests.factories import create_strategy
from tests.redis_server import RedisServer


def store_on(resources: Resources, redis: Redis | None = None, **settings: object) -> VersionStore:
    """A version store as another process would have it (its own breaker and memory)."""
    updated = resources.settings.model_copy(update=settings)
    return Cache(updated, redis or resources.redis, resources.sessions, resources.engine).versions


def some_strategy() -> Dep:
    return Dep("strategy", 1_000_000 + uuid.uuid4().int % 1_000_000)


async def test_a_write_makes_the_version_unknown_then_sets_it(resources: Resources) -> None:
    store, dep = store_on(resources), some_strategy()
    await store.remember({dep.name: "4"})
    assert await store.current([dep.name]) == ["4"]
    async with store.writing([dep]) as write:
        assert await store.current([dep.name]) == [None]
        await store.remember({dep.name: "4"})  # a reader that read PostgreSQL before the commit
        assert await store.current([dep.name]) == [None]
        write.committed(dep, 5)
    assert await store.current([dep.name]) == ["5"]
    assert not await resources.redis.exists(keys.pending_key(dep.name))


async def test_overlapping_writes_set_the_newest_version_whatever_order_they_end(
    resources: Resources,
) -> None:
    store, dep = store_on(resources), some_strategy()
    first = store.writing([dep])
    second = store.writing([dep])
    a, b = await first.__aenter__(), await second.__aenter__()
    a.committed(dep, 6)
    b.committed(dep, 7)
    await second.__aexit__(None, None, None)  # the later commit ends first
    assert await store.current([dep.name]) == [None]  # the other write is still in flight
    await first.__aexit__(None, None, None)
    assert await store.current([dep.name]) == ["7"]


async def test_a_failed_write_leaves_the_version_unknown(resources: Resources) -> None:
    store, dep = store_on(resources), some_strategy()
    await store.remember({dep.name: "3"})
    with pytest.raises(RuntimeError):
        async with store.writing([dep]):
            raise RuntimeError("the transaction failed")
    assert await store.current([dep.name]) == [None]
    await store.remember({dep.name: "3"})  # the next reader's PostgreSQL read
    assert await store.current([dep.name]) == ["3"]


async def test_versions_never_move_backwards(resources: Resources) -> None:
    store, dep = store_on(resources), some_strategy()
    await store.remember({dep.name: "9"})
    await store.remember({dep.name: "8"})  # a slow reader's older read
    assert await store.current([dep.name]) == ["9"]
    async with store.writing([dep]) as write:
        write.committed(dep, 10)
    async with store.writing([dep]) as write:
        pass  # a write that changed nothing still ends
    assert await store.current([dep.name]) == [None]  # it committed no version
    await store.remember({dep.name: "10"})
    assert await store.current([dep.name]) == ["10"]


async def test_unknown_versions_come_from_postgresql_in_one_statement(
    resources: Resources, sql: StatementCounter
) -> None:
    first = await create_strategy(resources)
    second = await create_strategy(resources)
    deps = [Dep("strategy", first), Dep("strategy", second), Dep("benchmark", 1)]
    store = store_on(resources)
    sql.reset()
    found = await store.entity_versions([*deps, Dep("strategy", 2**31 - 1)])
    assert found == {deps[0]: 0, deps[1]: 0, deps[2]: found[deps[2]]}
    assert len(sql) == 1
    assert await store.current([d.name for d in deps]) == ["0", "0", str(found[deps[2]])]
    await store.entity_versions(deps)
    assert len(sql) == 1  # now known in Redis


async def test_the_catalog_token_changes_with_every_catalog_write(resources: Resources) -> None:
    store = store_on(resources)
    token = await store.catalog_token()
    assert token is not None
    assert await store.catalog_token() == token
    async with store.writing([CATALOG]) as write:
        assert await store.catalog_token() is None  # nothing is cached while it changes
        write.committed(CATALOG)
    changed = await store.catalog_token()
    assert changed not in (None, token)
    await create_strategy(resources)
    assert await store.catalog_token() not in (None, changed)


def unreachable() -> Redis:
    """A client for a port nothing listens on: the writer is cut off from Redis."""
    return Redis.from_url(RedisServer().url, socket_timeout=1)


async def test_a_writer_cut_off_after_begin_leaves_the_version_unknown(
    resources: Resources,
) -> None:
    """The commit's version never reaches Redis: the version stays unknown (readers use
    PostgreSQL) until the pending mark expires; then readers store what PostgreSQL says."""
    store, dep = store_on(resources, cache_retry_s=60), some_strategy()
    store.pending_ttl_ms = 500
    await store.remember({dep.name: "1"})
    async with store.writing([dep]) as write:
        store.redis = unreachable()
        write.committed(dep, 2)
    assert dep.name in store.dirty
    reader = store_on(resources)
    assert await reader.current([dep.name]) == [None]
    await reader.remember({dep.name: "1"})  # a reader's read from before the commit
    assert await reader.current([dep.name]) == [None]
    remaining_ms = await resources.redis.pttl(keys.pending_key(dep.name))
    assert 0 < remaining_ms <= 500
    await asyncio.sleep(remaining_ms / 1000 + 0.05)  # the pending mark expires
    await reader.remember({dep.name: "2"})
    assert await reader.current([dep.name]) == ["2"]
    await store.redis.aclose()


async def test_a_writer_cut_off_from_redis_forgets_its_versions_when_it_is_back(
    resources: Resources,
) -> None:
    """Redis kept the old version (the writer could not mark it): the writer's first call
    after Redis answers again deletes it, so no reader is served the old data."""
    store, dep = store_on(resources, cache_retry_s=0.1), some_strategy()
    await store.remember({dep.name: "1"})
    live, store.redis = store.redis, unreachable()
    async with store.writing([dep]) as write:
        write.committed(dep, 2)
    assert dep.name in store.dirty
    await store.redis.aclose()
    store.redis = live
    assert await live.get(keys.version_key(dep.name)) == b"1"  # stale, in Redis
    await asyncio.sleep(0.15)
    assert await store.current([dep.name]) == [None]  # the probe forgot it first
    assert store.dirty == set()


async def test_versions_a_restarted_redis_restores_are_forgotten(resources: Resources) -> None:
    """A Redis that persists comes back from a crash without its last writes: the versions
    it restores may be older than PostgreSQL's, so none of them is trusted."""
    server = RedisServer()
    server.start()
    redis = create_redis(resources.settings, server.url)
    try:
        store = store_on(resources, redis)
        store.restart_check_s = 0.0
        dep = some_strategy()
        await store.remember({dep.name: "5"})
        assert await store.current([dep.name]) == ["5"]
        await redis.save()  # the snapshot a crash restores
        async with store.writing([dep]) as write:
            write.committed(dep, 6)
        assert await store.current([dep.name]) == ["6"]
        server.crash()
        server.start()
        assert await redis.get(keys.version_key(dep.name)) == b"5"  # restored, stale
        assert await store.current([dep.name]) == [None]
        await store.remember({dep.name: "6"})  # what PostgreSQL says
        assert await store.current([dep.name]) == ["6"]
    finally:
        await redis.aclose()
        server.stop()
