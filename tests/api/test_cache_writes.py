"""Every write path advances the versions the caches depend on: no stored response outlives
the write it no longer reflects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.feeds.files import import_levels
from services.feeds.stream import apply_market_data
from services.resources import Resources
from services.streams import StreamEntry
from tests.conftest import GraphQLClient
from tests.factories import create_account, create_benchmark, create_key
from tests.services.feeds.conftest import disable_new_feeds  # noqa: F401 (autouse: stale feeds off)

DAY = datetime(2024, 6, 3, tzinfo=UTC)
LATEST = "query($s: String!) { benchmark(symbol: $s) { latest { value seq } } }"


async def cached(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    """The response, once it is served from the response cache."""
    await client.post("/graphql", json={"query": query, "variables": variables})
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.headers["x-cache"] == "hit"
    return response.json()["data"]


async def test_a_stream_tick_shows_at_once(
    resources: Resources, client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    benchmark = await create_benchmark(resources, levels=[(DAY - timedelta(days=1), 100.0)])
    variables = {"s": benchmark.symbol}
    before = await cached(client, LATEST, variables)
    assert before["benchmark"]["latest"]["value"] == 100.0
    entry = {"symbol": benchmark.symbol, "ts": DAY.isoformat(), "level": "101.5"}
    stream = f"test-cache-{uuid.uuid4().hex[:8]}"
    await apply_market_data(
        resources, stream, [StreamEntry(f"{uuid.uuid4().int % 10**9}-0", entry)]
    )
    after = await gql(LATEST, variables)
    assert after["benchmark"]["latest"] == {"value": 101.5, "seq": 2}


async def test_a_file_import_shows_at_once(
    resources: Resources, client: httpx.AsyncClient, gql: GraphQLClient, tmp_path: Path
) -> None:
    benchmark = await create_benchmark(resources, levels=[(DAY - timedelta(days=7), 100.0)])
    variables = {"s": benchmark.symbol}
    await cached(client, LATEST, variables)
    path = tmp_path / "levels.csv"
    path.write_text("Date,Close\n2024-05-31,102.0\n2024-06-03,103.0\n")
    report = await import_levels(resources, benchmark.symbol, str(path), now=DAY)
    assert report.inserted == 2
    after = await gql(LATEST, variables)
    assert after["benchmark"]["latest"] == {"value": 103.0, "seq": 3}


async def test_a_registered_benchmark_joins_a_stored_listing(
    resources: Resources, client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    listing = "{ benchmarks { symbol } }"
    before = await cached(client, listing, {})
    account = await create_account(resources)
    key = await create_key(resources, account=account, scopes=["read", "write:benchmarks"])
    symbol = f"REG_{uuid.uuid4().hex[:6].upper()}"
    created = await gql.with_key(key)(
        "mutation($i: CreateBenchmarkInput!) { createBenchmark(input: $i) { __typename } }",
        {"i": {"symbol": symbol, "name": "n", "kind": "EQUITY_INDEX", "returnBasis": "PRICE"}},
    )
    assert created["createBenchmark"]["__typename"] == "BenchmarkCreated"
    after = await gql(listing)
    assert symbol not in {b["symbol"] for b in before["benchmarks"]}
    assert symbol in {b["symbol"] for b in after["benchmarks"]}


async def test_freshness_is_never_served_from_a_stored_response(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    benchmark = await create_benchmark(resources, levels=[(DAY, 100.0)])
    query = "query($s: String!) { benchmark(symbol: $s) { freshness { isStale asOf } } }"
    for _ in range(2):
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"s": benchmark.symbol}}
        )
        assert response.headers["x-cache"] == "miss"
        assert response.json()["data"]["benchmark"]["freshness"]["isStale"] is True
