"""PostgreSQL stopped and started, Redis stopped and started, on servers these tests own.

While PostgreSQL is down, requests that execute fail fast with SERVICE_UNAVAILABLE (a
response stored before, whose versions are still current, is served from the cache) and
readiness is red; once it is back the same process serves again, with no restart. While
Redis is down, queries that do not need it keep working and readiness reports Redis as
degraded.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from schema.app import create_app
from services.config import Environment, load_settings
from services.db.migrate import migrate
from services.resources import Resources, open_resources
from tests.conftest import GraphQLClient
from tests.factories import create_strategy
from tests.faults.servers import OwnPostgres, OwnRedis, checked_out

pytestmark = pytest.mark.slow


async def serve(resources: Resources) -> AsyncIterator[tuple[httpx.AsyncClient, GraphQLClient]]:
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as client:
        yield client, GraphQLClient(client)


@pytest.fixture
async def own_postgres() -> AsyncIterator[tuple[OwnPostgres, Resources]]:
    """A PostgreSQL of our own, with a Redis of its own too: each database needs its own
    Redis (docs/caching.md). Sharing the session's would mix two databases' versions of
    the same ids (this database's strategy 1 is not the session's), so whether a response
    is cached here would depend on what earlier tests left there, and values cached here
    could be served to them."""
    own, redis = OwnPostgres.start(), OwnRedis.start()
    resources = await open_resources(
        load_settings(
            environment=Environment.TEST,
            database_url=own.url,
            redis_url=redis.url,
            db_connect_timeout_s=5,
        )
    )
    try:
        await migrate(resources.engine)
        yield own, resources
    finally:
        await resources.close()
        own.close()
        redis.close()


async def test_postgres_stopped_then_started(own_postgres: tuple[OwnPostgres, Resources]) -> None:
    own, resources = own_postgres
    day = datetime(2024, 1, 2, tzinfo=UTC)
    sid = await create_strategy(resources, points=[(day, 100.0, 0.0)])
    query = f'{{ strategy(id: "{sid}") {{ latest {{ value }} }} }}'
    # A query not answered before: it must execute, and executing needs PostgreSQL.
    uncached = f'{{ strategy(id: "{sid}") {{ name latest {{ value }} }} }}'
    async for client, gql in serve(resources):
        assert (await gql(query))["strategy"]["latest"]["value"] == 100.0
        assert (await client.get("/readyz")).json()["status"] == "ready"

        own.stop()
        # The response stored before the outage is still current (nothing can be written
        # while PostgreSQL is down, and Redis holds its versions): it is served as it was.
        repeated = await client.post("/graphql", json={"query": query, "variables": {}})
        assert repeated.headers["x-cache"] == "hit"
        assert repeated.json()["data"]["strategy"]["latest"]["value"] == 100.0
        started = time.monotonic()
        result = await gql.raw(uncached)
        elapsed = time.monotonic() - started
        [error] = result["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "PostgreSQL at" in error["message"]
        assert "cannot be reached" in error["message"]
        assert "secret" not in error["message"]
        # Fails fast: a refused connection is reported, not waited on.
        assert elapsed < resources.settings.db_connect_timeout_s

        ready = await client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert ready.json()["status"] == "unavailable"
        assert checks["postgres"]["ok"] is False
        assert "cannot be reached" in checks["postgres"]["detail"]
        assert checks["redis"]["ok"] is True
        assert (await client.get("/healthz")).status_code == 200

        own.restart()
        assert (await gql(uncached))["strategy"]["latest"]["value"] == 100.0
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.json()
    assert checked_out(resources) == 0


@pytest.fixture
async def own_redis(resources: Resources) -> AsyncIterator[tuple[OwnRedis, Resources]]:
    """The session's database (migrated, with the demo data) and a Redis of our own."""
    own = OwnRedis.start()
    database_url = resources.settings.database_url
    resources = await open_resources(
        load_settings(environment=Environment.TEST, database_url=database_url, redis_url=own.url)
    )
    try:
        yield own, resources
    finally:
        await resources.close()
        own.close()


async def test_redis_stopped_then_started(own_redis: tuple[OwnRedis, Resources]) -> None:
    own, resources = own_redis
    query = '{ strategy(slug: "stock-ko") { name latest { value } } benchmarks { symbol } }'
    async for client, gql in serve(resources):
        before = await gql(query)
        assert (await client.get("/readyz")).json()["status"] == "ready"

        own.stop()
        assert await gql(query) == before
        ready = await client.get("/readyz")
        assert ready.status_code == 200  # Redis is not critical: PostgreSQL still serves reads
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"]["ok"] is False
        assert ready.json()["checks"]["postgres"]["ok"] is True

        own.restart()
        assert await gql(query) == before
        ready = await client.get("/readyz")
        assert ready.json()["status"] == "ready", ready.json()
        assert await resources.redis.ping()
