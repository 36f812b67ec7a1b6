"""Partners see their own strategies and granted ones, by every path; nothing else leaks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from services import api_keys
from services.db.models import ApiKey
from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key, create_strategy

POINTS = [(datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=i), 100.0 + i, 0.0) for i in range(30)]


@dataclass
class Partner:
    account: str
    slug: str
    id: str
    gql: GraphQLClient


async def make_partner(resources: Resources, gql: GraphQLClient, *scopes: str) -> Partner:
    account = await create_account(resources)
    slug = f"{account}-fund"
    strategy_id = await create_strategy(resources, points=POINTS, slug=slug, account=account)
    key = await create_key(resources, account=account, scopes=scopes or ("read",))
    return Partner(account, slug, str(strategy_id), gql.with_key(key))


@pytest.fixture
async def a(resources: Resources, gql: GraphQLClient) -> Partner:
    return await make_partner(resources, gql)


@pytest.fixture
async def b(resources: Resources, gql: GraphQLClient) -> Partner:
    return await make_partner(resources, gql)


async def test_a_partner_reads_its_own_strategy(a: Partner) -> None:
    data = await a.gql(
        "query($id: ID!) { strategy(id: $id) { slug latest { value } } }", {"id": a.id}
    )
    assert data["strategy"] == {"slug": a.slug, "latest": {"value": 129.0}}


async def test_root_field_by_id_and_slug_hides_another_partners_strategy(
    a: Partner, b: Partner
) -> None:
    result = await a.gql.raw(
        "query($id: ID!, $slug: String!) { byId: strategy(id: $id) { id name }"
        " bySlug: strategy(slug: $slug) { id name } }",
        {"id": b.id, "slug": b.slug},
    )
    assert result == {"data": {"byId": None, "bySlug": None}}


async def test_an_alias_does_not_change_the_answer(a: Partner, b: Partner) -> None:
    query = "query($id: ID!) { mine: strategy(id: $id) { id } theirs: strategy(id: $other) { id } }"
    query = query.replace("query($id: ID!)", "query($id: ID!, $other: ID!)")
    data = await a.gql(query, {"id": a.id, "other": b.id})
    assert data == {"mine": {"id": a.id}, "theirs": None}


async def test_listings_and_their_nested_fields_show_only_visible_strategies(
    a: Partner, b: Partner
) -> None:
    data = await a.gql(
        "query($slugs: [String!]) { strategies(first: 100, filter: {slugs: $slugs}) {"
        " nodes { slug latest { value } performance { count } } } }",
        {"slugs": [a.slug, b.slug]},
    )
    assert data["strategies"]["nodes"] == [
        {"slug": a.slug, "latest": {"value": 129.0}, "performance": {"count": 30}}
    ]
    everything = await a.gql("{ strategies(first: 100) { nodes { slug } } }")
    assert [n["slug"] for n in everything["strategies"]["nodes"]] == [a.slug]


async def test_a_grant_opens_exactly_one_strategy_and_withdrawing_it_closes_it(
    resources: Resources, a: Partner, b: Partner
) -> None:
    query = "query($id: ID!) { strategy(id: $id) { slug performance { count } } }"
    await api_keys.grant_strategy(resources, account=a.account, strategy=b.slug)
    granted = await a.gql(query, {"id": b.id})
    assert granted["strategy"] == {"slug": b.slug, "performance": {"count": 30}}
    listed = await a.gql("{ strategies(first: 100) { nodes { slug } } }")
    assert sorted(n["slug"] for n in listed["strategies"]["nodes"]) == sorted([a.slug, b.slug])
    reverse = await b.gql(query, {"id": a.id})
    assert reverse["strategy"] is None  # grants are one way

    await api_keys.withdraw_grant(resources, account=a.account, strategy=b.slug)
    assert (await a.gql(query, {"id": b.id}))["strategy"] is None


async def test_anonymous_reads_everything_outside_production(
    gql: GraphQLClient, a: Partner, b: Partner
) -> None:
    data = await gql(
        "query($a: ID!, $b: ID!) { x: strategy(id: $a) { id } y: strategy(id: $b) { id } }",
        {"a": a.id, "b": b.id},
    )
    assert data == {"x": {"id": a.id}, "y": {"id": b.id}}


async def test_an_admin_key_reads_every_account(
    resources: Resources, gql: GraphQLClient, b: Partner
) -> None:
    account = await create_account(resources)
    admin = gql.with_key(await create_key(resources, account=account, scopes=["admin"]))
    data = await admin("query($id: ID!) { strategy(id: $id) { slug } }", {"id": b.id})
    assert data["strategy"] == {"slug": b.slug}


async def test_a_key_without_the_read_scope_reads_nothing(
    resources: Resources, gql: GraphQLClient
) -> None:
    writer = await make_partner(resources, gql, "write:performance")
    data = await writer.gql("query($id: ID!) { strategy(id: $id) { id } }", {"id": writer.id})
    assert data == {"strategy": None}
    listed = await writer.gql("{ strategies(first: 10) { nodes { id } } }")
    assert listed["strategies"]["nodes"] == []


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-API-Key": "pgk_0000"}, "malformed API key"),
        ({"X-API-Key": "pgk_00000000_" + "x" * 43}, "unknown API key 00000000"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "must read 'Bearer <token or API key>'"),
        ({"Authorization": "Bearer not-a-jwt"}, "no JWT key is configured"),
    ],
)
async def test_bad_credentials_are_refused_before_any_query_runs(
    gql: GraphQLClient, sql: StatementCounter, headers: dict[str, str], message: str
) -> None:
    sql.reset()
    response = await gql.client.post(
        "/graphql", json={"query": "{ strategies { nodes { id } } }"}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert message in error["message"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()
    assert not any("strategies" in s for s in sql.statements)


async def test_expired_and_revoked_keys_are_refused(
    resources: Resources, gql: GraphQLClient
) -> None:
    account = await create_account(resources)
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = await create_key(resources, account=account, expires_at=past)
    live = await create_key(resources, account=account)
    query = "{ strategies { nodes { id } } }"

    async def post(key: str) -> httpx.Response:
        return await gql.client.post("/graphql", json={"query": query}, headers={"X-API-Key": key})

    result = await post(expired)
    assert result.status_code == 401
    assert "expired at" in result.json()["errors"][0]["message"]

    assert (await gql.with_key(live).raw(query))["data"] == {"strategies": {"nodes": []}}
    await api_keys.revoke_api_key(resources, prefix=api_keys.key_prefix(live) or "")
    result = await post(live)
    assert result.status_code == 401
    assert result.json()["errors"][0]["message"].endswith("has been revoked")


async def test_keys_are_stored_hashed(resources: Resources) -> None:
    account = await create_account(resources)
    key = await create_key(resources, account=account)
    async with resources.sessions() as session:
        [record] = await api_keys.list_api_keys(session, account=account)
        query = select(ApiKey.key_hash).where(ApiKey.prefix == record.prefix)
        key_hash = (await session.execute(query)).scalar_one()
    assert key.startswith(f"pgk_{record.prefix}_")
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert record.scopes == ("read",)
    assert record.status() == "active"


RECORD = """
mutation($id: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $id, points: $points) {
    __typename ... on NotFoundError { message } ... on PerformanceRecorded { inserted }
  }
}
"""
PRICES = """
mutation { recordBenchmarkPrices(symbol: "SPX", prices: [{timestamp: "2001-01-01T00:00:00Z",
  level: 1.0}]) { __typename } }
"""
POINT = [{"timestamp": "2021-03-01T00:00:00Z", "nav": 130.0}]


async def test_writes_need_the_scope_and_ownership(
    resources: Resources, gql: GraphQLClient, b: Partner
) -> None:
    writer = await make_partner(resources, gql, "read", "write:performance")
    own = await writer.gql(RECORD, {"id": writer.id, "points": POINT})
    assert own == {"recordPerformance": {"__typename": "PerformanceRecorded", "inserted": 1}}

    hidden = await writer.gql(RECORD, {"id": b.id, "points": POINT})
    assert hidden["recordPerformance"] == {
        "__typename": "NotFoundError",
        "message": f"strategy {b.id} does not exist",
    }
    await api_keys.grant_strategy(resources, account=writer.account, strategy=b.slug)
    granted = await writer.gql.raw(RECORD, {"id": b.id, "points": POINT})
    assert granted["errors"][0]["message"] == f"no write access to strategy {b.id}"
    assert granted["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    for reader in (b.gql, gql):  # a read-only key; development's anonymous
        refused = await reader.raw(RECORD, {"id": b.id, "points": POINT})
        assert (
            refused["errors"][0]["message"] == "this operation needs the 'write:performance' scope"
        )
        prices = await reader.raw(PRICES)
        assert prices["errors"][0]["message"] == "this operation needs the 'write:benchmarks' scope"
    latest = await b.gql("query($id: ID!) { strategy(id: $id) { latest { value } } }", {"id": b.id})
    assert latest["strategy"]["latest"] == {"value": 129.0}  # nothing was written to B


async def test_compare_treats_another_partners_strategy_as_unknown(a: Partner, b: Partner) -> None:
    data = await a.gql(
        'query($ids: [ID!]!) { compare(strategyIds: $ids, benchmark: {symbol: "SPX"}) {'
        " __typename ... on ComparedStrategy { strategy { id slug } }"
        " ... on StrategyUnavailable { id message } } }",
        {"ids": [a.id, b.id, "987654"]},
    )
    unavailable = "no strategy with this id is visible to you"
    assert data["compare"] == [
        {"__typename": "ComparedStrategy", "strategy": {"id": a.id, "slug": a.slug}},
        {"__typename": "StrategyUnavailable", "id": b.id, "message": unavailable},
        {"__typename": "StrategyUnavailable", "id": "987654", "message": unavailable},
    ]
