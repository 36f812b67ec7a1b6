"""Metrics and comparisons of many strategies cost a fixed number of SQL statements."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from services.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import create_strategy

PREFIX = "ten-year-"
NESTED = (
    'metrics(window: {preset: TEN_YEARS}, benchmark: {symbol: "SPX"},'
    ' riskFree: {symbol: "TBILL_3M"}) { sharpe periods'
    " benchmark { metrics { sharpe } } }"
    ' comparison(benchmark: {symbol: "SPX"}, window: {preset: TEN_YEARS},'
    ' riskFree: {symbol: "TBILL_3M"}) { alpha beta periods series { relative } }'
)
ROOT = (
    'query($ids: [ID!]!) { compare(strategyIds: $ids, benchmark: {symbol: "BLEND_60_40"},'
    " riskFree: {rate: 0.02}) { ... on ComparedStrategy { strategy { id }"
    " comparison { alpha beta periods } } } }"
)


@pytest.fixture(scope="module")
async def ten_year_ids(resources: Resources) -> list[str]:
    """20 strategies with 10 years of weekday NAVs (their holidays differ from the S&P's)."""
    days = pd.bdate_range("2013-01-01", "2022-12-28", tz="UTC").to_pydatetime()
    ids = []
    for i in range(20):
        rng = np.random.default_rng(i)
        navs = 1e6 * np.cumprod(1.0 + rng.normal(0.0004, 0.01, len(days)))
        points = [(d, float(nav), 0.0) for d, nav in zip(days, navs, strict=True)]
        ids.append(str(await create_strategy(resources, points=points, slug=f"{PREFIX}{i:02d}")))
    return ids


async def run(
    resources: Resources,
    gql: GraphQLClient,
    sql: StatementCounter,
    query: str,
    variables: dict[str, Any],
) -> tuple[int, Any]:
    """Statements of a cold request: nothing cached (versions come with the records)."""
    await resources.cache.clear()
    sql.reset()
    data = await gql(query, variables)
    return len(sql), data


async def test_nested_metrics_and_comparisons_run_a_fixed_number_of_statements(
    resources: Resources, gql: GraphQLClient, sql: StatementCounter, ten_year_ids: list[str]
) -> None:
    query = (
        f'query($n: Int!) {{ strategies(first: $n, filter: {{search: "{PREFIX}"}}) {{'
        f" nodes {{ id {NESTED} }} }} }}"
    )
    few, _ = await run(resources, gql, sql, query, {"n": 5})
    many, data = await run(resources, gql, sql, query, {"n": 20})
    nodes = data["strategies"]["nodes"]
    assert len(nodes) == 20
    for node in nodes:
        assert node["metrics"]["periods"] > 2500
        assert node["metrics"]["sharpe"] is not None
        assert node["metrics"]["benchmark"]["metrics"]["sharpe"] is not None
        assert node["comparison"]["periods"] > 2400
        assert node["comparison"]["beta"] is not None
    # page, benchmarks by symbol, latest and series of strategies, of benchmarks
    assert few == many == 6


async def test_root_compare_runs_a_fixed_number_of_statements(
    resources: Resources, gql: GraphQLClient, sql: StatementCounter, ten_year_ids: list[str]
) -> None:
    few, _ = await run(resources, gql, sql, ROOT, {"ids": ten_year_ids[:5]})
    many, data = await run(resources, gql, sql, ROOT, {"ids": ten_year_ids})
    entries = data["compare"]
    assert [e["strategy"]["id"] for e in entries] == ten_year_ids
    # BLEND_60_40 ends in March 2017: about four years of overlap with each strategy
    assert all(1000 < e["comparison"]["periods"] < 1100 for e in entries)
    # strategies by id, the blend and its components by symbol (two rounds), latest and
    # series of strategies, the components' series and their latest points
    assert few == many == 7
