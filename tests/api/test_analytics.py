"""Analytics over GraphQL on the demo data, checked against the pure functions.

The reference side rebuilds the same series from the shipped market data (the demo
builders) and calls services.analytics directly; the API side goes through PostgreSQL, the
batched loaders and the schema. They must agree to 1e-9 relative.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from services.analytics import (
    AlignmentPolicy,
    PeriodFrequency,
    Rebalance,
    RiskFree,
    RollingMetric,
    blend_returns,
    compare,
    compute_metrics,
    lookback_returns,
    period_table,
    rolling_metric,
    top_drawdowns,
    twr_returns,
)
from services.demo import demo_benchmarks, demo_strategies
from tests.conftest import GraphQLClient

METRICS = (
    "periods totalReturn cagr annualVolatility sharpe sortino downsideDeviation calmar omega "
    "maxDrawdown varHistorical cvarHistorical varParametric cvarParametric skew kurtosis "
    "tailRatio stability bestPeriod bestDate worstPeriod worstDate winRate averageWin averageLoss"
)
COMPARISON = (
    "periods strategyReturn benchmarkReturn excessReturn strategyCagr benchmarkCagr excessCagr "
    "alpha beta correlation rSquared trackingError informationRatio upCapture downCapture "
    "battingAverage treynor outperforming"
)
WINDOW_2015_2019 = '{from: "2015-01-01T00:00:00Z", to: "2019-12-31T00:00:00Z"}'
WINDOW_2014_2017 = '{from: "2014-01-01T00:00:00Z", to: "2017-12-31T00:00:00Z"}'


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def assert_agree(api: dict[str, Any], reference: object, fields: str) -> None:
    """Every field of ``api`` equals the reference attribute, floats to 1e-9 relative."""
    for field in fields.split():
        got, expected = api[field], getattr(reference, snake(field))
        if isinstance(expected, pd.Timestamp):
            assert datetime.fromisoformat(got) == expected.to_pydatetime(), field
        elif isinstance(expected, float) and not isinstance(expected, bool):
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-15), field
        else:
            assert got == expected, field


@pytest.fixture(scope="module")
def strategy_returns() -> dict[str, pd.Series]:
    return {s.slug: twr_returns(s.navs, s.cash_flows) for s in demo_strategies()}


@pytest.fixture(scope="module")
def benchmark_returns() -> dict[str, pd.Series]:
    return {b.symbol: b.levels.pct_change().iloc[1:] for b in demo_benchmarks() if len(b.levels)}


@pytest.fixture(scope="module")
def blend_60_40(benchmark_returns: dict[str, pd.Series]) -> pd.Series:
    components = {s: benchmark_returns[s] for s in ("SPX", "UST10Y_TR")}
    return blend_returns(components, {"SPX": 0.6, "UST10Y_TR": 0.4}, Rebalance.MONTHLY)


async def test_metrics_agree_with_the_pure_functions(
    gql: GraphQLClient, strategy_returns: dict[str, pd.Series]
) -> None:
    data = await gql(
        f'{{ strategy(slug: "us-momentum-mtum") {{ metrics(window: {WINDOW_2015_2019}) {{'
        f" {METRICS} maxDrawdownPeriod {{ depth peak trough recovery durationPeriods }}"
        " methodology { periodsPerYear periodsPerYearSource ddof varLevel alignmentPolicy"
        " riskFree { description meanAnnualRate } }"
        " window { requestedFrom requestedTo start end periods startsAtInception } } } }"
    )
    metrics = data["strategy"]["metrics"]
    expected = compute_metrics(strategy_returns["us-momentum-mtum"].loc["2015-01-01":"2019-12-31"])
    assert_agree(metrics, expected, METRICS)
    assert expected.max_drawdown_period is not None
    assert_agree(
        metrics["maxDrawdownPeriod"], expected.max_drawdown_period, "depth peak trough recovery"
    )
    assert metrics["methodology"] == {
        "periodsPerYear": 252.0,
        "periodsPerYearSource": "INFERRED",
        "ddof": 1,
        "varLevel": 0.95,
        "alignmentPolicy": None,
        "riskFree": {"description": "none", "meanAnnualRate": 0.0},
    }
    assert metrics["window"] == {
        "requestedFrom": "2015-01-01T00:00:00+00:00",
        "requestedTo": "2019-12-31T00:00:00+00:00",
        "start": "2015-01-02T00:00:00+00:00",
        "end": "2019-12-31T00:00:00+00:00",
        "periods": expected.periods,
        "startsAtInception": False,
    }


async def test_metrics_with_a_rate_or_a_cash_index_as_risk_free(
    gql: GraphQLClient, strategy_returns: dict[str, pd.Series]
) -> None:
    query = (
        'query($rf: RiskFreeInput) { strategy(slug: "us-quality-qual") {'
        f" metrics(window: {WINDOW_2014_2017}, riskFree: $rf, varLevel: 0.99) {{"
        " sharpe sortino varHistorical methodology { varLevel riskFree { description"
        " meanAnnualRate backfilledPeriods extendedPeriods } } } } }"
    )
    returns = strategy_returns["us-quality-qual"].loc[:"2017-12-31"]
    constant = (await gql(query, {"rf": {"rate": 0.02}}))["strategy"]["metrics"]
    expected = compute_metrics(returns, risk_free=RiskFree.constant(0.02), var_level=0.99)
    assert_agree(constant, expected, "sharpe sortino varHistorical")
    assert constant["methodology"]["riskFree"]["description"] == "constant 0.02 a year"

    cash_levels = next(b for b in demo_benchmarks() if b.symbol == "TBILL_3M").levels
    cash = RiskFree.from_returns(cash_levels.pct_change().iloc[1:], "TBILL_3M")
    with_cash = (await gql(query, {"rf": {"symbol": "tbill_3m"}}))["strategy"]["metrics"]
    expected = compute_metrics(returns, risk_free=cash, var_level=0.99)
    assert_agree(with_cash, expected, "sharpe sortino")
    used = with_cash["methodology"]["riskFree"]
    assert used["description"].startswith("cash index TBILL_3M")
    assert used["meanAnnualRate"] == pytest.approx(
        expected.methodology.risk_free.mean_annual_rate, rel=1e-9
    )
    # the bill index ends on 2017-03-29: later periods carry its last return, and say so
    assert used["extendedPeriods"] == int((returns.index > "2017-03-29").sum()) > 150
    assert used["backfilledPeriods"] == 0


async def test_metrics_include_the_benchmark_over_the_same_span(
    gql: GraphQLClient, benchmark_returns: dict[str, pd.Series]
) -> None:
    data = await gql(
        f'{{ strategy(slug: "stock-ko") {{ metrics(window: {WINDOW_2015_2019}) {{ periods'
        " benchmark { benchmark { symbol label } metrics { periods sharpe maxDrawdown"
        " window { requestedFrom start end } } } } } }"
    )
    benchmark = data["strategy"]["metrics"]["benchmark"]
    assert benchmark["benchmark"] == {"symbol": "SPX", "label": "SPX"}
    expected = compute_metrics(benchmark_returns["SPX"].loc["2015-01-01":"2019-12-31"])
    assert_agree(benchmark["metrics"], expected, "periods sharpe maxDrawdown")
    assert benchmark["metrics"]["window"] == {
        "requestedFrom": "2015-01-01T00:00:00+00:00",
        "start": "2015-01-02T00:00:00+00:00",
        "end": "2019-12-31T00:00:00+00:00",
    }


async def test_comparison_with_the_60_40_blend_over_2014_2017(
    gql: GraphQLClient, strategy_returns: dict[str, pd.Series], blend_60_40: pd.Series
) -> None:
    data = await gql(
        f'{{ strategy(slug: "us-momentum-mtum") {{ comparison(benchmark: {{symbol: "BLEND_60_40"}},'
        f" window: {WINDOW_2014_2017}) {{ {COMPARISON}"
        " benchmark { symbol components { symbol weight } rebalance }"
        " series { timestamps strategy benchmark relative }"
        " alignment { policy overlappingPeriods strategyDropped { count dates }"
        " benchmarkDropped { count } strategyMerged { count } benchmarkMerged { count } }"
        " methodology { alignmentPolicy periodsPerYear }"
        " window { startsAtInception measuredFrom } benchmarkWindow { start end } } } }"
    )
    comparison = data["strategy"]["comparison"]
    strategy = strategy_returns["us-momentum-mtum"].loc[:"2017-12-31"]
    # the blend is computed over its components' whole history, then cut to the span
    expected = compare(strategy, blend_60_40.loc["2014-01-03":"2017-12-29"])
    assert_agree(comparison, expected, COMPARISON)
    assert comparison["benchmark"] == {
        "symbol": "BLEND_60_40",
        "components": [{"symbol": "SPX", "weight": 0.6}, {"symbol": "UST10Y_TR", "weight": 0.4}],
        "rebalance": "MONTHLY",
    }
    series = comparison["series"]
    assert series["strategy"] == pytest.approx(expected.strategy_index.tolist(), rel=1e-9)
    assert series["benchmark"] == pytest.approx(expected.benchmark_index.tolist(), rel=1e-9)
    assert series["relative"] == pytest.approx(expected.relative.tolist(), rel=1e-9)
    assert len(series["timestamps"]) == comparison["periods"] == len(expected.strategy_index)
    # the bond leg ends on 2017-03-29: the strategy's later returns cannot be matched
    alignment = comparison["alignment"]
    dropped = expected.alignment.strategy_dropped
    assert alignment["strategyDropped"]["count"] == len(dropped) > 180
    assert alignment["strategyDropped"]["dates"][0] == "2017-03-30T00:00:00Z"
    assert alignment["benchmarkDropped"]["count"] == 0
    assert comparison["methodology"] == {
        "alignmentPolicy": "COMPOUND_TO_COMMON",
        "periodsPerYear": 252.0,
    }
    assert comparison["window"] == {
        "startsAtInception": True,
        "measuredFrom": "2014-01-02T00:00:00+00:00",
    }
    assert comparison["benchmarkWindow"] == {
        "start": "2014-01-03T00:00:00+00:00",
        "end": "2017-03-29T00:00:00+00:00",
    }


async def test_an_ad_hoc_blend_equals_the_stored_one(gql: GraphQLClient) -> None:
    query = (
        'query($b: BenchmarkInput) { strategy(slug: "stock-jpm") {'
        f" comparison(benchmark: $b, window: {WINDOW_2014_2017}) {{ alpha beta trackingError"
        " benchmark { symbol label } } } }"
    )
    stored = (await gql(query, {"b": {"symbol": "BLEND_60_40"}}))["strategy"]["comparison"]
    components = [{"symbol": "spx", "weight": 0.6}, {"symbol": "UST10Y_TR", "weight": 0.4}]
    blend = {"blend": {"components": components, "rebalance": "MONTHLY"}}
    ad_hoc = (await gql(query, {"b": blend}))["strategy"]["comparison"]
    assert ad_hoc.pop("benchmark") == {
        "symbol": None,
        "label": "60% SPX / 40% UST10Y_TR, rebalanced monthly",
    }
    assert stored.pop("benchmark") == {"symbol": "BLEND_60_40", "label": "BLEND_60_40"}
    assert ad_hoc == stored
    quarterly = {"blend": {"components": components, "rebalance": "QUARTERLY"}}
    other = (await gql(query, {"b": quarterly}))["strategy"]["comparison"]
    assert other["beta"] != stored["beta"]


async def test_a_blend_serves_levels_and_latest_like_any_benchmark(
    gql: GraphQLClient, blend_60_40: pd.Series
) -> None:
    data = await gql(
        '{ benchmark(symbol: "BLEND_60_40") { latest { timestamp value return }'
        ' series(window: {from: "2016-01-01T00:00:00Z", to: "2016-12-31T00:00:00Z"}) {'
        " count columns { timestamps level returns } } } }"
    )
    series, latest = data["benchmark"]["series"], data["benchmark"]["latest"]
    expected = blend_60_40.loc["2016-01-01":"2016-12-31"]
    assert series["count"] == len(expected) > 240
    assert series["columns"]["returns"] == pytest.approx(expected.tolist(), rel=1e-9)
    # levels: an index at 100 on the blend's first date (1990-01-02)
    level = 100.0 * np.prod(1.0 + blend_60_40.loc[:"2016-12-30"].to_numpy())
    assert series["columns"]["level"][-1] == pytest.approx(level, rel=1e-9)
    assert latest["timestamp"] == "2017-03-29T00:00:00+00:00"
    assert latest["value"] == pytest.approx(100.0 * np.prod(1.0 + blend_60_40.to_numpy()), rel=1e-9)
    assert latest["return"] == pytest.approx(float(blend_60_40.iloc[-1]), rel=1e-9)


async def test_drawdowns_period_returns_lookbacks_and_rolling_agree(
    gql: GraphQLClient,
    strategy_returns: dict[str, pd.Series],
    benchmark_returns: dict[str, pd.Series],
) -> None:
    data = await gql(
        '{ strategy(slug: "stock-msft") {'
        ' drawdowns(top: 3, window: {from: "2000-01-01T00:00:00Z"}) {'
        " depth peak start trough recovery durationPeriods durationDays recovered }"
        " periodReturns(frequency: YEAR) { frequency benchmark { symbol }"
        " alignment { overlappingPeriods } columns { timestamps strategy benchmark excess } }"
        " lookbackReturns { asOf mtd qtd ytd oneMonth threeMonths sixMonths oneYear"
        " threeYears fiveYears sinceInception sinceInceptionAnnualised }"
        ' rolling(metric: SHARPE, periods: 126, window: {from: "2022-01-01T00:00:00Z"},'
        " riskFree: {rate: 0.01}) { periods periodsPerYear window { start periods }"
        " columns { timestamps values } } } }"
    )
    msft, spx = strategy_returns["stock-msft"], benchmark_returns["SPX"]
    got = data["strategy"]
    drawdowns = top_drawdowns(msft.loc["2000-01-01":], 3)
    assert len(got["drawdowns"]) == 3
    for api, expected in zip(got["drawdowns"], drawdowns, strict=True):
        assert_agree(api, expected, "depth peak start trough durationPeriods durationDays")
        assert api["recovered"] == expected.recovered
    table = period_table(msft, PeriodFrequency.YEAR, spx)
    periods = got["periodReturns"]
    assert periods["frequency"] == "YEAR"
    assert periods["benchmark"] == {"symbol": "SPX"}
    assert periods["columns"]["timestamps"][0] == "1990-01-01T00:00:00Z"
    assert periods["columns"]["strategy"] == pytest.approx(table.strategy.tolist(), rel=1e-9)
    assert table.excess is not None
    assert periods["columns"]["excess"] == pytest.approx(table.excess.tolist(), rel=1e-9)
    assert_agree(got["lookbackReturns"], lookback_returns(msft), "asOf ytd oneYear fiveYears")
    assert_agree(got["lookbackReturns"], lookback_returns(msft), "sinceInceptionAnnualised")
    rolling = rolling_metric(RollingMetric.SHARPE, msft, 126, risk_free=0.01).loc["2022-01-01":]
    assert got["rolling"]["window"] == {
        "start": "2022-01-03T00:00:00+00:00",
        "periods": len(rolling),
    }
    assert got["rolling"]["columns"]["values"] == pytest.approx(rolling.tolist(), rel=1e-9)


async def test_rolling_beta_aligns_with_the_benchmark(
    gql: GraphQLClient,
    strategy_returns: dict[str, pd.Series],
    benchmark_returns: dict[str, pd.Series],
) -> None:
    data = await gql(
        '{ strategy(slug: "stock-xom") { rolling(metric: BETA, periods: 63,'
        " window: {preset: ONE_YEAR}, alignment: INTERSECT) { benchmark { symbol }"
        " alignment { policy overlappingPeriods } columns { values } } } }"
    )
    rolling = data["strategy"]["rolling"]
    xom, spx = strategy_returns["stock-xom"], benchmark_returns["SPX"]
    expected = rolling_metric(
        RollingMetric.BETA, xom, 63, benchmark=spx, policy=AlignmentPolicy.INTERSECT
    ).loc["2021-12-29":]
    assert rolling["benchmark"] == {"symbol": "SPX"}
    assert rolling["alignment"]["policy"] == "INTERSECT"
    assert rolling["columns"]["values"] == pytest.approx(expected.tolist(), rel=1e-9)
    assert all(math.isfinite(v) for v in rolling["columns"]["values"])
