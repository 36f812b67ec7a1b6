"""Analytics results from loaded returns: one function per result kind.

The loaders fetch :class:`~services.returns.WindowedReturns` in batches; the functions here
turn them into results with :mod:`services.analytics` and nothing else (no I/O), so a cache
can sit in front of each of them keyed by its inputs and their data versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.analytics import (
    AlignmentPolicy,
    AlignmentReport,
    Comparison,
    Drawdown,
    LookbackReturns,
    Metrics,
    PeriodFrequency,
    PeriodTable,
    RiskFree,
    RollingMetric,
    align,
    compare,
    compute_metrics,
    lookback_returns,
    period_table,
    rolling_metric,
    top_drawdowns,
)
from services.analytics.methodology import PeriodsSource, resolve_periods_per_year
from services.errors import InvalidInput
from services.returns import EffectiveWindow, WindowedReturns, requested_bounds
from services.windows import Window, resolve

MAX_ROLLING_PERIODS = 10_000
PAIRED = frozenset({RollingMetric.BETA, RollingMetric.ALPHA})


@dataclass(frozen=True)
class RiskFreeSpec:
    """A constant annual rate, or a cash benchmark whose own returns are the risk-free returns."""

    annual_rate: float | None = None
    cash_id: int | None = None
    cash_symbol: str | None = None

    def __post_init__(self) -> None:
        if (self.annual_rate is None) == (self.cash_id is None):
            raise InvalidInput("give exactly one of a risk-free rate and a cash benchmark")
        rate = self.annual_rate
        if rate is not None and not (math.isfinite(rate) and rate > -1.0):
            raise InvalidInput(f"risk-free rate must be a finite annual rate > -1, got {rate}")


@dataclass(frozen=True)
class AnalyticsOptions:
    """Conventions a client may choose; every result states them in its methodology."""

    periods_per_year: float | None = None
    risk_free: RiskFreeSpec | None = None
    var_level: float = 0.95
    policy: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON

    def __post_init__(self) -> None:
        ppy = self.periods_per_year
        if ppy is not None and not (math.isfinite(ppy) and 0.0 < ppy <= 1e6):
            raise InvalidInput(f"periodsPerYear must be in (0, 1000000], got {ppy}")
        if not 0.0 < self.var_level < 1.0:
            raise InvalidInput(f"varLevel must be strictly between 0 and 1, got {self.var_level}")


DEFAULT_OPTIONS = AnalyticsOptions()


def risk_free(options: AnalyticsOptions, cash: WindowedReturns | None) -> RiskFree | None:
    """The analytics risk-free input: a constant, a cash index's returns, or None (zero).

    A cash index with no return at all (no data, or one point) cannot give a rate: that is
    an input error naming it rather than a silent zero.
    """
    spec = options.risk_free
    if spec is None:
        return None
    if spec.annual_rate is not None:
        return RiskFree.constant(spec.annual_rate)
    if cash is None or cash.window.periods == 0:
        raise InvalidInput(f"risk-free benchmark {spec.cash_symbol} has no returns to use")
    return RiskFree.from_returns(cash.returns, spec.cash_symbol or "cash")


@dataclass(frozen=True, eq=False)
class MetricsResult:
    metrics: Metrics
    window: EffectiveWindow


def compute_strategy_metrics(
    subject: WindowedReturns, options: AnalyticsOptions, cash: WindowedReturns | None = None
) -> MetricsResult:
    """Metrics of a strategy's (or a benchmark's) returns over its window."""
    metrics = compute_metrics(
        subject.returns,
        periods_per_year=options.periods_per_year,
        risk_free=risk_free(options, cash),
        var_level=options.var_level,
    )
    return MetricsResult(metrics, subject.window)


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    comparison: Comparison
    window: EffectiveWindow
    benchmark_window: EffectiveWindow


def compute_comparison(
    strategy: WindowedReturns,
    benchmark: WindowedReturns,
    options: AnalyticsOptions,
    cash: WindowedReturns | None = None,
) -> ComparisonResult:
    """A strategy against a benchmark loaded over the same span (``strategy.follow()``)."""
    comparison = compare(
        strategy.returns,
        benchmark.returns,
        policy=options.policy,
        periods_per_year=options.periods_per_year,
        risk_free=risk_free(options, cash),
    )
    return ComparisonResult(comparison, strategy.window, benchmark.window)


def compute_drawdowns(subject: WindowedReturns) -> list[Drawdown]:
    """Every drawdown episode in the window, deepest first (callers keep the top ones)."""
    return top_drawdowns(subject.returns, max(1, len(subject.returns)))


@dataclass(frozen=True, eq=False)
class PeriodReturnsResult:
    table: PeriodTable
    window: EffectiveWindow


def compute_period_returns(
    strategy: WindowedReturns,
    benchmark: WindowedReturns | None,
    frequency: PeriodFrequency,
    options: AnalyticsOptions,
) -> PeriodReturnsResult:
    """Calendar-period returns; with a benchmark, both on their aligned calendar."""
    other = benchmark.returns if benchmark is not None else None
    table = period_table(strategy.returns, frequency, other, policy=options.policy)
    return PeriodReturnsResult(table, strategy.window)


def compute_lookbacks(subject: WindowedReturns, options: AnalyticsOptions) -> LookbackReturns:
    """Trailing and calendar-to-date returns as of the last date (``subject`` from inception)."""
    return lookback_returns(subject.returns, periods_per_year=options.periods_per_year)


@dataclass(frozen=True, eq=False)
class RollingResult:
    values: pd.Series
    periods_per_year: float
    periods_per_year_source: PeriodsSource
    window: EffectiveWindow
    alignment: AlignmentReport | None


def compute_rolling(
    history: WindowedReturns,
    benchmark: WindowedReturns | None,
    metric: RollingMetric,
    periods: int,
    window: Window,
    options: AnalyticsOptions,
    cash: WindowedReturns | None = None,
) -> RollingResult:
    """Rolling ``metric`` over ``periods`` returns, dated within ``window``.

    ``history`` is the strategy's whole history, so that the first value in the window
    already has a full trailing window behind it; BETA and ALPHA align with the benchmark
    first. Values are then kept where their date falls in the window.
    """
    check_rolling_periods(periods)
    returns, other, report = history.returns, None, None
    if metric in PAIRED:
        if benchmark is None:
            raise InvalidInput(f"rolling {metric.name} needs a benchmark")
        returns, other, report = align(history.returns, benchmark.returns, options.policy)
    ppy, source = resolve_periods_per_year(
        pd.DatetimeIndex(returns.index), options.periods_per_year
    )
    values = rolling_metric(
        metric,
        returns,
        periods,
        benchmark=other,
        periods_per_year=ppy,
        risk_free=risk_free(options, cash),
        policy=options.policy,
    )
    kept, effective = within(values, window, history)
    return RollingResult(kept, ppy, source, effective, report)


def within(
    values: pd.Series, window: Window, history: WindowedReturns
) -> tuple[pd.Series, EffectiveWindow]:
    """The values dated in ``window``, resolved against the history's last date."""
    resolved = resolve(window, history.window.end)
    dates = pd.DatetimeIndex(values.index)
    keep = np.ones(len(dates), dtype=bool)
    if resolved.after is not None:
        keep &= dates > pd.Timestamp(resolved.after)
    if resolved.until is not None:
        keep &= dates <= pd.Timestamp(resolved.until)
    kept = values[keep]
    requested_from, requested_to = requested_bounds(window, resolved)
    complete = bool(keep.all()) and history.window.starts_at_inception
    effective = EffectiveWindow(
        requested_from=requested_from,
        requested_to=requested_to,
        start=kept.index[0].to_pydatetime() if len(kept) else None,
        end=kept.index[-1].to_pydatetime() if len(kept) else None,
        periods=len(kept),
        starts_at_inception=complete,
        inception=history.window.inception if complete else None,
    )
    return kept, effective


def check_rolling_periods(periods: int) -> int:
    if not 2 <= periods <= MAX_ROLLING_PERIODS:
        raise InvalidInput(
            f"rolling periods must be between 2 and {MAX_ROLLING_PERIODS}, got {periods}"
        )
    return periods
