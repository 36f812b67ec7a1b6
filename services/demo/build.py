"""Pure builders for the demo benchmarks and strategies.

Everything here reads the gzipped CSVs shipped in ``services/demo/data`` and returns
plain dataclasses holding pandas Series; nothing touches a database. The methods and
conventions are described in ``docs/demo-data.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

BenchmarkKind = Literal["EQUITY_INDEX", "BOND_INDEX", "CASH", "BLEND"]
ReturnBasis = Literal["PRICE", "TOTAL_RETURN"]

TRADING_DAYS_PER_YEAR = 252
START_NAV = 10_000_000.0

_SP500_INDEX = "sp500_index_daily.csv.gz"
_FACTOR_ETFS = "factor_etfs_daily.csv.gz"
_STOCKS = "sp500_stocks_daily.csv.gz"
_TREASURY_YIELDS = "us_treasury_yields_daily.csv.gz"


# eq=False: the generated __eq__/__hash__ would compare or hash the Series fields,
# which raises; identity semantics are the useful ones for these records.
@dataclass(frozen=True, eq=False)
class DemoBenchmark:
    """A demo benchmark and its level history.

    ``levels`` holds float levels on a sorted, unique, tz-aware UTC DatetimeIndex
    (midnight UTC of each trading date). Blends have no levels of their own: they are
    defined by ``components`` (symbol, weight) and ``rebalance``.
    """

    symbol: str
    name: str
    kind: BenchmarkKind
    return_basis: ReturnBasis
    currency: str
    description: str
    levels: pd.Series
    components: tuple[tuple[str, float], ...] = ()
    rebalance: str | None = None


@dataclass(frozen=True, eq=False)
class DemoStrategy:
    """A demo strategy: a fund holding one instrument.

    ``navs`` is the NAV in ``base_currency``; ``cash_flows`` is the external cash flow on
    the same index (positive for a subscription, negative for a redemption, 0.0 on most
    dates), so that the time-weighted returns ``(nav_t - cash_flow_t) / nav_{t-1} - 1``
    equal the instrument's price returns.
    """

    slug: str
    name: str
    description: str
    asset_class: str
    base_currency: str
    benchmark_symbol: str
    navs: pd.Series
    cash_flows: pd.Series


def bond_index_levels(
    yields: pd.Series, *, maturity_years: float = 10.0, start_level: float = 100.0
) -> pd.Series:
    """Model a constant-maturity Treasury total-return index from par yields.

    Parameters
    ----------
    yields : pd.Series
        Par yields as decimals (0.05 is 5%), one per trading date, on a sorted index.
        Dates with a missing yield are dropped: the index has no level on them, and the
        next return is computed from the last available yield.
    maturity_years : float
        Constant maturity ``T`` of the modelled bond, in years.
    start_level : float
        Level on the first date with a yield.

    Returns
    -------
    pd.Series
        Float levels on the dates with a yield (the input index, NaN rows removed).

    Notes
    -----
    Modified duration of a par bond with semiannual coupons,
    ``D = (1 - (1 + y/2) ** (-2T)) / y`` (``D = T`` at ``y = 0``), and daily return
    ``r_t = y_{t-1} / 252 - D_{t-1} * (y_t - y_{t-1})``: carry plus price change,
    convexity ignored.
    """
    clean = _clean_yields(yields)
    duration = _par_modified_duration(clean, maturity_years)
    carry = clean.shift(1) / TRADING_DAYS_PER_YEAR
    price_change = -duration.shift(1) * clean.diff()
    return _compound(carry + price_change, start_level)


def bill_index_levels(yields: pd.Series, *, start_level: float = 100.0) -> pd.Series:
    """Model a cash (T-bill) index that accrues the previous day's yield.

    Parameters
    ----------
    yields : pd.Series
        Annualised yields as decimals, one per trading date, on a sorted index. Dates
        with a missing yield are dropped, as in :func:`bond_index_levels`.
    start_level : float
        Level on the first date with a yield.

    Returns
    -------
    pd.Series
        Float levels on the dates with a yield.

    Notes
    -----
    Day count: each trading day accrues ``y_{t-1} / 252``, whatever the calendar gap.
    """
    clean = _clean_yields(yields)
    return _compound(clean.shift(1) / TRADING_DAYS_PER_YEAR, start_level)


def holding_fund(
    prices: pd.Series, *, start_nav: float, cash_flows: Mapping[pd.Timestamp, float]
) -> tuple[pd.Series, pd.Series]:
    """NAV and cash flows of a fund fully invested in one instrument.

    Parameters
    ----------
    prices : pd.Series
        Positive prices of the instrument on a sorted, unique index, no NaN.
    start_nav : float
        NAV on the first date; it buys ``start_nav / price_0`` units.
    cash_flows : Mapping[pd.Timestamp, float]
        External flows by date (positive subscribes, negative redeems). Each date must be
        in ``prices.index`` after the first one. A flow ``CF`` on date ``t`` trades
        ``CF / price_t`` units at that day's price.

    Returns
    -------
    tuple[pd.Series, pd.Series]
        ``(navs, flows)`` on ``prices.index``: ``nav_t = units_t * price_t`` and the flow
        on each date (0.0 on most). ``(nav_t - flow_t) / nav_{t-1} - 1`` equals
        ``price_t / price_{t-1} - 1``.
    """
    off_calendar = [str(when) for when in cash_flows if when not in prices.index[1:]]
    if off_calendar:
        raise ValueError(
            f"cash flow dates not among the trading dates after the first: {off_calendar}"
        )
    flows = pd.Series(dict(cash_flows), dtype="float64")
    flows = flows.reindex(prices.index, fill_value=0.0).rename("cash_flow")
    units = start_nav / prices.iloc[0] + (flows / prices).cumsum()
    if (units <= 0).any():
        raise ValueError("a redemption exceeds the fund's NAV")
    return (units * prices).rename("nav"), flows


def demo_benchmarks() -> list[DemoBenchmark]:
    """Build the demo benchmarks: SPX, UST10Y_TR, TBILL_3M and BLEND_60_40."""
    yields = _read_csv(_TREASURY_YIELDS)
    spx = _price_series(_read_csv(_SP500_INDEX), "close")
    return [
        DemoBenchmark(
            symbol="SPX",
            name="S&P 500",
            kind="EQUITY_INDEX",
            return_basis="PRICE",
            currency="USD",
            description="S&P 500 price index, daily close; dividends are not included.",
            levels=spx.rename("level"),
        ),
        DemoBenchmark(
            symbol="UST10Y_TR",
            name="Modelled 10-year US Treasury total-return index",
            kind="BOND_INDEX",
            return_basis="TOTAL_RETURN",
            currency="USD",
            description=(
                "Modelled constant-maturity index, not a traded fund: built from the "
                "10-year Treasury constant-maturity yield as carry plus duration times the "
                "yield change (par bond, semiannual coupons, convexity ignored)."
            ),
            levels=bond_index_levels(yields["10year"]).rename("level"),
        ),
        DemoBenchmark(
            symbol="TBILL_3M",
            name="Modelled 3-month US Treasury bill index",
            kind="CASH",
            return_basis="TOTAL_RETURN",
            currency="USD",
            description=(
                "Modelled cash index accruing the previous day's 3-month Treasury "
                "constant-maturity yield, y/252 per trading day."
            ),
            levels=bill_index_levels(yields["3month"]).rename("level"),
        ),
        DemoBenchmark(
            symbol="BLEND_60_40",
            name="60/40 blend: S&P 500 / modelled 10-year Treasury",
            kind="BLEND",
            # The equity leg leaves dividends out, so the blend is not a total return.
            return_basis="PRICE",
            currency="USD",
            description=(
                "60% SPX and 40% UST10Y_TR, rebalanced to target weights monthly. The equity "
                "leg is a price index (no dividends); the bond leg is a total return."
            ),
            levels=_empty_levels(),
            components=(("SPX", 0.6), ("UST10Y_TR", 0.4)),
            rebalance="MONTHLY",
        ),
    ]


def demo_strategies() -> list[DemoStrategy]:
    """Build the demo strategies: five factor ETFs and five single-stock sleeves."""
    frames = {_FACTOR_ETFS: _read_csv(_FACTOR_ETFS), _STOCKS: _read_csv(_STOCKS)}
    return [_build_strategy(spec, frames[spec.file]) for spec in _STRATEGIES]


class _StrategySpec(NamedTuple):
    slug: str
    name: str
    description: str
    file: str
    column: str
    cash_flows: tuple[tuple[str, float], ...] = ()


def _etf(slug: str, factor: str, column: str, *flows: tuple[str, float]) -> _StrategySpec:
    description = (
        f"Demo fund fully invested in the iShares US {factor.lower()} factor ETF "
        f"({column}); NAV follows the ETF's adjusted close."
    )
    name = f"US {factor} Factor ({column})"
    return _StrategySpec(slug, name, description, _FACTOR_ETFS, column, flows)


def _stock(slug: str, company: str, column: str) -> _StrategySpec:
    description = (
        f"Demo sleeve holding a single stock, {company} ({column}); "
        "NAV follows the stock's adjusted close."
    )
    name = f"Single-stock sleeve: {company} ({column})"
    return _StrategySpec(slug, name, description, _STOCKS, column)


_STRATEGIES: tuple[_StrategySpec, ...] = (
    _etf("us-momentum-mtum", "Momentum", "MTUM", ("2016-06-01", 5e6), ("2020-06-01", -4e6)),
    _etf("us-quality-qual", "Quality", "QUAL", ("2017-09-01", 3e6), ("2021-03-01", -2e6)),
    _etf("us-size-size", "Size", "SIZE"),
    _etf(
        "us-min-vol-usmv", "Minimum Volatility", "USMV", ("2020-03-16", -2.5e6), ("2022-06-01", 4e6)
    ),
    _etf("us-value-vlue", "Value", "VLUE"),
    _stock("stock-aapl", "Apple", "AAPL"),
    _stock("stock-jpm", "JPMorgan Chase", "JPM"),
    _stock("stock-xom", "Exxon Mobil", "XOM"),
    _stock("stock-ko", "Coca-Cola", "KO"),
    _stock("stock-msft", "Microsoft", "MSFT"),
)


def _build_strategy(spec: _StrategySpec, frame: pd.DataFrame) -> DemoStrategy:
    prices = _price_series(frame, spec.column)
    flows = {pd.Timestamp(day, tz="UTC"): amount for day, amount in spec.cash_flows}
    navs, cash_flows = holding_fund(prices, start_nav=START_NAV, cash_flows=flows)
    return DemoStrategy(
        slug=spec.slug,
        name=spec.name,
        description=spec.description,
        asset_class="EQUITY",
        base_currency="USD",
        benchmark_symbol="SPX",
        navs=navs,
        cash_flows=cash_flows,
    )


def _read_csv(name: str) -> pd.DataFrame:
    with (files("services.demo") / "data" / name).open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", index_col="date")
    index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="%Y-%m-%d"), name="ts")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ValueError(f"{name}: dates are not sorted and unique")
    frame.index = index.tz_localize("UTC")
    return frame.astype("float64")


def _price_series(frame: pd.DataFrame, column: str) -> pd.Series:
    prices = frame[column]
    first = prices.first_valid_index()
    if first is None:
        raise ValueError(f"{column}: no prices")
    prices = prices.loc[first:]
    if prices.isna().any() or (prices <= 0).any():
        raise ValueError(f"{column}: missing or non-positive prices after the first")
    return prices.rename(column)


def _clean_yields(yields: pd.Series) -> pd.Series:
    clean = yields.dropna().astype("float64")
    if not np.isfinite(clean.to_numpy()).all():
        raise ValueError("yields must be finite")
    if not (clean.index.is_monotonic_increasing and clean.index.is_unique):
        raise ValueError("yields must be on a sorted, unique index")
    return clean


def _par_modified_duration(yields: pd.Series, maturity_years: float) -> pd.Series:
    periods = 2.0 * maturity_years
    safe = yields.where(yields != 0.0, 1.0)
    duration = (1.0 - (1.0 + safe / 2.0) ** (-periods)) / safe
    return duration.where(yields != 0.0, maturity_years)


def _compound(returns: pd.Series, start_level: float) -> pd.Series:
    # Only the first return is undefined (no previous yield): the index starts there.
    return start_level * (1.0 + returns.fillna(0.0)).cumprod()


def _empty_levels() -> pd.Series:
    index = pd.DatetimeIndex([], tz="UTC", name="ts")
    return pd.Series([], index=index, dtype="float64", name="level")
