"""Query limits and production rules: each refusal is exact, returns no data and runs no SQL."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from schema.app import create_app
from services.config import Environment
from services.embedded import EmbeddedServers
from services.resources import Resources, create_engine
from tests import servers as test_servers
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key

NESTED_11 = (
    "{ strategies { edges { node { benchmark { series { columns"
    " { a { b { c { d { e } } } } } } } } } } }"
)
CYCLE = (
    'query { strategy(slug: "stock-aapl") { ...A } }'
    " fragment A on Strategy { name ...B } fragment B on Strategy { slug ...A }"
)
ALIASES_16 = (
    "{ " + " ".join(f'a{i}: strategy(slug: "stock-aapl") {{ id }}' for i in range(16)) + " }"
)
TOKENS_2001 = '{ strategy(slug: "stock-aapl") { ' + "id " * 1991 + "} }"
DUPLICATES_500 = '{ strategy(slug: "stock-aapl") { ' + "id " * 500 + "} }"
COSTLY = (
    "{ strategies(first: 100) { nodes { performance(interval: DAY)"
    " { points { timestamp nav return } } } } }"
)


async def refused(gql: GraphQLClient, sql: StatementCounter, query: str) -> dict[str, Any]:
    """The first error of a query that must not run: no data, no SQL."""
    sql.reset()
    result = await gql.raw(query)
    assert result.get("data") is None, result
    assert sql.statements == []
    error: dict[str, Any] = result["errors"][0]
    return error


@pytest.mark.parametrize(
    ("query", "message", "code"),
    [
        (
            NESTED_11,
            "Query depth 11 exceeds the limit of 10 nested fields.",
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (ALIASES_16, "16 aliases exceed the limit of 15.", "ALIAS_LIMIT_EXCEEDED"),
        (
            DUPLICATES_500,
            "Field 'id' is selected 500 times in one selection set; the limit is 20.",
            "DUPLICATE_FIELD_LIMIT_EXCEEDED",
        ),
    ],
)
async def test_static_limits(
    gql: GraphQLClient, sql: StatementCounter, query: str, message: str, code: str
) -> None:
    error = await refused(gql, sql, query)
    assert error["message"] == message
    assert error["extensions"] == {"code": code}


async def test_cost_counts_list_sizes_and_series_lengths(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    error = await refused(gql, sql, COSTLY)
    # strategies + 100 nodes x (node + performance + 40 years of days x (point + 3 fields))
    assert error["extensions"] == {
        "code": "COST_LIMIT_EXCEEDED",
        "cost": 1 + 100 * (1 + 1 + 14_641 * (1 + 3)),
        "maxCost": 50_000,
    }
    assert str(error["message"]).startswith("Query cost 5,856,601 exceeds the limit of 50,000")
    # The same data as columns, for one year, is cheap enough to run.
    cheap = COSTLY.replace("interval: DAY", "window: {preset: ONE_YEAR}, interval: DAY")
    cheap = cheap.replace("points { timestamp nav return }", "columns { timestamps nav returns }")
    assert "errors" not in await gql.raw(cheap)


async def test_fragment_cycles(gql: GraphQLClient, sql: StatementCounter) -> None:
    error = await refused(gql, sql, CYCLE)
    assert error["message"] == "Cannot spread fragment 'A' within itself via 'B'."


async def test_a_fragment_bomb_is_refused_by_its_expanded_cost(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    fragments = " ".join(
        f"fragment F{i} on Strategy {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
    )
    query = f'{{ strategy(slug: "x") {{ ...F0 }} }} {fragments} fragment F30 on Strategy {{ id }}'
    error = await refused(gql, sql, query)
    assert error["message"] == (
        "Field 'id' is selected 1073741824 times in one selection set; the limit is 20."
    )


async def test_token_limit(gql: GraphQLClient, sql: StatementCounter) -> None:
    error = await refused(gql, sql, TOKENS_2001)
    assert error["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )
    within = await gql.raw(TOKENS_2001.replace("id " * 1991, "id " * 1990))
    assert "tokens" not in within["errors"][0]["message"]  # refused later, for duplicates


async def test_suggestions_in_development(gql: GraphQLClient) -> None:
    result = await gql.raw('{ strategy(slug: "stock-aapl") { nmae } }')
    assert result["errors"][0]["message"] == (
        "Cannot query field 'nmae' on type 'Strategy'. Did you mean 'name'?"
    )


@pytest.fixture(scope="module")
async def production(resources: Resources) -> AsyncIterator[GraphQLClient]:
    settings = resources.settings.model_copy(
        update={"environment": Environment.PRODUCTION, "auth_cache_ttl_s": 600}
    )
    app = create_app(resources=dataclasses.replace(resources, settings=settings))
    key = await create_key(resources, account=await create_account(resources), scopes=["admin"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as client:
        gql = GraphQLClient(client, {"X-API-Key": key})
        await gql("{ benchmarks { symbol } }")  # the key is now cached: no SQL to check it
        yield gql


async def test_production_refuses_introspection(
    production: GraphQLClient, sql: StatementCounter
) -> None:
    for field in ("__schema { types { name } }", '__type(name: "Strategy") { name }'):
        error = await refused(production, sql, f"{{ {field} }}")
        name = field.split()[0].split("(")[0]
        assert error["message"] == (
            "GraphQL introspection has been disabled, but the requested query contained the"
            f" field '{name}'."
        )


async def test_production_hides_field_suggestions(
    production: GraphQLClient, sql: StatementCounter
) -> None:
    error = await refused(production, sql, '{ strategy(slug: "stock-aapl") { nmae } }')
    assert error["message"] == "Cannot query field 'nmae' on type 'Strategy'."


async def test_production_serves_no_graphiql_and_requires_credentials(
    production: GraphQLClient,
) -> None:
    page = await production.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    anonymous = await production.client.post(
        "/graphql", json={"query": "{ benchmarks { symbol } }"}
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["message"].startswith("credentials required")


@pytest.fixture
async def empty_database(
    servers: test_servers.TestServers, resources: Resources
) -> AsyncIterator[Resources]:
    """Resources on a database with no tables: every statement fails in PostgreSQL."""
    name = f"perfgraph_empty_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(servers.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(servers.database_url).set(database=name).render_as_string(False)
    engine = create_engine(resources.settings, url)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        yield Resources(resources.settings, engine, sessions, resources.redis, EmbeddedServers())
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_database_errors_are_masked_with_a_request_id_that_is_logged(
    empty_database: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=create_app(resources=empty_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as client:
        with caplog.at_level(logging.ERROR, logger="perfgraph.errors"):
            response = await client.post(
                "/graphql", json={"query": '{ strategy(slug: "stock-aapl") { name } }'}
            )
    request_id = response.headers["X-Request-ID"]
    [error] = response.json()["errors"]
    assert error["message"] == f"Unexpected error (request id {request_id})."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert "strategies" not in response.text  # nothing of the SQL or the table leaks
    [record] = [r for r in caplog.records if r.name == "perfgraph.errors"]
    assert request_id in record.getMessage()
    assert record.exc_info is not None
    assert 'relation "strategies" does not exist' in str(record.exc_info[1])
