"""Recording performance and benchmark prices through the mutations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from services import keys
from services.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import create_account, create_benchmark, create_key, create_strategy

RECORD = """
mutation($id: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $id, points: $points) {
    __typename
    ... on PerformanceRecorded { strategyId inserted revised unchanged duplicates lastSeq
                                 rejected { index field reason } }
    ... on ValidationError { message field }
    ... on NotFoundError { message }
  }
}
"""
DAY = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
async def gql(client: httpx.AsyncClient, resources: Resources) -> GraphQLClient:
    """Writing needs a key with the write scopes, for the account that owns the strategies
    the factory creates."""
    account = await create_account(resources, "tests")
    scopes = ["read", "write:performance", "write:benchmarks"]
    return GraphQLClient(client).with_key(
        await create_key(resources, account=account, scopes=scopes)
    )


def point(day: int, nav: float, cash_flow: float = 0.0) -> dict[str, Any]:
    stamp = (DAY + timedelta(days=day)).isoformat()
    return {"timestamp": stamp, "nav": nav, "cashFlow": cash_flow}


async def record(gql: GraphQLClient, sid: int | str, points: list[dict[str, Any]]) -> Any:
    return (await gql(RECORD, {"id": str(sid), "points": points}))["recordPerformance"]


async def test_insert_duplicate_revision_and_late_rows(
    resources: Resources, gql: GraphQLClient
) -> None:
    sid = await create_strategy(resources)
    first = await record(gql, sid, [point(0, 100.0), point(1, 101.0), point(2, 102.0)])
    assert (first["inserted"], first["lastSeq"], first["rejected"]) == (3, 3, [])

    again = await record(gql, sid, [point(1, 101.0), point(1, 101.0)])
    assert (again["inserted"], again["unchanged"], again["duplicates"]) == (0, 1, 1)
    assert again["lastSeq"] == 3

    revised = await record(gql, sid, [point(1, 101.5)])
    assert (revised["revised"], revised["lastSeq"]) == (1, 4)

    late = await record(gql, sid, [point(-1, 99.0)])
    assert (late["inserted"], late["lastSeq"]) == (1, 5)
    data = await gql(
        "query($id: ID!) { strategy(id: $id) { lastSeq latest { timestamp value seq } } }",
        {"id": str(sid)},
    )
    assert data["strategy"]["latest"]["value"] == 102.0  # the late row did not move latest
    assert data["strategy"]["lastSeq"] == 5
    async with resources.engine.connect() as conn:
        old = (
            await conn.execute(
                text(
                    "SELECT old, new FROM revisions WHERE kind = 'performance' AND entity_id = :id"
                ),
                {"id": sid},
            )
        ).one()
    assert old.old == {"value": 101.0, "cash_flow": 0.0}
    assert old.new == {"value": 101.5, "cash_flow": 0.0}


async def test_bad_rows_are_quarantined_and_never_block_good_ones(
    resources: Resources, gql: GraphQLClient
) -> None:
    sid = await create_strategy(resources)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    result = await record(
        gql,
        sid,
        [
            point(0, 100.0),
            point(1, -5.0),
            {"timestamp": future, "nav": 1.0},
            point(2, 10.0, 20.0),
            point(3, 103.0),
        ],
    )
    assert result["inserted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (1, "value"),
        (2, "ts"),
        (3, "cash_flow"),
    ]
    async with resources.engine.connect() as conn:
        reasons = (
            (
                await conn.execute(
                    text(
                        "SELECT reason FROM quarantine WHERE kind = 'performance' AND entity = :e"
                    ),
                    {"e": str(sid)},
                )
            )
            .scalars()
            .all()
        )
    assert len(reasons) == 3
    assert any("above zero" in r for r in reasons)


async def test_unknown_strategy_empty_and_oversized_requests(gql: GraphQLClient) -> None:
    missing = await record(gql, 999_999, [point(0, 1.0)])
    assert missing["__typename"] == "NotFoundError"
    empty = await record(gql, 1, [])
    assert (empty["__typename"], empty["field"]) == ("ValidationError", "points")
    bad_id = await record(gql, "x", [point(0, 1.0)])
    assert (bad_id["__typename"], bad_id["field"]) == ("ValidationError", "strategyId")


async def test_committed_changes_are_published_in_sequence(
    resources: Resources, gql: GraphQLClient
) -> None:
    sid = await create_strategy(resources)
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(keys.performance_channel(sid))
    try:
        await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
        await record(gql, sid, [point(0, 100.0), point(1, 101.0)])
        await record(gql, sid, [point(1, 101.0)])  # unchanged: nothing published
        await record(gql, sid, [point(1, 100.5)])
        received = []
        for _ in range(10):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message:
                received.append(orjson.loads(message["data"]))
            if len(received) == 3:
                break
        assert [(e["seq"], e["nav"], e["kind"]) for e in received] == [
            (1, 100.0, "INSERT"),
            (2, 101.0, "INSERT"),
            (3, 100.5, "REVISION"),
        ]
        assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2) is None
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_concurrent_writers_get_distinct_sequence_numbers(
    resources: Resources, gql: GraphQLClient
) -> None:
    sid = await create_strategy(resources)
    results = await asyncio.gather(*(record(gql, sid, [point(i, 100.0 + i)]) for i in range(10)))
    assert sorted(r["lastSeq"] for r in results) == list(range(1, 11))


RECORD_PRICES = """
mutation($s: String!, $p: [BenchmarkPriceInput!]!) {
  recordBenchmarkPrices(symbol: $s, prices: $p) {
    __typename
    ... on BenchmarkPricesRecorded { symbol inserted lastSeq rejected { field reason } }
    ... on ValidationError { message }
    ... on NotFoundError { message }
  }
}
"""


async def test_benchmark_prices(gql: GraphQLClient) -> None:
    # The benchmark's own sequence number (its latest level's can be lower), and the day after
    # its latest level: earlier tests may have recorded or revised S&P 500 levels.
    before = await gql('{ benchmark(symbol: "SPX") { lastSeq latest { timestamp } } }')
    latest = datetime.fromisoformat(before["benchmark"]["latest"]["timestamp"])
    stamp = (latest + timedelta(days=1)).isoformat()
    result = await gql(RECORD_PRICES, {"s": "spx", "p": [{"timestamp": stamp, "level": 3824.14}]})
    recorded = result["recordBenchmarkPrices"]
    assert (recorded["symbol"], recorded["inserted"]) == ("SPX", 1)
    assert recorded["lastSeq"] == before["benchmark"]["lastSeq"] + 1
    after = await gql('{ benchmark(symbol: "SPX") { latest { value return } } }')
    assert after["benchmark"]["latest"]["value"] == 3824.14
    blend = await gql(
        RECORD_PRICES, {"s": "BLEND_60_40", "p": [{"timestamp": stamp, "level": 1.0}]}
    )
    assert blend["recordBenchmarkPrices"]["__typename"] == "ValidationError"
    unknown = await gql(RECORD_PRICES, {"s": "NOPE", "p": [{"timestamp": stamp, "level": 1.0}]})
    assert unknown["recordBenchmarkPrices"]["__typename"] == "NotFoundError"


async def test_a_benchmark_s_last_seq_counts_revisions_of_old_levels(
    resources: Resources, gql: GraphQLClient
) -> None:
    days = [datetime(2024, 1, d, tzinfo=UTC) for d in (2, 3, 4)]
    bench = await create_benchmark(
        resources, levels=[(day, 100.0 + i) for i, day in enumerate(days)]
    )
    query = "query($s: String!) { benchmark(symbol: $s) { lastSeq latest { seq value } } }"
    before = (await gql(query, {"s": bench.symbol}))["benchmark"]
    revised = [{"timestamp": days[0].isoformat(), "level": 99.5}]  # an old level, revised
    result = await gql(RECORD_PRICES, {"s": bench.symbol, "p": revised})
    assert result["recordBenchmarkPrices"]["lastSeq"] == before["lastSeq"] + 1
    after = (await gql(query, {"s": bench.symbol}))["benchmark"]
    assert after["lastSeq"] == before["lastSeq"] + 1
    assert after["latest"] == before["latest"]  # the newest level did not move
    blend = await gql('{ benchmark(symbol: "BLEND_60_40") { lastSeq } }')
    assert blend["benchmark"]["lastSeq"] is None
