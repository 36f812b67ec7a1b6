"""Risk and return metrics of one return series.

Conventions follow empyrical where it has one (see ``docs/analytics.md`` for each choice and
the deliberate differences). Returns are simple periodic decimal fractions; annualised
numbers use ``periods_per_year``; undefined statistics are None, never NaN or infinite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics import _stats
from services.analytics._checks import FloatArray, Stamps, checked, dates
from services.analytics._stats import Sample
from services.analytics.drawdowns import Drawdown, deepest
from services.analytics.methodology import Methodology, resolve_checked
from services.analytics.returns import drawdown_levels
from services.analytics.riskfree import RiskFree, rates_on


@dataclass(frozen=True)
class Metrics:
    """Metrics of one return series over its whole index.

    All values are decimal fractions (0.1 is 10 %) or plain ratios; None when undefined.

    Attributes
    ----------
    start, end : pd.Timestamp or None
        First and last period dates (None when empty).
    periods : int
        Number of returns.
    total_return : float or None
        ``prod(1 + r) - 1``.
    cagr : float or None
        ``(1 + total_return) ** (periods_per_year / periods) - 1`` (from the period count, as
        empyrical's ``annual_return``); -1 after a total loss; needs one period.
    annual_volatility : float or None
        ``std(r, ddof) * sqrt(periods_per_year)``; needs two periods.
    sharpe : float or None
        ``mean(r - rf) / std(r - rf, ddof) * sqrt(periods_per_year)``, rf per period; None
        with zero dispersion.
    sortino : float or None
        ``mean(r - rf) * ppy / downside_deviation``; None when no period is below rf.
    downside_deviation : float or None
        ``sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(ppy)``, the mean over all periods.
    calmar : float or None
        ``cagr / abs(max_drawdown)``; None without a drawdown.
    omega : float or None
        Sum of gains over the threshold / sum of losses under it; None without losses.
    max_drawdown : float or None
        Deepest drawdown (<= 0; 0.0 when never under water).
    max_drawdown_period : Drawdown or None
        The deepest episode with its dates; None when never under water.
    var_historical, cvar_historical, var_parametric, cvar_parametric : float or None
        Per-period VaR/CVaR at ``methodology.var_level`` as returns (negative is a loss).
    skew, kurtosis : float or None
        Population skewness and excess kurtosis (scipy's biased defaults); need 3 periods
        and non-zero dispersion.
    tail_ratio : float or None
        ``abs(95th percentile) / abs(5th percentile)``.
    stability : float or None
        R² of cumulative log returns against time.
    best_period, worst_period : float or None
        Highest and lowest single-period return, with ``best_date`` and ``worst_date``.
    win_rate : float or None
        Positive periods / non-zero periods (flat periods are neither win nor loss).
    average_win, average_loss : float or None
        Mean positive return and mean negative return (the latter < 0).
    methodology : Methodology
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    periods: int
    total_return: float | None
    cagr: float | None
    annual_volatility: float | None
    sharpe: float | None
    sortino: float | None
    downside_deviation: float | None
    calmar: float | None
    omega: float | None
    max_drawdown: float | None
    max_drawdown_period: Drawdown | None
    var_historical: float | None
    cvar_historical: float | None
    var_parametric: float | None
    cvar_parametric: float | None
    skew: float | None
    kurtosis: float | None
    tail_ratio: float | None
    stability: float | None
    best_period: float | None
    best_date: pd.Timestamp | None
    worst_period: float | None
    worst_date: pd.Timestamp | None
    win_rate: float | None
    average_win: float | None
    average_loss: float | None
    methodology: Methodology


def compute_metrics(
    returns: pd.Series,
    *,
    periods_per_year: float | None = None,
    risk_free: RiskFree | float | None = None,
    var_level: float = 0.95,
    ddof: int = 1,
    omega_threshold: float = 0.0,
) -> Metrics:
    """Compute :class:`Metrics` for ``returns``.

    Parameters
    ----------
    returns : pd.Series
        Simple periodic returns (decimal fractions) on a sorted, unique UTC DatetimeIndex,
        without NaN (ValueError otherwise, with the count).
    periods_per_year : float, optional
        Annualisation factor; inferred from the index spacing when None
        (:func:`~services.analytics.returns.infer_periods_per_year`).
    risk_free : RiskFree or float, optional
        Annual risk-free rate (a float is a constant); None is zero.
    var_level : float
        VaR/CVaR confidence level in (0, 1); 0.95 looks at the worst 5 % of periods.
    ddof : int
        Delta degrees of freedom of standard deviations (1, empyrical's choice, by default).
    omega_threshold : float
        Annual minimum acceptable return of the Omega ratio.
    """
    if not 0.0 < var_level < 1.0:
        raise ValueError(f"var_level must be in (0, 1), got {var_level}")
    if ddof < 0:
        raise ValueError(f"ddof must be >= 0, got {ddof}")
    returns, r = checked(returns)
    index = dates(returns)
    ppy, source = resolve_checked(index, periods_per_year)
    rf, rf_used = rates_on(risk_free, index, ppy)
    methodology = Methodology(
        ppy, source, ddof, rf_used, var_level=var_level, omega_threshold=omega_threshold
    )
    return _metrics(r, rf, Stamps(index), methodology)


def _metrics(r: FloatArray, rf: FloatArray, stamps: Stamps, m: Methodology) -> Metrics:
    ppy, n = m.periods_per_year, len(r)
    sample = Sample(r)
    # Without a risk-free rate (all zeros) the excess returns are the returns, bit for bit.
    excess = Sample(r - rf) if np.count_nonzero(rf) else sample
    tail = round(1.0 - m.var_level, 12)
    ordered = np.sort(r)
    dd = drawdown_levels(r)
    total = _stats.total_return(r)
    cagr = _stats.cagr_of(total, n, ppy)
    max_dd = float(dd.min()) if n else None
    var_h, cvar_h = _stats.historical_var(ordered, tail)
    var_p, cvar_p = _stats.parametric_var(sample, tail, m.ddof)
    skew, kurt = _stats.moments(sample)
    signs = _stats.split(r)
    wins, losses = len(signs.gains), len(signs.losses)
    downside = _stats.downside_deviation(excess.r, ppy)
    return Metrics(
        start=stamps[0] if n else None,
        end=stamps[n - 1] if n else None,
        periods=n,
        total_return=total,
        cagr=cagr,
        annual_volatility=_stats.volatility(sample, ppy, m.ddof),
        sharpe=_stats.sharpe(excess, ppy, m.ddof),
        sortino=_stats.sortino(excess, downside, ppy),
        downside_deviation=downside,
        calmar=_stats.finite(cagr / -max_dd) if cagr is not None and max_dd else None,
        omega=_stats.omega(r, m.omega_threshold, ppy, signs),
        max_drawdown=max_dd,
        max_drawdown_period=deepest(dd, stamps),
        var_historical=var_h,
        cvar_historical=cvar_h,
        var_parametric=var_p,
        cvar_parametric=cvar_p,
        skew=skew,
        kurtosis=kurt,
        tail_ratio=_stats.tail_ratio(ordered),
        stability=_stats.stability(sample),
        best_period=float(ordered[-1]) if n else None,
        best_date=stamps[int(r.argmax())] if n else None,
        worst_period=float(ordered[0]) if n else None,
        worst_date=stamps[int(r.argmin())] if n else None,
        win_rate=wins / (wins + losses) if wins + losses else None,
        average_win=signs.gain_sum / wins if wins else None,
        average_loss=signs.loss_sum / losses if losses else None,
        methodology=m,
    )
