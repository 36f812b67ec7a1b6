"""The cache through the real app: repeated dashboards, writes, stampedes, Redis failures."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest

from schema.app import create_app
from services.cache_stats import CacheStats, KindStats
from services.resources import Resources, open_resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_account, create_key, create_strategy
from tests.redis_server import RedisServer

DASHBOARD = """
query Dashboard($search: String!) {
  strategies(first: 20, filter: {search: $search}) {
    nodes {
      id slug lastSeq
      latest { timestamp value return seq }
      performance(window: {preset: ONE_YEAR}, interval: DAY) {
        count columns { timestamps nav returns cumulativeReturn drawdown }
      }
      metrics(window: {preset: ONE_YEAR}) {
        totalReturn cagr annualVolatility sharpe sortino maxDrawdown
      }
      comparison(benchmark: {symbol: "SPX"}, window: {preset: ONE_YEAR}) {
        excessReturn alpha beta correlation trackingError informationRatio
        series { timestamps relative }
      }
    }
  }
}
"""
LAST_DAY = datetime(2022, 12, 30, tzinfo=UTC)
RECORD = """
mutation($id: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $id, points: $points) { ... on PerformanceRecorded { lastSeq } }
}
"""


async def dashboard_strategies(resources: Resources) -> str:
    """20 strategies with two years of daily NAVs against the S&P 500; their common prefix."""
    prefix = f"dash-{uuid.uuid4().hex[:8]}-"
    rng = np.random.default_rng(7)
    days = [LAST_DAY - timedelta(days=i) for i in range(730, -1, -1)]
    for n in range(20):
        navs = 100 * np.cumprod(1 + rng.normal(0.0003, 0.01, len(days)))
        points = [(d, float(v), 0.0) for d, v in zip(days, navs, strict=True)]
        await create_strategy(resources, points=points, slug=f"{prefix}{n:02d}", benchmark="SPX")
    return prefix


async def writer(resources: Resources, client: httpx.AsyncClient) -> GraphQLClient:
    """A client with a key that may record performance for the factory's strategies."""
    account = await create_account(resources, "tests")
    key = await create_key(resources, account=account, scopes=["read", "write:performance"])
    return GraphQLClient(client).with_key(key)


def nodes(data: Any) -> list[Any]:
    found: list[Any] = data["strategies"]["nodes"]
    return found


def delta(after: CacheStats, before: CacheStats, kind: str) -> KindStats:
    a, b = after.kind(kind), before.kind(kind)
    return KindStats(*(getattr(a, f) - getattr(b, f) for f in vars(a)))


async def post(client: httpx.AsyncClient, variables: dict[str, Any], **headers: str) -> Any:
    response = await client.post(
        "/graphql", json={"query": DASHBOARD, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b'{"data":{')
    assert b'"errors":' not in response.content
    return response


async def test_a_repeated_dashboard_runs_no_sql_and_returns_the_same_data(
    resources: Resources, client: httpx.AsyncClient, sql: StatementCounter
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    sql.reset()
    first = await post(client, variables)
    assert len(sql) > 0
    assert len(nodes(first.json()["data"])) == 20
    assert all(n["performance"]["count"] > 250 for n in nodes(first.json()["data"]))
    sql.reset()
    second = await post(client, variables)
    assert len(sql) == 0
    assert second.headers["x-cache"] == "hit"
    assert second.json() == first.json()


async def test_the_value_cache_alone_leaves_only_the_metadata_statements(
    resources: Resources, client: httpx.AsyncClient, sql: StatementCounter
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    first = await post(client, variables)
    before = copy.deepcopy(resources.cache.stats)
    sql.reset()
    again = await post(client, variables, **{"cache-control": "no-cache"})
    assert again.headers["x-cache"] == "miss"
    assert again.json() == first.json()
    assert not any("performance_points" in s or "benchmark_prices" in s for s in sql.statements)
    assert len(sql) == 2  # the strategy page and the benchmark record
    for kind in ("strategy-latest", "strategy-series", "metrics", "comparison"):
        assert delta(resources.cache.stats, before, kind).hits == 20
    assert resources.cache.stats.total().computed == before.total().computed


METRICS = """
query($search: String!) {
  strategies(first: 20, filter: {search: $search}) {
    nodes { metrics(window: {preset: ONE_YEAR}) { sharpe %s } }
  }
}
"""


async def test_cached_metrics_load_no_returns_unless_the_benchmark_metrics_are_asked_for(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    """The benchmark's span follows the strategy's returns: with the metrics in the value
    cache, the returns are loaded only for a query that asks for the benchmark's metrics."""
    variables = {"search": await dashboard_strategies(resources)}
    with_benchmark = {"query": METRICS % "benchmark { metrics { sharpe } }", "variables": variables}
    cold = await client.post("/graphql", json=with_benchmark)
    assert all(n["metrics"]["benchmark"]["metrics"]["sharpe"] for n in nodes(cold.json()["data"]))
    no_cache = {"cache-control": "no-cache"}
    before = copy.deepcopy(resources.cache.stats)
    plain = {"query": METRICS % "", "variables": variables}
    response = await client.post("/graphql", json=plain, headers=no_cache)
    assert all(n["metrics"]["sharpe"] is not None for n in nodes(response.json()["data"]))
    assert delta(resources.cache.stats, before, "metrics").hits == 20
    for kind in ("strategy-latest", "strategy-series"):
        assert delta(resources.cache.stats, before, kind) == KindStats()
    before = copy.deepcopy(resources.cache.stats)
    warm = await client.post("/graphql", json=with_benchmark, headers=no_cache)
    assert warm.json() == cold.json()
    assert delta(resources.cache.stats, before, "strategy-series").hits == 20
    assert delta(resources.cache.stats, before, "benchmark-metrics").computed == 0


async def test_a_new_point_recomputes_only_its_strategy_and_is_served_at_once(
    resources: Resources, client: httpx.AsyncClient, gql: GraphQLClient, sql: StatementCounter
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    before_write = nodes(await gql(DASHBOARD, variables))
    target = before_write[3]
    point = {"timestamp": (LAST_DAY + timedelta(days=1)).isoformat(), "nav": 123.25}
    recording = await writer(resources, client)
    recorded = await recording(RECORD, {"id": target["id"], "points": [point]})
    assert recorded["recordPerformance"]["lastSeq"] == target["lastSeq"] + 1
    before = copy.deepcopy(resources.cache.stats)
    sql.reset()
    after_write = nodes(await gql(DASHBOARD, variables))
    changed = after_write[3]
    assert changed["latest"]["value"] == 123.25
    assert changed["lastSeq"] == target["lastSeq"] + 1
    assert changed["performance"]["columns"]["nav"][-1] == 123.25
    assert after_write[:3] + after_write[4:] == before_write[:3] + before_write[4:]
    assert changed["comparison"] != target["comparison"]
    for kind in ("strategy-latest", "strategy-series", "metrics", "comparison"):
        changes = delta(resources.cache.stats, before, kind)
        assert (changes.computed, changes.hits) == (1, 19)
    # The S&P 500 itself did not change: only its slice over the strategy's new span is new.
    assert delta(resources.cache.stats, before, "benchmark-latest").computed == 0
    assert delta(resources.cache.stats, before, "benchmark-series").computed <= 1
    series_statements = [s for s in sql.statements if "performance_points" in s]
    assert len(series_statements) == 2  # the strategy's latest point and its series
    assert len([s for s in sql.statements if "benchmark_prices" in s]) <= 1


async def fifty_at_once(
    resources: Resources, variables: dict[str, Any], **headers: str
) -> tuple[list[httpx.Response], CacheStats]:
    """Fifty identical requests at once, on resources with a patient cache timeout: under
    this burst a Redis reply can wait past the default for the busy event loop, and the
    request would (correctly) use PostgreSQL instead. Returns the responses and the stats."""
    patient = await open_resources(resources.settings.model_copy(update={"cache_timeout_s": 10}))
    transport = httpx.ASGITransport(app=create_app(resources=patient))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
            responses = await asyncio.gather(*(post(c, variables, **headers) for _ in range(50)))
    finally:
        await patient.close()
    return list(responses), patient.cache.stats


async def test_fifty_identical_cold_requests_compute_each_value_once(
    resources: Resources,
) -> None:
    variables = {"search": await dashboard_strategies(resources)}
    responses, stats = await fifty_at_once(resources, variables)
    assert all(r.content == responses[0].content for r in responses)
    assert {r.headers["x-cache"] for r in responses} == {"miss", "coalesced"}
    for kind in ("strategy-latest", "strategy-series", "metrics", "comparison"):
        assert stats.kind(kind).computed == 20
    # The S&P 500 over each strategy's span (the same span for all 20: computed once)
    for kind in ("benchmark-latest", "benchmark-series"):
        assert stats.kind(kind).computed <= 1
    assert stats.redis_errors == 0


async def test_fifty_cold_executions_still_compute_each_value_once(resources: Resources) -> None:
    """With the response cache skipped (no-cache) all 50 execute; the values are computed
    once."""
    variables = {"search": await dashboard_strategies(resources)}
    responses, stats = await fifty_at_once(resources, variables, **{"cache-control": "no-cache"})
    assert all(r.content == responses[0].content for r in responses)
    for kind in ("strategy-latest", "strategy-series", "metrics", "comparison"):
        assert stats.kind(kind).computed == 20
    for kind in ("benchmark-latest", "benchmark-series"):
        assert stats.kind(kind).computed <= 1
    assert stats.redis_errors == 0


class Clock:
    """The breaker's clock, moved by the test: retries happen when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def after_the_retry_interval(self) -> None:
        self.now += 60.0


@pytest.fixture
async def own_redis(
    resources: Resources,
) -> AsyncIterator[tuple[RedisServer, Resources, Clock]]:
    """The app's database with a Redis server this test may stop: never the shared one."""
    server = RedisServer()
    server.start()
    update = {"redis_url": server.url, "cache_retry_s": 30, "cache_timeout_s": 0.5}
    opened = await open_resources(resources.settings.model_copy(update=update))
    clock = opened.cache.guard.clock = Clock()
    try:
        yield server, opened, clock
    finally:
        await opened.close()
        server.stop()


async def test_redis_stopped_mid_run_then_back(
    resources: Resources, own_redis: tuple[RedisServer, Resources, Clock]
) -> None:
    server, own, clock = own_redis
    variables = {"search": await dashboard_strategies(resources)}
    transport = httpx.ASGITransport(app=create_app(resources=own))
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        first = await post(c, variables)
        assert (await post(c, variables)).headers["x-cache"] == "hit"
        server.stop()
        for _ in range(3):
            down = await post(c, variables)
            assert down.json() == first.json()
        errors = own.cache.stats.redis_errors  # the calls in flight when it stopped
        assert errors >= 1
        for _ in range(3):
            assert (await post(c, variables)).content == first.content
        assert own.cache.stats.redis_errors == errors  # bypassed, not retried per request
        assert own.cache.stats.bypassed > 0
        server.start()  # empty: a restarted Redis
        clock.after_the_retry_interval()
        assert (await post(c, variables)).json() == first.json()
        back = await post(c, variables)
        assert back.headers["x-cache"] == "hit"
        assert back.json() == first.json()


async def test_a_write_while_redis_hangs_is_visible_once_it_answers(
    resources: Resources, own_redis: tuple[RedisServer, Resources, Clock]
) -> None:
    """Redis keeps the old versions (it never saw the write): they must not be trusted."""
    server, own, clock = own_redis
    variables = {"search": await dashboard_strategies(resources)}
    transport = httpx.ASGITransport(app=create_app(resources=own))
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        gql, recording = GraphQLClient(c), await writer(resources, c)
        target = nodes(await gql(DASHBOARD, variables))[5]
        assert (await post(c, variables)).headers["x-cache"] == "hit"
        await recording("{ __typename }")  # its key is looked up while Redis answers
        server.pause()
        point = {"timestamp": (LAST_DAY + timedelta(days=1)).isoformat(), "nav": 77.5}
        await recording(RECORD, {"id": target["id"], "points": [point]})
        during = nodes(await gql(DASHBOARD, variables))[5]
        assert during["latest"]["value"] == 77.5
        server.resume()
        clock.after_the_retry_interval()
        after = nodes(await gql(DASHBOARD, variables))[5]
        assert after["latest"]["value"] == 77.5
        assert after["performance"]["columns"]["nav"][-1] == 77.5
