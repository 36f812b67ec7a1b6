"""Return series: time-weighted returns from NAV, compounding, rebasing, drawdowns, frequency.

All returns are simple periodic returns as decimal fractions (0.01 is 1 %), one per period,
indexed by the period's end on a sorted, unique, tz-aware UTC DatetimeIndex.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.analytics._checks import (
    TICKS_PER_SECOND,
    FloatArray,
    check_index,
    check_series,
    values,
)

TRADING_DAYS_PER_YEAR = 252.0
TRADING_HOURS_PER_DAY = 6.5
_DAY = 86_400.0

# (lower bound in days, upper bound in days, periods per year); bounds are half-open.
_FREQUENCY_BANDS: tuple[tuple[float, float, float], ...] = (
    (0.9, 4.5, 252.0),
    (4.5, 10.0, 52.0),
    (25.0, 35.0, 12.0),
    (80.0, 100.0, 4.0),
    (350.0, 380.0, 1.0),
)


def twr_returns(nav: pd.Series, cash_flow: pd.Series | None = None) -> pd.Series:
    """Time-weighted returns from a NAV series and its external cash flows.

    Parameters
    ----------
    nav : pd.Series
        Net asset value at the end of each period (strictly positive, any currency).
    cash_flow : pd.Series, optional
        External flows (deposits positive, withdrawals negative) in the NAV's currency,
        already included in ``nav`` on their date (end-of-period convention). Dates absent
        from ``cash_flow`` have no flow; every date of ``cash_flow`` must be a NAV date.

    Returns
    -------
    pd.Series
        ``r_t = (nav_t - cf_t) / nav_{t-1} - 1`` as decimal fractions. The first NAV has no
        predecessor, so the result has one value fewer than ``nav`` and starts at its second
        date; a flow on the first date only sets the starting capital and is ignored.
    """
    nav = check_series(nav, "nav")
    levels = values(nav)
    if (levels <= 0).any():
        raise ValueError("nav must be strictly positive")
    flows = np.zeros_like(levels)
    if cash_flow is not None:
        cash_flow = check_series(cash_flow, "cash_flow")
        missing = cash_flow.index.difference(nav.index)
        if len(missing):
            raise ValueError(f"cash_flow has {len(missing)} date(s) without a NAV")
        flows = values(cash_flow.reindex(nav.index, fill_value=0.0))
    returns = (levels[1:] - flows[1:]) / levels[:-1] - 1.0
    return pd.Series(returns, index=nav.index[1:], name=nav.name)


def cumulative_returns(returns: pd.Series) -> pd.Series:
    """Compounded return since the start after each period: ``prod(1 + r) - 1``."""
    returns = check_series(returns)
    return pd.Series(
        np.cumprod(1.0 + values(returns)) - 1.0, index=returns.index, name=returns.name
    )


def rebase(returns: pd.Series, base: float = 100.0) -> pd.Series:
    """The compounded index ``base * prod(1 + r)`` after each period.

    ``base`` is the level before the first return (not itself a point of the result), so the
    first value is ``base * (1 + r_1)``.
    """
    returns = check_series(returns)
    return pd.Series(
        base * np.cumprod(1.0 + values(returns)), index=returns.index, name=returns.name
    )


def drawdown_levels(r: FloatArray) -> FloatArray:
    """Drawdown after each period from raw returns (peak includes the starting level 1)."""
    index = np.multiply.accumulate(1.0 + r)  # np.cumprod, without its dispatch
    peak = np.maximum.accumulate(np.maximum(index, 1.0))
    result: FloatArray = index / peak - 1.0
    return result


def drawdown_series(returns: pd.Series) -> pd.Series:
    """Drawdown from the running peak of the compounded index, as a decimal fraction <= 0.

    The running peak includes the starting level (1 before the first return), as empyrical's
    ``drawdown_series`` does: a first return of -5 % is a drawdown of -5 %.
    """
    returns = check_series(returns)
    return pd.Series(drawdown_levels(values(returns)), index=returns.index, name=returns.name)


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Periods per year implied by the median spacing of ``index``.

    Median spacing in calendar days ``d`` is mapped to:

    - ``d < 0.9`` (intraday): ``252 * 6.5 h / d_hours`` (a US equity session of 6.5 trading
      hours, 252 sessions a year), e.g. hourly bars give 1638;
    - ``0.9 <= d < 4.5`` (daily): 252 for business-day data, 365 when more than 10 % of
      observations fall on a Saturday or Sunday (calendar-day data such as crypto);
    - ``4.5 <= d < 10``: 52 (weekly); ``25 <= d < 35``: 12 (monthly); ``80 <= d < 100``: 4
      (quarterly); ``350 <= d < 380``: 1 (yearly);
    - anything else: ``365.25 / d``.

    Raises ValueError for fewer than two dates.
    """
    check_index(index, "index")
    if len(index) < 2:
        raise ValueError("need at least two dates to infer periods per year")
    return periods_per_year_of(index)


def periods_per_year_of(index: pd.DatetimeIndex) -> float:
    """:func:`infer_periods_per_year` of an already checked index of at least two dates."""
    seconds = index.asi8 / TICKS_PER_SECOND[index.unit]
    spacing = (seconds[1:] - seconds[:-1]) / _DAY
    days = _median(spacing)
    if days < 0.9:
        return TRADING_DAYS_PER_YEAR * TRADING_HOURS_PER_DAY / (days * 24.0)
    for low, high, periods in _FREQUENCY_BANDS:
        if low <= days < high:
            if periods == TRADING_DAYS_PER_YEAR and _weekend_share(seconds) > 0.1:
                return 365.0
            return periods
    return 365.25 / days


def _median(x: FloatArray) -> float:
    """``np.median`` of a NaN-free array, exactly (the middle value, or the mean of the two
    middle ones), without its generic machinery: it runs for every metric and comparison."""
    ordered = np.sort(x)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return float((ordered[mid - 1] + ordered[mid]) / 2.0)


def _weekend_share(seconds: FloatArray) -> float:
    # 1970-01-01 was a Thursday (weekday 3, Monday being 0)
    weekday = (np.floor(seconds / _DAY).astype(np.int64) + 3) % 7  # whole days: exact
    return int(np.count_nonzero(weekday >= 5)) / len(weekday)
