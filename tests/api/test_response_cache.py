"""The whole-response cache against authentication, authorization and rate limits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from services import api_keys
from services.api_keys import key_prefix
from services.resources import Resources
from tests.factories import create_account, create_key, create_strategy

LISTING = "query($s: String!) { strategies(first: 50, filter: {search: $s}) { nodes { slug } } }"


@dataclass
class Partner:
    account: str
    key: str
    slug: str


async def partner(resources: Resources, prefix: str, **key: Any) -> Partner:
    """An account owning one strategy, with a read key."""
    account = await create_account(resources)
    slug = f"{prefix}{account}"
    await create_strategy(resources, slug=slug, account=account)
    return Partner(account, await create_key(resources, account=account, **key), slug)


async def ask(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], key: str | None = None
) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def slugs(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(n["slug"] for n in response.json()["data"]["strategies"]["nodes"])


async def test_each_access_scope_has_its_own_responses(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    prefix = f"scoped-{uuid.uuid4().hex[:6]}-"
    a, b = await partner(resources, prefix), await partner(resources, prefix)
    variables = {"s": prefix}
    everyone = await ask(client, LISTING, variables)
    assert slugs(everyone) == sorted([a.slug, b.slug])  # anonymous reads all (development)
    assert (await ask(client, LISTING, variables)).headers["x-cache"] == "hit"
    first = await ask(client, LISTING, variables, a.key)
    assert first.headers["x-cache"] == "miss"
    assert slugs(first) == [a.slug]
    again = await ask(client, LISTING, variables, a.key)
    assert (again.headers["x-cache"], slugs(again)) == ("hit", [a.slug])
    assert slugs(await ask(client, LISTING, variables, b.key)) == [b.slug]


async def test_a_grant_or_its_withdrawal_shows_at_once(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    prefix = f"granted-{uuid.uuid4().hex[:6]}-"
    a, b = await partner(resources, prefix), await partner(resources, prefix)
    variables = {"s": prefix}
    assert slugs(await ask(client, LISTING, variables, a.key)) == [a.slug]
    await api_keys.grant_strategy(resources, account=a.account, strategy=b.slug)
    granted = await ask(client, LISTING, variables, a.key)
    assert slugs(granted) == sorted([a.slug, b.slug])
    assert (await ask(client, LISTING, variables, a.key)).headers["x-cache"] == "hit"
    await api_keys.withdraw_grant(resources, account=a.account, strategy=b.slug)
    assert slugs(await ask(client, LISTING, variables, a.key)) == [a.slug]


async def test_hits_spend_the_rate_limit_like_executions(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    a = await partner(resources, "limited-", rate_limit_per_minute=3)
    query, variables = "query($s: String!) { strategy(slug: $s) { slug } }", {"s": a.slug}
    seen = [await ask(client, query, variables, a.key) for _ in range(4)]
    assert [r.headers.get("x-cache") for r in seen[:3]] == ["miss", "hit", "hit"]
    assert seen[3].status_code == 429
    assert seen[3].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_revoked_key_gets_nothing_from_the_cache(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    a = await partner(resources, "revoked-")
    variables = {"s": a.slug}
    assert slugs(await ask(client, LISTING, variables, a.key)) == [a.slug]
    assert (await ask(client, LISTING, variables, a.key)).headers["x-cache"] == "hit"
    await api_keys.revoke_api_key(resources, prefix=key_prefix(a.key) or "")
    refused = await ask(client, LISTING, variables, a.key)
    assert refused.status_code == 401
    assert "x-cache" not in refused.headers


async def test_errors_mutations_and_bare_hashes_are_never_stored(
    client: httpx.AsyncClient,
) -> None:
    bad = '{ strategy(id: "abc") { id } }'
    for _ in range(2):
        response = await ask(client, bad, {})
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert response.headers["x-cache"] == "miss"
    mutation = 'mutation { recordBenchmarkPrices(symbol: "SPX", prices: []) { __typename } }'
    assert "x-cache" not in (await ask(client, mutation, {})).headers
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    by_hash = await client.post("/graphql", json={"extensions": persisted})
    assert "x-cache" not in by_hash.headers


async def test_no_cache_computes_now_and_refreshes_the_entry(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    a = await partner(resources, "fresh-")
    variables = {"s": a.slug}
    await ask(client, LISTING, variables)
    fresh = await client.post(
        "/graphql",
        json={"query": LISTING, "variables": variables},
        headers={"Cache-Control": "no-cache"},
    )
    assert fresh.headers["x-cache"] == "miss"
    assert (await ask(client, LISTING, variables)).headers["x-cache"] == "hit"
