"""A PostgreSQL connection lost mid-request, and the statement and request timeouts: each
fails its own request with a clear error, the next request succeeds, nothing leaks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from schema.app import create_app
from services.config import load_settings
from services.resources import Resources, open_resources
from tests.conftest import GraphQLClient
from tests.faults.app import fault_schema
from tests.faults.servers import checked_out

LATEST = '{ strategy(slug: "stock-aapl") { latest { value } } }'


async def wait_for_sleeper(admin: asyncpg.Connection) -> int:
    """The pid of the backend running our pg_sleep, once it runs."""
    for _ in range(200):
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'perfgraph' AND query LIKE '%pg_sleep%' AND state = 'active'"
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.05)
    raise AssertionError("the slow query never started")


async def test_backend_terminated_mid_request_fails_that_request_cleanly(
    fault_gql: GraphQLClient, gql: GraphQLClient, admin: asyncpg.Connection, resources: Resources
) -> None:
    await gql(LATEST)  # leaves idle connections in the pool, to be killed with the busy one
    request = asyncio.create_task(fault_gql.raw("{ sleep(seconds: 30) }"))
    await wait_for_sleeper(admin)
    killed = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = 'perfgraph'"
    )
    assert killed >= 1

    result = await asyncio.wait_for(request, 10)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["message"] == "the PostgreSQL connection was lost; retry the request"
    assert error["extensions"]["requestId"]

    # The pool noticed: the killed idle connections are replaced (pre-ping), not handed out.
    for _ in range(3):
        assert (await gql(LATEST))["strategy"]["latest"]["value"] > 0
    assert checked_out(resources) == 0


@pytest.fixture
async def impatient(resources: Resources) -> AsyncIterator[Resources]:
    """Own connections to the session database, with a 300 ms statement timeout."""
    settings = load_settings(
        environment="test",
        database_url=resources.settings.database_url,
        redis_url=resources.settings.redis_url,
        db_statement_timeout_ms=300,
    )
    opened = await open_resources(settings)
    try:
        yield opened
    finally:
        await opened.close()


async def test_statement_timeout_gives_a_timeout_error(impatient: Resources) -> None:
    app = create_app(resources=impatient, schema=fault_schema)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://perfgraph.test"
    ) as client:
        gql = GraphQLClient(client)
        result = await gql.raw("{ sleep(seconds: 5) }")
        [error] = result["errors"]
        assert error["extensions"]["code"] == "TIMEOUT"
        assert "statement timeout" in error["message"]
        assert (await gql("{ sleep(seconds: 0.01) }")) == {"sleep": 0.01}
    assert checked_out(impatient) == 0


async def test_request_timeout_answers_503_and_frees_the_connection(
    resources: Resources, admin: asyncpg.Connection
) -> None:
    settings = resources.settings.model_copy(update={"request_timeout_s": 0.3})
    app = create_app(settings, resources=resources, schema=fault_schema)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://perfgraph.test"
    ) as client:
        response = await client.post("/graphql", json={"query": "{ sleep(seconds: 5) }"})
        assert response.status_code == 503
        [error] = response.json()["errors"]
        assert error["extensions"] == {
            "code": "TIMEOUT",
            "requestId": response.headers["x-request-id"],
        }
        assert "time limit (0.3s)" in error["message"]
        fast = await client.post("/graphql", json={"query": LATEST})
        assert fast.status_code == 200
        assert "errors" not in fast.json()
    assert checked_out(resources) == 0
    # Cancelling the request cancelled its statement on the server too (asyncpg sends a
    # cancel request; it lands asynchronously, hence the wait).
    assert await eventually_no_sleeper(admin)


async def eventually_no_sleeper(admin: asyncpg.Connection) -> bool:
    for _ in range(100):
        sleeping = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(%'"
            " AND state = 'active' AND pid <> $1",
            admin.get_server_pid(),
        )
        if sleeping == 0:
            return True
        await asyncio.sleep(0.05)
    return False
