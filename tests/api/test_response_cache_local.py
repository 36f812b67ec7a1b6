"""The response cache's copy in process memory: served only while Redis confirms every
version the response was computed at, so a write anywhere shows at once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

import httpx

from schema.app import create_app
from services import keys
from services.resources import Resources, open_resources
from services.response_cache import ResponseStore, StoredResponse
from services.versions import Dep
from tests.api.test_cache import LAST_DAY, dashboard_strategies, nodes, post
from tests.conftest import StatementCounter
from tests.live_server import ROOT
from tests.redis_server import RedisServer

WRITE_ELSEWHERE = """
import asyncio, sys
from datetime import datetime
from services.config import Environment, load_settings
from services.ingest import record_performance
from services.resources import open_resources
from services.validation import IncomingRow

async def main() -> None:
    resources = await open_resources(load_settings(environment=Environment.TEST))
    try:
        row = IncomingRow(datetime.fromisoformat(sys.argv[2]), float(sys.argv[3]))
        await record_performance(resources, int(sys.argv[1]), [row], source="replica")
    finally:
        await resources.close()

asyncio.run(main())
"""


async def forget_redis_copies(resources: Resources) -> None:
    """Delete every stored response from Redis: what is served now comes from memory."""
    async for name in resources.redis.scan_iter(match=keys.response_key("*")):
        await resources.redis.unlink(name)


async def write_in_another_process(
    resources: Resources, strategy_id: str, nav: float, days: int = 1
) -> None:
    """A point recorded by another perfgraph process, with its own memory and connections."""
    settings = resources.settings
    env = {
        **os.environ,
        "PERFGRAPH_DATABASE_URL": settings.database_url or "",
        "PERFGRAPH_REDIS_URL": settings.redis_url or "",
    }
    when = (LAST_DAY + timedelta(days=days)).isoformat()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITE_ELSEWHERE, strategy_id, when, str(nav), env=env, cwd=ROOT
    )
    assert await process.wait() == 0


async def test_a_hit_comes_from_memory_after_one_version_read(
    resources: Resources, client: httpx.AsyncClient, sql: StatementCounter
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    first = await post(client, variables)
    await forget_redis_copies(resources)
    sql.reset()
    again = await post(client, variables)
    assert again.headers["x-cache"] == "hit"
    assert again.content == first.content
    assert len(sql) == 0


async def test_a_write_in_another_process_makes_the_next_request_miss(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    before = nodes((await post(client, variables)).json()["data"])
    assert (await post(client, variables)).headers["x-cache"] == "hit"
    await write_in_another_process(resources, before[7]["id"], 321.5)
    after = await post(client, variables)
    assert after.headers["x-cache"] == "miss"
    changed = nodes(after.json()["data"])[7]
    assert changed["latest"]["value"] == 321.5
    assert changed["lastSeq"] == before[7]["lastSeq"] + 1
    assert changed["performance"]["columns"]["nav"][-1] == 321.5
    assert (await post(client, variables)).headers["x-cache"] == "hit"


async def test_a_pending_write_or_a_bumped_version_is_never_served_from_memory(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    """A write deletes the version before it commits (unknown: no hit) and sets the new one
    after; a local copy matches neither."""
    variables = {"search": await dashboard_strategies(resources)}
    first = nodes((await post(client, variables)).json()["data"])
    dep = Dep("strategy", int(first[2]["id"]))
    version = keys.version_key(dep.name)
    assert await resources.redis.get(version) == str(first[2]["lastSeq"]).encode()
    await resources.redis.delete(version)  # what a write does before it commits
    assert (await post(client, variables)).headers["x-cache"] == "miss"
    assert (await post(client, variables)).headers["x-cache"] == "hit"
    await resources.redis.set(version, str(first[2]["lastSeq"] + 5))  # another write's seq
    assert (await post(client, variables)).headers["x-cache"] == "miss"


async def test_memory_is_bounded_in_bytes_and_drops_the_least_recently_used(
    resources: Resources,
) -> None:
    cache = resources.cache
    store = ResponseStore(
        resources.redis, cache.guard, cache.versions, cache.stats, ttl_s=60, local_bytes=32_000
    )
    token = await cache.versions.catalog_token()
    assert token is not None
    names = [f"pg:resp:test-bounded-{n}" for n in range(17)]
    entries = {
        name: StoredResponse(b"%02d" % n * 1000, {"catalog": token}, 0, 1)
        for n, name in enumerate(names)
    }
    for name in names[:16]:
        await store.store(name, entries[name])
    assert store.local_bytes == 32_000
    assert await store.fetch(names[0]) == entries[names[0]]  # now the most recently used
    await store.store(names[16], entries[names[16]])
    assert store.local_bytes == 32_000  # names[1] made room
    await resources.redis.delete(*names)
    assert await store.fetch(names[0]) == entries[names[0]]
    assert await store.fetch(names[16]) == entries[names[16]]
    assert await store.fetch(names[1]) is None
    too_big = StoredResponse(b"x" * 2_001, {"catalog": token}, 0, 1)
    await store.store("pg:resp:test-bounded-big", too_big)  # over a sixteenth: Redis only
    assert store.local_bytes == 32_000
    assert await store.fetch("pg:resp:test-bounded-big") == too_big
    await resources.redis.delete("pg:resp:test-bounded-big")


async def test_redis_stopped_serves_nothing_from_memory(resources: Resources) -> None:
    """With Redis gone no version can be checked: the copy in memory is not used, the
    request executes (from PostgreSQL) and answers the same."""
    server = RedisServer()
    server.start()
    update = {"redis_url": server.url, "cache_timeout_s": 0.5}
    own = await open_resources(resources.settings.model_copy(update=update))
    transport = httpx.ASGITransport(app=create_app(resources=own))
    try:
        variables = {"search": await dashboard_strategies(resources)}
        async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
            first = await post(c, variables)
            assert (await post(c, variables)).headers["x-cache"] == "hit"
            assert own.cache.responses.local_bytes >= len(first.content)
            server.stop()
            for _ in range(2):
                down = await post(c, variables)
                assert down.headers["x-cache"] == "miss"
                assert down.content == first.content
    finally:
        await own.close()
        server.stop()
