"""Per-principal rate limits over HTTP: 429, Retry-After and a RATE_LIMITED error."""

from __future__ import annotations

from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key

CHEAP = "{ benchmarks { symbol } }"
# 20 benchmarks x (benchmark + series + columns + 14,641 daily levels / 100) = 3,000: 3 units
COSTLY = "{ benchmarks { series { columns { level } } } }"


async def test_over_the_limit_is_refused_with_retry_after(
    resources: Resources, gql: GraphQLClient, sql: StatementCounter
) -> None:
    account = await create_account(resources)
    key = await create_key(resources, account=account, rate_limit_per_minute=3)
    partner = gql.with_key(key)
    for _ in range(3):
        assert "errors" not in await partner.raw(CHEAP)
    sql.reset()
    response = await gql.client.post("/graphql", json={"query": CHEAP}, headers=partner.headers)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 20  # one unit comes back every 20 s
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert error["message"].startswith("Rate limit exceeded for ")
    assert response.json().get("data") is None
    assert sql.statements == []

    other = gql.with_key(await create_key(resources, account=account, rate_limit_per_minute=3))
    assert "errors" not in await other.raw(CHEAP)  # budgets are per key


async def test_costly_queries_spend_the_budget_faster(
    resources: Resources, gql: GraphQLClient
) -> None:
    account = await create_account(resources)
    partner = gql.with_key(await create_key(resources, account=account, rate_limit_per_minute=8))
    assert "errors" not in await partner.raw(COSTLY)  # 3 units of 8
    assert "errors" not in await partner.raw(COSTLY)  # 6 of 8
    response = await gql.client.post("/graphql", json={"query": COSTLY}, headers=partner.headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "errors" not in await partner.raw(CHEAP)  # 7 of 8: a cheap query still fits
