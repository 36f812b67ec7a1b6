"""Calendar-period returns (monthly, yearly) and lookback returns as of the last date.

Calendar periods are UTC calendar months, quarters and years. A period's return compounds
every return dated inside it, so the first and last periods may be partial (they start at
inception or end at the last date).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics._checks import (
    FloatArray,
    bucket_start,
    calendar_key,
    check_series,
    dates,
    values,
)
from services.analytics._stats import annualised, finite
from services.analytics.alignment import AlignmentPolicy, AlignmentReport, aligned
from services.analytics.methodology import resolve_periods_per_year


class PeriodFrequency(enum.Enum):
    """Calendar buckets of a period-returns table."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, eq=False)
class PeriodTable:
    """Compounded returns per calendar period, labelled by the period's first day (UTC).

    ``benchmark`` and ``excess`` (strategy minus benchmark, arithmetic) are None without a
    benchmark; with one, both series were aligned first (``alignment``).
    """

    frequency: PeriodFrequency
    strategy: pd.Series
    benchmark: pd.Series | None = None
    excess: pd.Series | None = None
    alignment: AlignmentReport | None = None


def period_returns(returns: pd.Series, frequency: PeriodFrequency) -> pd.Series:
    """Compounded return of each calendar period that has at least one return."""
    returns = check_series(returns)
    return _bucket(values(returns), dates(returns), frequency, returns.name)


def period_table(
    strategy: pd.Series,
    frequency: PeriodFrequency,
    benchmark: pd.Series | None = None,
    *,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> PeriodTable:
    """Period returns of ``strategy`` and, if given, of ``benchmark`` on aligned dates."""
    if benchmark is None:
        return PeriodTable(frequency, period_returns(strategy, frequency))
    on = aligned(strategy, benchmark, policy)
    s_table = _bucket(on.strategy, on.index, frequency, "strategy")
    b_table = _bucket(on.benchmark, on.index, frequency, "benchmark")
    excess = (s_table - b_table).rename("excess")
    return PeriodTable(frequency, s_table, b_table, excess, on.report)


def _bucket(
    r: FloatArray, index: pd.DatetimeIndex, frequency: PeriodFrequency, name: object
) -> pd.Series:
    if len(r) == 0:
        return pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64, name=name)
    key = calendar_key(index, _MONTHS[frequency])
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    compounded = np.multiply.reduceat(1.0 + r, starts) - 1.0
    labels = bucket_start(key[starts], _MONTHS[frequency])
    return pd.Series(compounded, index=labels, name=name)


_MONTHS = {PeriodFrequency.MONTH: 1, PeriodFrequency.QUARTER: 3, PeriodFrequency.YEAR: 12}


@dataclass(frozen=True)
class LookbackReturns:
    """Returns over trailing windows ending at ``as_of`` (decimal fractions).

    A window ``(start, as_of]`` needs the level at ``start``: the last observation dated at
    or before ``start``. When ``start`` is before the first date (the window starts before
    inception) the return is None. MTD, QTD and YTD start at the end of the previous
    calendar month, quarter or year (UTC); 1M..5Y at the same calendar date 1..60 months
    earlier. ``three_years``, ``five_years`` are annualised over exactly 3 and 5 years;
    ``since_inception_annualised`` uses the period count as ``Metrics.cagr``.
    """

    as_of: pd.Timestamp | None
    mtd: float | None
    qtd: float | None
    ytd: float | None
    one_month: float | None
    three_months: float | None
    six_months: float | None
    one_year: float | None
    three_years: float | None
    five_years: float | None
    since_inception: float | None
    since_inception_annualised: float | None


def lookback_returns(
    returns: pd.Series, *, periods_per_year: float | None = None
) -> LookbackReturns:
    """Lookback returns of ``returns`` as of its last date (see :class:`LookbackReturns`)."""
    returns = check_series(returns)
    index = dates(returns)
    if len(index) == 0:
        return LookbackReturns(None, *([None] * 11))
    ppy, _ = resolve_periods_per_year(index, periods_per_year)
    levels = np.cumprod(1.0 + values(returns), dtype=np.float64)
    last = index[-1]
    month_start = last.normalize().replace(day=1)
    quarter_start = month_start.replace(month=(last.month - 1) // 3 * 3 + 1)
    calendar = pd.DatetimeIndex([month_start, quarter_start, month_start.replace(month=1)])
    trailing = pd.DatetimeIndex([_months_before(last, m) for m in (1, 3, 6, 12, 36, 60)])
    positions = np.concatenate(
        (
            index.searchsorted(calendar, side="left") - 1,
            index.searchsorted(trailing, side="right") - 1,
        )
    )
    mtd, qtd, ytd, m1, m3, m6, y1, y3, y5 = _window_returns(levels, positions)
    total = float(levels[-1] - 1.0)
    return LookbackReturns(
        as_of=last,
        mtd=mtd,
        qtd=qtd,
        ytd=ytd,
        one_month=m1,
        three_months=m3,
        six_months=m6,
        one_year=y1,
        three_years=_annualise(y3, 3.0),
        five_years=_annualise(y5, 5.0),
        since_inception=total,
        since_inception_annualised=annualised(total, len(index), ppy),
    )


def _window_returns(levels: FloatArray, positions: np.ndarray) -> list[float | None]:
    """Return from the level at each position to the last; None for positions before 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = levels[-1] / levels[np.maximum(positions, 0)] - 1.0
    return [None if p < 0 else finite(float(x)) for p, x in zip(positions, ratios, strict=True)]


def _months_before(ts: pd.Timestamp, months: int) -> pd.Timestamp:
    """The same day ``months`` calendar months earlier, clipped to the month's last day."""
    month_index = ts.year * 12 + ts.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(ts.day, calendar.monthrange(year, month + 1)[1])
    return ts.replace(year=year, month=month + 1, day=day)


def _annualise(total: float | None, years: float) -> float | None:
    return None if total is None else annualised(total, years, 1.0)
