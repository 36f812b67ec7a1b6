"""Strategies over GraphQL: lookups, pagination, series, argument errors, batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_strategy


async def test_demo_strategies_are_served(gql: GraphQLClient) -> None:
    data = await gql(
        '{ strategies(first: 50, filter: {search: "factor"}) { nodes { slug name } } }'
    )
    slugs = {n["slug"] for n in data["strategies"]["nodes"]}
    assert {"us-momentum-mtum", "us-value-vlue", "us-min-vol-usmv"} <= slugs


async def test_unknown_id_and_slug_give_null(gql: GraphQLClient) -> None:
    data = await gql('{ a: strategy(id: "987654") { id } b: strategy(slug: "nope") { id } }')
    assert data == {"a": None, "b": None}


async def test_lookup_by_slug_and_id_agree(gql: GraphQLClient) -> None:
    by_slug = await gql('{ strategy(slug: "stock-aapl") { id name benchmark { symbol } } }')
    sid = by_slug["strategy"]["id"]
    by_id = await gql("query($id: ID!) { strategy(id: $id) { id name } }", {"id": sid})
    assert by_id["strategy"]["name"] == by_slug["strategy"]["name"]
    assert by_slug["strategy"]["benchmark"] == {"symbol": "SPX"}


async def test_pagination_is_stable_and_complete(gql: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (
            await gql(
                "query($after: String) { strategies(first: 4, after: $after) {"
                " edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                {"after": after},
            )
        )["strategies"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    first_page = await gql("{ strategies(first: 100) { nodes { id } } }")
    first_ids = [n["id"] for n in first_page["strategies"]["nodes"]]
    assert seen[: len(first_ids)] == first_ids  # other tests may have added more
    assert len(seen) == len(set(seen)) >= 10


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ strategies(first: 101) { nodes { id } } }", "first must be between 1 and 100"),
        ("{ strategies(first: 0) { nodes { id } } }", "first must be between 1 and 100"),
        ('{ strategies(after: "bm90LWEtY3Vyc29y") { nodes { id } } }', "malformed cursor"),
        ('{ strategies(after: "%%%") { nodes { id } } }', "malformed cursor"),
        ('{ strategy(id: "abc") { id } }', "strategy id must be an integer"),
        ('{ strategy(id: "1", slug: "x") { id } }', "give exactly one of id or slug"),
        (
            '{ strategy(slug: "stock-aapl") { performance(window: {from: "2020-02-01T00:00:00Z",'
            ' to: "2020-01-01T00:00:00Z"}) { count } } }',
            "is after to",
        ),
        (
            '{ strategy(slug: "stock-aapl") { performance(window: {preset: YTD,'
            ' from: "2020-02-01T00:00:00Z"}) { count } } }',
            "either a window preset or from/to",
        ),
    ],
)
async def test_bad_arguments_give_clear_errors(
    gql: GraphQLClient, query: str, message: str
) -> None:
    result = await gql.raw(query)
    [error] = result["errors"]
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_preset_is_a_validation_error(gql: GraphQLClient) -> None:
    result = await gql.raw(
        '{ strategy(slug: "stock-aapl") { performance(window: {preset: TWO_YEARS}) { count } } }'
    )
    assert "TWO_YEARS" in result["errors"][0]["message"]
    assert result.get("data") is None


async def test_points_and_columns_agree(gql: GraphQLClient) -> None:
    data = await gql(
        '{ strategy(slug: "us-quality-qual") { performance(window: {preset: THREE_YEARS},'
        " interval: WEEK) { count points { timestamp nav return cumulativeReturn drawdown }"
        " columns { timestamps nav returns cumulativeReturn drawdown } } } }"
    )
    perf = data["strategy"]["performance"]
    points, columns = perf["points"], perf["columns"]
    assert perf["count"] == len(points) == len(columns["nav"]) > 150
    assert [p["nav"] for p in points] == columns["nav"]
    assert [p["return"] for p in points] == columns["returns"]
    assert [p["drawdown"] for p in points] == columns["drawdown"]
    stamps = [datetime.fromisoformat(t) for t in columns["timestamps"]]
    assert stamps == [datetime.fromisoformat(p["timestamp"]) for p in points]
    assert min(columns["drawdown"]) < -0.1  # 2020 and 2022 were real drawdowns


async def test_fifty_strategies_cost_a_fixed_number_of_statements(
    resources: Resources, gql: GraphQLClient, sql: StatementCounter
) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    points = [(start + timedelta(days=i), 100.0 + i, 0.0) for i in range(400)]
    for i in range(50):
        await create_strategy(resources, points=points, slug=f"batch-{i:02d}")
    query = (
        'query($n: Int!) { strategies(first: $n, filter: {search: "batch-"}) { nodes { id'
        " latest { value } benchmark { symbol }"
        " performance(window: {preset: ONE_YEAR}, interval: DAY) { columns { nav } } } } }"
    )

    async def run(n: int) -> tuple[int, Any]:
        sql.reset()
        data = await gql(query, {"n": n})
        return len(sql), data

    few, _ = await run(5)
    many, many_data = await run(50)
    assert len(many_data["strategies"]["nodes"]) == 50
    assert all(
        len(n["performance"]["columns"]["nav"]) == 366 for n in many_data["strategies"]["nodes"]
    )
    assert few == many <= 3
