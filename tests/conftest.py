"""Session fixtures: real servers, a migrated database with the demo data, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from schema.app import create_app, prepare_database
from services.config import Environment, Settings, load_settings
from services.resources import Resources, open_resources
from tests.servers import TestServers, start_test_servers


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[TestServers]:
    started = start_test_servers()
    await started.create_database()
    try:
        yield started
    finally:
        await started.drop_database()
        started.close()


@pytest.fixture(scope="session")
def settings(servers: TestServers) -> Settings:
    return load_settings(
        environment=Environment.TEST,
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        # Patient cache calls: on a loaded machine a Redis reply can wait past the default
        # 0.25 s for a busy event loop, and the request (correctly) falls back to PostgreSQL,
        # which would change the statement counts the tests assert. Tests of timeouts and
        # outages set their own.
        cache_timeout_s=2.0,
    )


@pytest.fixture(scope="session")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    await opened.redis.flushdb()
    await prepare_database(opened)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def app(resources: Resources) -> Starlette:
    return create_app(resources=resources)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        yield c


class GraphQLClient:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def with_key(self, key: str) -> GraphQLClient:
        """The same client, authenticating with an API key."""
        return GraphQLClient(self.client, {**self.headers, "X-API-Key": key})

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        result = await self.raw(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql(resources: Resources) -> Iterator[StatementCounter]:
    """Counts the SQL statements the engine executes while the test runs."""
    counter = StatementCounter()
    engine = resources.engine.sync_engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", record)
