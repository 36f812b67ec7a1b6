"""Automatic persisted queries (Apollo's protocol) and the partners' allow-list."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from schema.app import create_app
from services import keys
from services.persisted_queries import register_document
from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key


def unique_query() -> str:
    """A document no other test has stored (the APQ store is shared)."""
    return f'query Q{uuid.uuid4().hex} {{ benchmark(symbol: "SPX") {{ symbol }} }}'


def persisted(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def post(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> Any:
    response = await client.post("/graphql", json=body, headers=headers)
    return response.json()


async def test_the_apollo_round_trip(
    client: httpx.AsyncClient, resources: Resources, sql: StatementCounter
) -> None:
    query = unique_query()
    sql.reset()
    missing = await post(client, {"extensions": persisted(sha(query))})
    assert missing == {
        "data": None,
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    assert len(sql) == 1  # the allow-list lookup; nothing ran
    full = await post(client, {"query": query, "extensions": persisted(sha(query))})
    assert full == {"data": {"benchmark": {"symbol": "SPX"}}}
    assert await resources.redis.ttl(keys.persisted_query_key(sha(query))) > 6 * 24 * 3600
    by_hash = await post(client, {"extensions": persisted(sha(query))})
    assert by_hash == full


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}, "persistedQuery must be"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "XYZ"}}, "64 lowercase hex digits"),
        (persisted("0" * 64), "provided sha does not match query"),
    ],
)
async def test_malformed_or_mismatched_hashes(
    client: httpx.AsyncClient, extensions: dict[str, Any], message: str
) -> None:
    result = await post(client, {"query": unique_query(), "extensions": extensions})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]


@pytest.fixture(scope="module")
async def allowlisted(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    settings = resources.settings.model_copy(update={"partner_allowlist": True})
    app = create_app(resources=dataclasses.replace(resources, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as client:
        yield client


async def test_partners_run_only_registered_documents(
    allowlisted: httpx.AsyncClient, resources: Resources
) -> None:
    registered, other = unique_query(), unique_query()
    async with resources.sessions.begin() as session:
        assert await register_document(session, document=registered, name="spx") == sha(registered)
    partner = GraphQLClient(allowlisted).with_key(
        await create_key(resources, account=await create_account(resources))
    )
    expected = {"data": {"benchmark": {"symbol": "SPX"}}}
    key = partner.headers
    assert await post(allowlisted, {"extensions": persisted(sha(registered))}, **key) == expected
    assert await post(allowlisted, {"query": registered}, **key) == expected

    not_allowed = "this API key may only run registered documents, and this one is not registered"
    for body in (
        {"query": other},
        {"query": other, "extensions": persisted(sha(other))},
        {"extensions": persisted(sha(other))},
    ):
        result = await post(allowlisted, body, **key)
        assert result == {
            "data": None,
            "errors": [
                {"message": not_allowed, "extensions": {"code": "PERSISTED_QUERY_NOT_ALLOWED"}}
            ],
        }
    assert not await resources.redis.exists(keys.persisted_query_key(sha(other)))
    # First-party (here: development's anonymous) clients are not held to the list.
    assert await post(allowlisted, {"query": other}) == expected
