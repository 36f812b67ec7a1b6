"""A strategy against a benchmark on an aligned calendar.

Benchmark-relative statistics follow empyrical's conventions where it has one: beta is
``cov / var``; alpha compounds the mean per-period residual, ``(1 + mean) ** ppy - 1``;
capture ratios are ratios of CAGRs over the up (benchmark > 0) or down (benchmark < 0)
periods; the batting average is the share of periods with a positive active return.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics import _stats
from services.analytics._checks import FloatArray
from services.analytics._stats import Sample
from services.analytics.alignment import AlignmentPolicy, AlignmentReport, aligned
from services.analytics.methodology import Methodology, resolve_checked
from services.analytics.riskfree import RiskFree, rates_on


@dataclass(frozen=True, eq=False)
class Comparison:
    """A strategy compared with a benchmark over their aligned periods.

    Returns are decimal fractions; annualised values use ``methodology.periods_per_year``;
    None where undefined (too few periods, a constant benchmark, zero tracking error).

    Attributes
    ----------
    periods : int
        Aligned periods.
    strategy_return, benchmark_return : float or None
        Total compounded returns over the aligned periods.
    excess_return : float or None
        ``strategy_return - benchmark_return`` (arithmetic difference of totals).
    strategy_cagr, benchmark_cagr : float or None
        Annualised from the period count, as ``Metrics.cagr``.
    excess_cagr : float or None
        ``strategy_cagr - benchmark_cagr``.
    alpha : float or None
        ``(1 + mean(s - rf - beta * (b - rf))) ** ppy - 1``.
    beta : float or None
        ``cov(s - rf, b - rf) / var(b - rf)``.
    correlation, r_squared : float or None
        Pearson correlation of the aligned returns, and its square.
    tracking_error : float or None
        ``std(s - b, ddof) * sqrt(ppy)``.
    information_ratio : float or None
        ``mean(s - b) / std(s - b, ddof) * sqrt(ppy)``.
    up_capture, down_capture : float or None
        CAGR of the strategy / CAGR of the benchmark over the periods where the benchmark
        rose (fell).
    batting_average : float or None
        Share of periods with ``s > b``.
    treynor : float or None
        ``(strategy_cagr - rf_cagr) / beta``, ``rf_cagr`` the risk-free rate compounded over
        the same periods and annualised the same way.
    strategy_index, benchmark_index : pd.Series
        Both rebased to 100 (the level before the first aligned period).
    relative : pd.Series
        ``strategy_index / benchmark_index * 100``.
    outperforming : bool or None
        Whether ``strategy_return > benchmark_return``.
    alignment : AlignmentReport
    methodology : Methodology
    """

    periods: int
    strategy_return: float | None
    benchmark_return: float | None
    excess_return: float | None
    strategy_cagr: float | None
    benchmark_cagr: float | None
    excess_cagr: float | None
    alpha: float | None
    beta: float | None
    correlation: float | None
    r_squared: float | None
    tracking_error: float | None
    information_ratio: float | None
    up_capture: float | None
    down_capture: float | None
    batting_average: float | None
    treynor: float | None
    strategy_index: pd.Series
    benchmark_index: pd.Series
    relative: pd.Series
    outperforming: bool | None
    alignment: AlignmentReport
    methodology: Methodology


def compare(
    strategy_returns: pd.Series,
    benchmark_returns: pd.Series,
    *,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
    ddof: int = 1,
) -> Comparison:
    """Compare ``strategy_returns`` with ``benchmark_returns`` after aligning them.

    ``periods_per_year`` is inferred from the aligned index when None; ``risk_free`` is an
    annual rate or a :class:`RiskFree` (None is zero).
    """
    on = aligned(strategy_returns, benchmark_returns, policy)
    index = on.index
    ppy, source = resolve_checked(index, periods_per_year)
    rf, rf_used = rates_on(risk_free, index, ppy)
    methodology = Methodology(ppy, source, ddof, rf_used, alignment_policy=policy)
    return _comparison(on.strategy, on.benchmark, rf, index, on.report, methodology)


def _comparison(
    s: FloatArray,
    b: FloatArray,
    rf: FloatArray,
    index: pd.DatetimeIndex,
    report: AlignmentReport,
    methodology: Methodology,
) -> Comparison:
    ppy, ddof, n = methodology.periods_per_year, methodology.ddof, len(s)
    s_growth, b_growth = 1.0 + s, 1.0 + b
    s_total, b_total = _stats.compounded(s_growth), _stats.compounded(b_growth)
    s_cagr, b_cagr = _stats.cagr_of(s_total, n, ppy), _stats.cagr_of(b_total, n, ppy)
    strategy, benchmark = Sample(s), Sample(b)
    # Without a risk-free rate (all zeros) the excess returns are the returns, bit for bit.
    has_rf = np.count_nonzero(rf) > 0
    s_ex = Sample(s - rf) if has_rf else strategy
    b_ex = Sample(b - rf) if has_rf else benchmark
    beta = _stats.beta(s_ex, b_ex)
    corr = _stats.correlation(strategy, benchmark)
    active = Sample(s - b)
    up, down = b > 0.0, b < 0.0
    s_index = 100.0 * np.multiply.accumulate(s_growth)
    b_index = 100.0 * np.multiply.accumulate(b_growth)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = s_index / b_index * 100.0
    return Comparison(
        periods=n,
        strategy_return=s_total,
        benchmark_return=b_total,
        excess_return=_diff(s_total, b_total),
        strategy_cagr=s_cagr,
        benchmark_cagr=b_cagr,
        excess_cagr=_diff(s_cagr, b_cagr),
        alpha=None if beta is None else _stats.alpha(s_ex.r, b_ex.r, beta, ppy),
        beta=beta,
        correlation=corr,
        r_squared=None if corr is None else corr * corr,
        tracking_error=_stats.volatility(active, ppy, ddof),
        information_ratio=_stats.sharpe(active, ppy, ddof),
        up_capture=_stats.capture(s_growth[up], b_growth[up], ppy),
        down_capture=_stats.capture(s_growth[down], b_growth[down], ppy),
        batting_average=int(np.count_nonzero(active.r > 0.0)) / n if n else None,
        treynor=_treynor(s_cagr, rf, beta, ppy),
        strategy_index=_series(s_index, index, "strategy"),
        benchmark_index=_series(b_index, index, "benchmark"),
        relative=_series(relative, index, "relative"),
        outperforming=None if s_total is None or b_total is None else s_total > b_total,
        alignment=report,
        methodology=methodology,
    )


def _series(x: FloatArray, index: pd.DatetimeIndex, name: str) -> pd.Series:
    # x is a new array no one else holds: no need for pandas' defensive copy
    return pd.Series(x, index=index, name=name, copy=False)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _treynor(s_cagr: float | None, rf: FloatArray, beta: float | None, ppy: float) -> float | None:
    rf_cagr = _stats.cagr(rf, ppy)
    if s_cagr is None or rf_cagr is None or beta is None or math.isclose(beta, 0.0, abs_tol=1e-12):
        return None
    return _stats.finite((s_cagr - rf_cagr) / beta)


def compare_many(
    strategies: Mapping[str, pd.Series],
    benchmark_returns: pd.Series,
    *,
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
    ddof: int = 1,
) -> dict[str, Comparison]:
    """:func:`compare` for several strategies against one benchmark, keyed like ``strategies``.

    Each strategy is aligned with the benchmark on its own (their calendars may differ).
    """
    return {
        key: compare(
            returns,
            benchmark_returns,
            policy=policy,
            periods_per_year=periods_per_year,
            risk_free=risk_free,
            ddof=ddof,
        )
        for key, returns in strategies.items()
    }
