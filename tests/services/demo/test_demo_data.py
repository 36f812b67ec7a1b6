"""The demo data set built from the shipped market history."""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from services.demo import DemoBenchmark, DemoStrategy, demo_benchmarks, demo_strategies

INSTRUMENTS = {
    "us-momentum-mtum": ("factor_etfs_daily.csv.gz", "MTUM"),
    "us-quality-qual": ("factor_etfs_daily.csv.gz", "QUAL"),
    "us-size-size": ("factor_etfs_daily.csv.gz", "SIZE"),
    "us-min-vol-usmv": ("factor_etfs_daily.csv.gz", "USMV"),
    "us-value-vlue": ("factor_etfs_daily.csv.gz", "VLUE"),
    "stock-aapl": ("sp500_stocks_daily.csv.gz", "AAPL"),
    "stock-jpm": ("sp500_stocks_daily.csv.gz", "JPM"),
    "stock-xom": ("sp500_stocks_daily.csv.gz", "XOM"),
    "stock-ko": ("sp500_stocks_daily.csv.gz", "KO"),
    "stock-msft": ("sp500_stocks_daily.csv.gz", "MSFT"),
}
WITH_CASH_FLOWS = {"us-momentum-mtum", "us-quality-qual", "us-min-vol-usmv"}


@pytest.fixture(scope="module")
def benchmarks() -> dict[str, DemoBenchmark]:
    return {b.symbol: b for b in demo_benchmarks()}


@pytest.fixture(scope="module")
def strategies() -> dict[str, DemoStrategy]:
    return {s.slug: s for s in demo_strategies()}


def _instrument_prices(slug: str) -> pd.Series:
    name, column = INSTRUMENTS[slug]
    with (files("services.demo") / "data" / name).open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", index_col="date")
    prices = frame[column].dropna()
    prices.index = pd.DatetimeIndex(pd.to_datetime(prices.index)).tz_localize("UTC")
    return prices


def _assert_clean_series(series: pd.Series) -> None:
    index = series.index
    assert isinstance(index, pd.DatetimeIndex)
    assert str(index.tz) == "UTC"
    assert (index == index.normalize()).all()
    assert index.is_monotonic_increasing
    assert index.is_unique
    assert series.dtype == np.float64


def test_symbols_and_slugs(
    benchmarks: dict[str, DemoBenchmark], strategies: dict[str, DemoStrategy]
) -> None:
    assert list(benchmarks) == ["SPX", "UST10Y_TR", "TBILL_3M", "BLEND_60_40"]
    assert set(strategies) == set(INSTRUMENTS)


def test_benchmark_levels_are_clean(benchmarks: dict[str, DemoBenchmark]) -> None:
    for benchmark in benchmarks.values():
        _assert_clean_series(benchmark.levels)
        assert np.isfinite(benchmark.levels.to_numpy()).all()
        assert (benchmark.levels > 0).all()
        assert benchmark.levels.empty == (benchmark.kind == "BLEND")


def test_blend_components_are_defined_benchmarks(benchmarks: dict[str, DemoBenchmark]) -> None:
    blend = benchmarks["BLEND_60_40"]
    assert blend.components == (("SPX", 0.6), ("UST10Y_TR", 0.4))
    assert blend.rebalance == "MONTHLY"
    assert sum(weight for _, weight in blend.components) == pytest.approx(1.0, abs=1e-15)
    for symbol, _ in blend.components:
        assert symbol in benchmarks
        assert benchmarks[symbol].kind != "BLEND"


def test_modelled_bond_index_matches_published_figures(
    benchmarks: dict[str, DemoBenchmark],
) -> None:
    levels = benchmarks["UST10Y_TR"].levels
    years = pd.DatetimeIndex(levels.index).year
    assert (years[0], years[-1]) == (1990, 2017)
    returns = levels.pct_change().dropna()
    cagr = (levels.iloc[-1] / levels.iloc[0]) ** (252 / len(returns)) - 1
    volatility = returns.std(ddof=1) * np.sqrt(252)
    year_ends = levels.groupby(years).last()
    yearly = year_ends.pct_change()
    assert cagr == pytest.approx(0.060, abs=1e-3)
    assert volatility == pytest.approx(0.075, abs=1e-3)
    for year, expected in {1994: -0.076, 1995: 0.252, 2008: 0.195, 2013: -0.088}.items():
        assert yearly[year] == pytest.approx(expected, abs=1e-3)


def test_strategy_series_are_clean(
    strategies: dict[str, DemoStrategy], benchmarks: dict[str, DemoBenchmark]
) -> None:
    for strategy in strategies.values():
        _assert_clean_series(strategy.navs)
        _assert_clean_series(strategy.cash_flows)
        assert strategy.cash_flows.index.equals(strategy.navs.index)
        assert np.isfinite(strategy.navs.to_numpy()).all()
        assert np.isfinite(strategy.cash_flows.to_numpy()).all()
        assert (strategy.navs > 0).all()
        assert strategy.navs.iloc[0] == pytest.approx(10_000_000.0, rel=1e-15)
        assert strategy.cash_flows.iloc[0] == 0.0
        assert strategy.benchmark_symbol in benchmarks
        assert strategy.base_currency == "USD"


@pytest.mark.parametrize("slug", sorted(INSTRUMENTS))
def test_time_weighted_return_is_the_instrument_return(
    strategies: dict[str, DemoStrategy], slug: str
) -> None:
    strategy = strategies[slug]
    prices = _instrument_prices(slug)
    assert strategy.navs.index.equals(prices.index)
    navs, flows = strategy.navs, strategy.cash_flows
    twr = ((navs - flows) / navs.shift(1) - 1).iloc[1:]
    price_return = (prices / prices.shift(1) - 1).iloc[1:]
    assert np.abs(twr - price_return).max() < 1e-12


@pytest.mark.parametrize("slug", sorted(WITH_CASH_FLOWS))
def test_nav_jumps_by_the_cash_flow(strategies: dict[str, DemoStrategy], slug: str) -> None:
    strategy = strategies[slug]
    prices = _instrument_prices(slug)
    flows = strategy.cash_flows[strategy.cash_flows != 0.0]
    assert (flows > 0).any()
    assert (flows < 0).any()
    growth = strategy.navs.shift(1) * prices / prices.shift(1)
    jumps = (strategy.navs - growth).loc[flows.index]
    assert jumps.to_numpy() == pytest.approx(flows.to_numpy(), rel=1e-9)


def test_other_strategies_have_no_cash_flows(strategies: dict[str, DemoStrategy]) -> None:
    for slug in set(INSTRUMENTS) - WITH_CASH_FLOWS:
        assert (strategies[slug].cash_flows == 0.0).all()
