"""Rolling-window metrics over a trailing window of ``window`` periods.

Each function returns one value per complete window, dated at the window's last period (so
the result starts at the ``window``-th date; it is empty when there are fewer periods than
``window``). Values are NaN where the statistic is undefined in that window (zero
dispersion, no period below the risk-free rate). Computed on strided views of the data
(``numpy.lib.stride_tricks.sliding_window_view``): no Python loop over windows. Formulas
are those of :mod:`services.analytics.metrics` and :mod:`services.analytics.comparison`.
"""

from __future__ import annotations

import enum
import math

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from services.analytics._checks import FloatArray, check_series, check_window, dates, values
from services.analytics.alignment import AlignmentPolicy, aligned
from services.analytics.methodology import resolve_periods_per_year
from services.analytics.riskfree import RiskFree, per_period_rates

Windows = np.ndarray[tuple[int, int], np.dtype[np.float64]]


class RollingMetric(enum.Enum):
    """Metrics available through :func:`rolling_metric`."""

    VOLATILITY = "volatility"
    SHARPE = "sharpe"
    SORTINO = "sortino"
    BETA = "beta"
    ALPHA = "alpha"
    MAX_DRAWDOWN = "max_drawdown"


def rolling_volatility(
    returns: pd.Series, window: int, *, periods_per_year: float | None = None, ddof: int = 1
) -> pd.Series:
    """Annualised volatility ``std(r, ddof) * sqrt(ppy)`` of each window."""
    r, index, ppy = _prepare(returns, window, periods_per_year)
    w = _windows(r, window)
    return _series(np.std(w, axis=1, ddof=ddof) * math.sqrt(ppy), index, window)


def rolling_sharpe(
    returns: pd.Series,
    window: int,
    *,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
    ddof: int = 1,
) -> pd.Series:
    """Annualised Sharpe ratio of each window; NaN for windows of constant excess return."""
    r, index, ppy = _prepare(returns, window, periods_per_year)
    w = _windows(r - per_period_rates(risk_free, index, ppy)[0], window)
    std = np.std(w, axis=1, ddof=ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(_constant(w), np.nan, w.mean(axis=1) / std * math.sqrt(ppy))
    return _series(out, index, window)


def rolling_sortino(
    returns: pd.Series,
    window: int,
    *,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
) -> pd.Series:
    """Sortino ratio of each window; NaN for windows with no period below the risk-free rate."""
    r, index, ppy = _prepare(returns, window, periods_per_year)
    w = _windows(r - per_period_rates(risk_free, index, ppy)[0], window)
    below = np.minimum(w, 0.0)
    downside = np.sqrt(np.mean(below * below, axis=1)) * math.sqrt(ppy)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(downside > 0.0, w.mean(axis=1) * ppy / downside, np.nan)
    return _series(out, index, window)


def rolling_beta(
    returns: pd.Series,
    benchmark: pd.Series,
    window: int,
    *,
    risk_free: RiskFree | float | None = None,
    periods_per_year: float | None = None,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> pd.Series:
    """Beta ``cov(s - rf, b - rf) / var(b - rf)`` of each window, after aligning the series."""
    s, b, index, _ = _pair(returns, benchmark, window, risk_free, periods_per_year, policy)
    return _series(_beta(s, b), index, window)


def rolling_alpha(
    returns: pd.Series,
    benchmark: pd.Series,
    window: int,
    *,
    risk_free: RiskFree | float | None = None,
    periods_per_year: float | None = None,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> pd.Series:
    """Annualised alpha ``(1 + mean(s_ex - beta * b_ex)) ** ppy - 1`` of each window."""
    s, b, index, ppy = _pair(returns, benchmark, window, risk_free, periods_per_year, policy)
    beta = _beta(s, b)
    residual = s.mean(axis=1) - beta * b.mean(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        out = (1.0 + residual) ** ppy - 1.0
    return _series(out, index, window)


def rolling_max_drawdown(returns: pd.Series, window: int) -> pd.Series:
    """Deepest drawdown (<= 0) within each window, from the level before its first period."""
    r, index, _ = _prepare(returns, window, 252.0)
    levels = np.concatenate(([1.0], np.cumprod(1.0 + r)))
    w = _windows(levels, window + 1)
    peaks = np.maximum.accumulate(w, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.min(w / peaks, axis=1) - 1.0
    return _series(out, index, window)


def rolling_metric(
    metric: RollingMetric,
    returns: pd.Series,
    window: int,
    *,
    benchmark: pd.Series | None = None,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
) -> pd.Series:
    """Dispatch to the rolling function of ``metric`` (BETA and ALPHA need ``benchmark``)."""
    if metric is RollingMetric.VOLATILITY:
        return rolling_volatility(returns, window, periods_per_year=periods_per_year)
    if metric is RollingMetric.SHARPE:
        return rolling_sharpe(
            returns, window, periods_per_year=periods_per_year, risk_free=risk_free
        )
    if metric is RollingMetric.SORTINO:
        return rolling_sortino(
            returns, window, periods_per_year=periods_per_year, risk_free=risk_free
        )
    if metric is RollingMetric.MAX_DRAWDOWN:
        return rolling_max_drawdown(returns, window)
    if benchmark is None:
        raise ValueError(f"rolling {metric.value} needs a benchmark")
    pair = rolling_beta if metric is RollingMetric.BETA else rolling_alpha
    return pair(
        returns,
        benchmark,
        window,
        risk_free=risk_free,
        periods_per_year=periods_per_year,
        policy=policy,
    )


def _prepare(
    returns: pd.Series, window: int, periods_per_year: float | None
) -> tuple[FloatArray, pd.DatetimeIndex, float]:
    check_window(window)
    returns = check_series(returns)
    index = dates(returns)
    ppy, _ = resolve_periods_per_year(index, periods_per_year)
    return values(returns), index, ppy


def _pair(
    returns: pd.Series,
    benchmark: pd.Series,
    window: int,
    risk_free: RiskFree | float | None,
    periods_per_year: float | None,
    policy: AlignmentPolicy,
) -> tuple[Windows, Windows, pd.DatetimeIndex, float]:
    check_window(window)
    on = aligned(returns, benchmark, policy)
    index = on.index
    ppy, _ = resolve_periods_per_year(index, periods_per_year)
    rf, _ = per_period_rates(risk_free, index, ppy)
    return _windows(on.strategy - rf, window), _windows(on.benchmark - rf, window), index, ppy


def _windows(x: FloatArray, window: int) -> Windows:
    if len(x) < window:
        return np.empty((0, window))
    view: Windows = sliding_window_view(x, window)
    return view


def _constant(w: Windows) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
    result: np.ndarray[tuple[int], np.dtype[np.bool_]] = w.max(axis=1) == w.min(axis=1)
    return result


def _beta(s: Windows, b: Windows) -> FloatArray:
    b_res = b - b.mean(axis=1, keepdims=True)
    var = np.mean(b_res * b_res, axis=1)
    cov = np.mean(b_res * s, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(var < 1e-30, np.nan, cov / var)
    return out


def _series(out: FloatArray, index: pd.DatetimeIndex, window: int) -> pd.Series:
    return pd.Series(out, index=index[window - 1 :], dtype=np.float64)
