"""Benchmark freshness, warnings and registration through the GraphQL API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.feeds.files import import_levels
from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_benchmark, create_key

FRESHNESS = """
query($s: String!) {
  benchmark(symbol: $s) {
    freshness { asOf receivedAt latencySeconds isStale expectedNextAt staleAfterSeconds
                calendar cadence }
  }
}
"""


async def freshness(gql: GraphQLClient, symbol: str) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(FRESHNESS, {"s": symbol}))["benchmark"]["freshness"]
    return result


async def test_demo_history_is_stale_and_says_when_the_next_level_was_due(
    gql: GraphQLClient,
) -> None:
    spx = await freshness(gql, "SPX")
    assert spx["asOf"] == "2022-12-28T00:00:00+00:00"
    assert spx["expectedNextAt"] == "2022-12-29T21:00:00+00:00"  # Thursday's close, EST
    assert (spx["isStale"], spx["calendar"], spx["cadence"]) == (True, "XNYS", "DAILY")
    assert spx["receivedAt"] is not None
    blend = await freshness(gql, "BLEND_60_40")  # as fresh as its stalest component
    ust = await freshness(gql, "UST10Y_TR")
    assert (blend["asOf"], blend["isStale"]) == (ust["asOf"], True)


async def test_recent_levels_are_fresh_and_old_ones_stale(
    resources: Resources, gql: GraphQLClient
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    current = await create_benchmark(
        resources, levels=[(now - timedelta(minutes=1), 100.0)], stale_after_s=26 * 3600
    )
    old = await create_benchmark(
        resources, levels=[(now - timedelta(days=30), 100.0)], stale_after_s=60
    )
    fresh = await freshness(gql, current.symbol)
    stale = await freshness(gql, old.symbol)
    assert fresh["isStale"] is False
    assert datetime.fromisoformat(fresh["expectedNextAt"]) > now - timedelta(minutes=1)
    assert stale["isStale"] is True
    assert stale["latencySeconds"] >= 30 * 86400 - 60  # loaded just now, observed a month ago


async def test_a_benchmark_without_levels_is_stale(
    resources: Resources, gql: GraphQLClient
) -> None:
    empty = await create_benchmark(resources)
    result = await freshness(gql, empty.symbol)
    assert (result["asOf"], result["isStale"], result["expectedNextAt"]) == (None, True, None)


async def test_freshness_of_every_benchmark_costs_a_fixed_number_of_statements(
    resources: Resources, gql: GraphQLClient, sql: StatementCounter
) -> None:
    query = "{ benchmarks { symbol freshness { isStale asOf } } }"
    await gql(query)
    sql.reset()
    before = await gql(query)
    statements = len(sql)
    for _ in range(3):
        await create_benchmark(resources, levels=[(datetime(2024, 1, 2, tzinfo=UTC), 1.0)])
    sql.reset()
    after = await gql(query)
    assert len(after["benchmarks"]) == len(before["benchmarks"]) + 3
    assert len(sql) == statements
    assert statements <= 4  # the list, then one batch: benchmarks, components, newest levels


async def test_warnings_show_jumps_newest_first(
    resources: Resources, gql: GraphQLClient, tmp_path: Path
) -> None:
    benchmark = await create_benchmark(resources)
    path = tmp_path / "levels.csv"
    path.write_text("ts,level\n2024-01-02,100\n2024-01-03,150\n2024-01-04,100\n")
    await import_levels(resources, benchmark.symbol, str(path))
    query = """query($s: String!, $n: Int!) {
      benchmark(symbol: $s) { warnings(first: $n) { kind timestamp message source } } }"""
    data = await gql(query, {"s": benchmark.symbol, "n": 20})
    warnings = data["benchmark"]["warnings"]
    assert [(w["kind"], w["timestamp"]) for w in warnings] == [
        ("JUMP", "2024-01-04T00:00:00+00:00"),
        ("JUMP", "2024-01-03T00:00:00+00:00"),
    ]
    assert warnings[0]["source"].startswith("file:")
    one = await gql(query, {"s": benchmark.symbol, "n": 1})
    assert len(one["benchmark"]["warnings"]) == 1
    bad = await gql.raw(query, {"s": benchmark.symbol, "n": 0})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


CREATE = """
mutation($input: CreateBenchmarkInput!) {
  createBenchmark(input: $input) {
    __typename
    ... on BenchmarkCreated { benchmark { symbol kind returnBasis components { symbol weight }
                                          freshness { isStale cadence staleAfterSeconds } } }
    ... on ValidationError { message field }
  }
}
"""


@pytest.fixture
async def writer(gql: GraphQLClient, resources: Resources) -> GraphQLClient:
    """Registering benchmarks needs the write:benchmarks scope."""
    account = await create_account(resources)
    key = await create_key(resources, account=account, scopes=["read", "write:benchmarks"])
    return gql.with_key(key)


async def test_register_a_bond_index_the_pipeline_feeds(writer: GraphQLClient) -> None:
    gql = writer
    symbol = f"US_AGG_{uuid.uuid4().hex[:6].upper()}"
    data = {
        "symbol": symbol.lower(),
        "name": "Bloomberg US Aggregate Bond Index",
        "kind": "BOND_INDEX",
        "returnBasis": "TOTAL_RETURN",
        "cadence": "INTRADAY",
        "staleAfterSeconds": 900,
    }
    created = (await gql(CREATE, {"input": data}))["createBenchmark"]
    assert created["__typename"] == "BenchmarkCreated"
    assert created["benchmark"]["symbol"] == symbol
    assert created["benchmark"]["freshness"] == {
        "isStale": True,
        "cadence": "INTRADAY",
        "staleAfterSeconds": 900,
    }
    again = (await gql(CREATE, {"input": data}))["createBenchmark"]
    assert again == {
        "__typename": "ValidationError",
        "message": f"benchmark {symbol} already exists",
        "field": "input",
    }


async def test_register_a_blend_and_report_every_problem(writer: GraphQLClient) -> None:
    gql = writer
    symbol = f"BLEND_{uuid.uuid4().hex[:6].upper()}"
    blend = {
        "symbol": symbol,
        "name": "70/30",
        "kind": "BLEND",
        "returnBasis": "TOTAL_RETURN",
        "components": [{"symbol": "spx", "weight": 0.7}, {"symbol": "UST10Y_TR", "weight": 0.3}],
        "rebalance": "MONTHLY",
    }
    created = (await gql(CREATE, {"input": blend}))["createBenchmark"]
    assert created["benchmark"]["components"] == [
        {"symbol": "SPX", "weight": 0.7},
        {"symbol": "UST10Y_TR", "weight": 0.3},
    ]
    wrong = {
        **blend,
        "symbol": "bad symbol!",
        "currency": "usd",
        "calendar": "NOPE",
        "components": [{"symbol": "BLEND_60_40", "weight": 0.5}, {"symbol": "ZZZ", "weight": 0.4}],
    }
    result = (await gql(CREATE, {"input": wrong}))["createBenchmark"]
    assert result["__typename"] == "ValidationError"
    for problem in (
        "symbol:",
        "currency:",
        "calendar: unknown trading calendar 'NOPE'",
        "sum to 1",
        "BLEND_60_40 is itself a blend",
        "ZZZ does not exist",
    ):
        assert problem in result["message"], problem


async def test_registering_needs_the_write_benchmarks_scope(gql: GraphQLClient) -> None:
    data = {"symbol": "NOPE_" + uuid.uuid4().hex[:6], "name": "x", "kind": "CASH",
            "returnBasis": "TOTAL_RETURN"}  # fmt: skip
    result = await gql.raw(CREATE, {"input": data})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    check = await gql.raw(FRESHNESS, {"s": data["symbol"]})
    assert check["data"]["benchmark"] is None
