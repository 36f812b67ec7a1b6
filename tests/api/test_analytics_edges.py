"""Analytics edge cases over GraphQL: alignment reports, short and flat series, windows
before inception, compare with ids that cannot be seen, and bad arguments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from services.analytics import AlignmentPolicy, compare, twr_returns
from services.demo import demo_benchmarks
from services.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import create_strategy


def day(month: int, d: int, year: int = 2021) -> datetime:
    return datetime(year, month, d, tzinfo=UTC)


# Weekdays of 1-12 March 2021, plus Saturday 6 and Saturday 13: days the S&P 500 lacks.
WEEKEND_DAYS = [day(3, d) for d in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13)]
WEEKEND_NAVS = [100.0, 101.0, 99.5, 100.2, 102.0, 102.5, 101.0, 103.0, 104.0, 103.5, 105.0, 104.0]


@pytest.fixture(scope="module")
async def weekend_strategy(resources: Resources) -> str:
    points = [(d, nav, 0.0) for d, nav in zip(WEEKEND_DAYS, WEEKEND_NAVS, strict=True)]
    return str(await create_strategy(resources, points=points))


ALIGNMENT = (
    "alignment { policy overlappingPeriods changed strategyDropped { count dates }"
    " strategyMerged { count dates } benchmarkDropped { count } benchmarkMerged { count } }"
)


async def comparison(gql: GraphQLClient, sid: str, policy: str) -> dict[str, Any]:
    data = await gql(
        f'query($id: ID!) {{ strategy(id: $id) {{ comparison(benchmark: {{symbol: "SPX"}},'
        f" alignment: {policy}) {{ periods beta trackingError {ALIGNMENT} }} }} }}",
        {"id": sid},
    )
    result: dict[str, Any] = data["strategy"]["comparison"]
    return result


async def test_alignment_reports_merged_and_dropped_dates(
    gql: GraphQLClient, weekend_strategy: str
) -> None:
    merged = await comparison(gql, weekend_strategy, "COMPOUND_TO_COMMON")
    assert merged["alignment"] == {
        "policy": "COMPOUND_TO_COMMON",
        "overlappingPeriods": 9,
        "changed": True,
        # Saturday 6's return is compounded into Monday 8; Saturday 13 has no later
        # common date, so its return is dropped
        "strategyMerged": {"count": 1, "dates": ["2021-03-06T00:00:00Z"]},
        "strategyDropped": {"count": 1, "dates": ["2021-03-13T00:00:00Z"]},
        "benchmarkDropped": {"count": 0},
        "benchmarkMerged": {"count": 0},
    }
    intersect = await comparison(gql, weekend_strategy, "INTERSECT")
    assert intersect["alignment"]["strategyDropped"] == {
        "count": 2,
        "dates": ["2021-03-06T00:00:00Z", "2021-03-13T00:00:00Z"],
    }
    assert intersect["alignment"]["strategyMerged"]["count"] == 0

    navs = pd.Series(WEEKEND_NAVS, index=pd.DatetimeIndex(WEEKEND_DAYS))
    spx = next(b for b in demo_benchmarks() if b.symbol == "SPX").levels
    spx_returns = spx.pct_change().loc["2021-03-02":"2021-03-13"]
    pairs = ((merged, AlignmentPolicy.COMPOUND_TO_COMMON), (intersect, AlignmentPolicy.INTERSECT))
    for got, policy in pairs:
        expected = compare(twr_returns(navs), spx_returns, policy=policy)
        assert got["periods"] == expected.periods == 9
        assert got["beta"] == pytest.approx(expected.beta, rel=1e-9)
        assert got["trackingError"] == pytest.approx(expected.tracking_error, rel=1e-9)


Points = list[tuple[datetime, float, float]]


async def metrics_of(
    gql: GraphQLClient, points: Points, resources: Resources, window: str = ""
) -> dict[str, Any]:
    sid = await create_strategy(resources, points=points)
    data = await gql(
        f"query($id: ID!) {{ strategy(id: $id) {{ metrics{window} {{ periods totalReturn cagr"
        " annualVolatility sharpe sortino calmar omega maxDrawdown maxDrawdownPeriod { depth }"
        " winRate averageLoss skew stability"
        " methodology { periodsPerYear periodsPerYearSource }"
        " window { requestedFrom start end periods startsAtInception measuredFrom } } } }",
        {"id": str(sid)},
    )
    result: dict[str, Any] = data["strategy"]["metrics"]
    return result


def daily(navs: list[float]) -> Points:
    days = pd.bdate_range("2021-03-01", periods=len(navs), tz="UTC")
    return [(d.to_pydatetime(), nav, 0.0) for d, nav in zip(days, navs, strict=True)]


async def test_a_single_point_has_no_returns(gql: GraphQLClient, resources: Resources) -> None:
    metrics = await metrics_of(gql, daily([100.0]), resources)
    assert metrics["periods"] == 0
    undefined = {k: v for k, v in metrics.items() if k not in ("methodology", "window", "periods")}
    assert set(undefined.values()) == {None}
    assert metrics["methodology"] == {"periodsPerYear": 252.0, "periodsPerYearSource": "DEFAULT"}
    assert metrics["window"]["startsAtInception"]
    assert metrics["window"]["start"] is None


async def test_two_points_give_a_return_but_no_dispersion(
    gql: GraphQLClient, resources: Resources
) -> None:
    metrics = await metrics_of(gql, daily([100.0, 104.0]), resources)
    assert metrics["periods"] == 1
    assert metrics["totalReturn"] == pytest.approx(0.04, rel=1e-12)
    assert metrics["cagr"] == pytest.approx(1.04**252 - 1, rel=1e-9)
    assert metrics["annualVolatility"] is None
    assert metrics["sharpe"] is None
    assert metrics["methodology"]["periodsPerYearSource"] == "DEFAULT"


async def test_flat_and_steadily_rising_navs_have_no_dispersion(
    gql: GraphQLClient, resources: Resources
) -> None:
    flat = await metrics_of(gql, daily([100.0] * 10), resources)
    assert flat["annualVolatility"] == 0.0
    assert (flat["sharpe"], flat["sortino"], flat["calmar"], flat["omega"]) == (None,) * 4
    assert flat["maxDrawdown"] == 0.0
    assert flat["maxDrawdownPeriod"] is None
    assert flat["winRate"] is None  # no period was a win or a loss
    # NAV x1.5 every day: exactly the same return each period, never a loss
    rising = await metrics_of(gql, daily([100.0 * 1.5**i for i in range(10)]), resources)
    assert rising["annualVolatility"] == 0.0
    assert rising["sharpe"] is None  # zero dispersion
    assert rising["sortino"] is None  # no period below the risk-free rate
    assert rising["omega"] is None  # no loss against the threshold
    assert rising["maxDrawdown"] == 0.0
    assert (rising["winRate"], rising["averageLoss"]) == (1.0, None)
    assert rising["totalReturn"] == pytest.approx(1.5**9 - 1, rel=1e-12)


async def test_a_window_before_inception_says_which_window_was_used(
    gql: GraphQLClient, resources: Resources
) -> None:
    before = '(window: {from: "2020-01-01T00:00:00Z", to: "2021-03-04T00:00:00Z"})'
    metrics = await metrics_of(gql, daily([100.0, 101.0, 102.0, 99.0, 100.0]), resources, before)
    assert metrics["window"] == {
        "requestedFrom": "2020-01-01T00:00:00+00:00",
        "start": "2021-03-02T00:00:00+00:00",
        "end": "2021-03-04T00:00:00+00:00",
        "periods": 3,
        "startsAtInception": True,
        "measuredFrom": "2021-03-01T00:00:00+00:00",
    }
    assert metrics["totalReturn"] == pytest.approx(0.99 - 1, rel=1e-12)
    nothing = '(window: {to: "2020-12-31T00:00:00Z"})'
    empty = await metrics_of(gql, daily([100.0, 101.0]), resources, nothing)
    assert (empty["periods"], empty["window"]["start"], empty["totalReturn"]) == (0, None, None)


async def test_compare_lists_strategies_in_order_and_hides_unknown_ids(
    gql: GraphQLClient,
) -> None:
    ids = (await gql('{ strategies(first: 100, filter: {search: "us-"}) { nodes { id slug } } }'))[
        "strategies"
    ]["nodes"]
    by_slug = {n["slug"]: n["id"] for n in ids}
    unknown = "2147483000"
    wanted = [by_slug[s] for s in ("us-value-vlue", "us-size-size", "us-momentum-mtum")]
    wanted.insert(1, unknown)
    query = (
        'query($ids: [ID!]!) { compare(strategyIds: $ids, benchmark: {symbol: "SPX"},'
        " window: {preset: THREE_YEARS}) { __typename"
        " ... on ComparedStrategy { strategy { id slug } comparison { beta excessReturn"
        " window { end } } } ... on StrategyUnavailable { id message } } }"
    )
    entries = (await gql(query, {"ids": wanted}))["compare"]
    assert [e["__typename"] for e in entries] == [
        "ComparedStrategy",
        "StrategyUnavailable",
        "ComparedStrategy",
        "ComparedStrategy",
    ]
    assert entries[1] == {
        "__typename": "StrategyUnavailable",
        "id": unknown,
        "message": "no strategy with this id is visible to you",
    }
    assert [e["strategy"]["id"] for e in entries if "strategy" in e] == [wanted[0], *wanted[2:]]
    one = await gql(
        'query($id: ID!) { strategy(id: $id) { comparison(benchmark: {symbol: "SPX"},'
        " window: {preset: THREE_YEARS}) { beta excessReturn window { end } } } }",
        {"id": wanted[2]},
    )
    assert entries[2]["comparison"] == one["strategy"]["comparison"]


STRATEGY_FIELD = '{{ strategy(slug: "stock-aapl") {{ {} }} }}'


@pytest.mark.parametrize(
    ("field", "code", "message"),
    [
        (
            'comparison(benchmark: {symbol: "NOPE"}) { beta }',
            "NOT_FOUND",
            "unknown benchmark 'NOPE'",
        ),
        (
            'comparison(benchmark: {blend: {components: [{symbol: "SPX", weight: 0.6},'
            ' {symbol: "UST10Y_TR", weight: 0.3}]}}) { beta }',
            "BAD_USER_INPUT",
            "blend weights must sum to 1, got 0.9",
        ),
        (
            'comparison(benchmark: {blend: {components: [{symbol: "BLEND_60_40", weight: 1}]}})'
            " { beta }",
            "BAD_USER_INPUT",
            "BLEND_60_40 is itself a blend",
        ),
        (
            'metrics(riskFree: {symbol: "SPX"}) { sharpe }',
            "BAD_USER_INPUT",
            "is EQUITY_INDEX, not CASH",
        ),
        (
            "metrics(riskFree: {rate: -1.5}) { sharpe }",
            "BAD_USER_INPUT",
            "finite annual rate > -1",
        ),
        ("metrics(varLevel: 1.0) { sharpe }", "BAD_USER_INPUT", "varLevel must be strictly"),
        ("metrics(periodsPerYear: 0) { sharpe }", "BAD_USER_INPUT", "periodsPerYear must be in"),
        ("drawdowns(top: 0) { depth }", "BAD_USER_INPUT", "top must be between 1 and 100"),
        (
            "rolling(metric: SHARPE, periods: 1) { periods }",
            "BAD_USER_INPUT",
            "rolling periods must be between 2",
        ),
    ],
)
async def test_bad_analytics_arguments_give_clear_errors(
    gql: GraphQLClient, field: str, code: str, message: str
) -> None:
    result = await gql.raw(STRATEGY_FIELD.format(field))
    [error] = result["errors"]
    assert message in error["message"]
    assert error["extensions"]["code"] == code


async def test_a_benchmark_is_needed_when_the_strategy_has_no_default(
    gql: GraphQLClient, weekend_strategy: str
) -> None:
    for field in ("comparison { beta }", "rolling(metric: BETA, periods: 3) { periods }"):
        result = await gql.raw(f'{{ strategy(id: "{weekend_strategy}") {{ {field} }} }}')
        [error] = result["errors"]
        assert "has no default benchmark: pass a benchmark" in error["message"]
    data = await gql(
        f'{{ strategy(id: "{weekend_strategy}") {{'
        " metrics { benchmark { metrics { periods } } }"
        " periodReturns(frequency: MONTH) { benchmark { symbol } columns { strategy excess } } } }"
    )
    assert data["strategy"]["metrics"]["benchmark"] is None
    assert data["strategy"]["periodReturns"]["benchmark"] is None
    assert data["strategy"]["periodReturns"]["columns"]["excess"] is None


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "strategyIds must list 1 to 100 ids, got 0"),
        (["1", "1"], "lists a strategy more than once"),
        ([str(i) for i in range(1, 102)], "strategyIds must list 1 to 100 ids, got 101"),
        (["x"], "strategy id must be an integer"),
    ],
)
async def test_bad_compare_ids_are_rejected(
    gql: GraphQLClient, ids: list[str], message: str
) -> None:
    result = await gql.raw(
        "query($ids: [ID!]!) { compare(strategyIds: $ids) { __typename } }", {"ids": ids}
    )
    assert message in result["errors"][0]["message"]


async def test_a_benchmark_input_takes_one_form_only(gql: GraphQLClient) -> None:
    result = await gql.raw(
        STRATEGY_FIELD.format(
            'comparison(benchmark: {symbol: "SPX", blend: {components: []}}) { beta }'
        )
    )
    assert "exactly one key" in result["errors"][0]["message"]
