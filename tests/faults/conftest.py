"""Fixtures for fault tests: the fault schema's app, and an admin connection to the
session's database for pg_stat_activity and pg_terminate_backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from schema.app import create_app
from services.resources import Resources
from tests.conftest import GraphQLClient
from tests.faults.app import fault_schema
from tests.servers import TestServers, _asyncpg_dsn


@pytest.fixture(scope="session")
def fault_app(resources: Resources) -> Starlette:
    return create_app(resources=resources, schema=fault_schema)


@pytest.fixture
async def fault_gql(fault_app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=fault_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        yield GraphQLClient(c)


@pytest.fixture
async def admin(servers: TestServers) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_asyncpg_dsn(servers.database_url, servers.database))
    try:
        yield conn
    finally:
        await conn.close()
