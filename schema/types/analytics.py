"""GraphQL types for metrics: methodology, effective windows, drawdowns and the metrics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import numpy as np
import pandas as pd
import strawberry

from loaders.analytics import AnalyticsKey
from schema.context import Info
from schema.types.blends import BenchmarkUsed
from schema.types.common import FloatColumn, Interval, TimestampColumn
from schema.types.series import float_column
from services import analytics as pure
from services.analytics import AlignmentPolicy, PeriodFrequency, RollingMetric
from services.performance import MetricsResult
from services.returns import EffectiveWindow as EffectiveWindowData
from services.series import iso_utc

strawberry.enum(
    AlignmentPolicy,
    description=(
        "How strategy and benchmark dates are put on one calendar. COMPOUND_TO_COMMON "
        "(default): keep common dates, compound a return dated where only one side has data "
        "into that side's next common date. INTERSECT: drop non-common returns. "
        "FORWARD_FILL_LEVELS: union calendar, a missing side gets a zero return."
    ),
)
strawberry.enum(PeriodFrequency, description="UTC calendar periods of a returns table.")
strawberry.enum(RollingMetric, description="Metrics available over rolling windows.")


@strawberry.enum(description="Where the annualisation factor came from.")
class PeriodsPerYearSource(Enum):
    GIVEN = "given"
    INFERRED = "inferred"
    DEFAULT = "default"


def timestamp_column(index: pd.Index) -> TimestampColumn:
    """ISO-8601 UTC strings of a DatetimeIndex (seconds unless a timestamp has a fraction)."""
    stamps = index if isinstance(index, pd.DatetimeIndex) else pd.DatetimeIndex(index)
    return TimestampColumn(iso_utc(stamps.as_unit("us").asi8))


def series_column(series: pd.Series) -> FloatColumn:
    return FloatColumn(float_column(series.to_numpy(dtype=np.float64)))


def when(ts: pd.Timestamp | datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.to_pydatetime() if isinstance(ts, pd.Timestamp) else ts


@strawberry.input(
    one_of=True,
    description=(
        "The risk-free rate: a constant annual rate (decimal, negative allowed), or the "
        "symbol of a CASH benchmark (e.g. TBILL_3M) whose own returns are the risk-free "
        "returns. Omitted: zero."
    ),
)
class RiskFreeInput:
    rate: float | None = strawberry.UNSET
    symbol: str | None = strawberry.UNSET


@strawberry.type(description="The risk-free rate a result subtracted, per period.")
class RiskFreeUsed:
    description: str
    mean_annual_rate: float = strawberry.field(
        description="Mean annual rate over the periods used (decimal)."
    )
    backfilled_periods: int = strawberry.field(
        description="Periods before the rate's data began, which used its first value."
    )
    extended_periods: int = strawberry.field(
        description="Periods after a cash index's data ended, which used its last return."
    )


@strawberry.type(description="The conventions behind a result, so that it can be reconciled.")
class Methodology:
    interval: Interval
    periods_per_year: float
    periods_per_year_source: PeriodsPerYearSource
    ddof: int = strawberry.field(description="Delta degrees of freedom of standard deviations.")
    risk_free: RiskFreeUsed
    var_level: float
    var_method: str
    omega_threshold: float = strawberry.field(description="Annual minimum acceptable return.")
    alignment_policy: AlignmentPolicy | None

    @classmethod
    def from_pure(cls, m: pure.Methodology, interval: Interval) -> Methodology:
        rf = m.risk_free
        return cls(
            interval=interval,
            periods_per_year=m.periods_per_year,
            periods_per_year_source=PeriodsPerYearSource(m.periods_per_year_source),
            ddof=m.ddof,
            risk_free=RiskFreeUsed(
                description=rf.description,
                mean_annual_rate=rf.mean_annual_rate,
                backfilled_periods=rf.backfilled_periods,
                extended_periods=rf.extended_periods,
            ),
            var_level=m.var_level,
            var_method=m.var_method,
            omega_threshold=m.omega_threshold,
            alignment_policy=m.alignment_policy,
        )


@strawberry.type(description="The window a result was actually computed over.")
class EffectiveWindow:
    requested_from: datetime | None = strawberry.field(
        description="Lower bound asked for, presets resolved; null: from inception."
    )
    requested_to: datetime | None = strawberry.field(description="Null: up to the latest point.")
    start: datetime | None = strawberry.field(description="Date of the first return used.")
    end: datetime | None = strawberry.field(description="Date of the last return used.")
    periods: int
    starts_at_inception: bool = strawberry.field(
        description="The window reached back to the first NAV (or before it): nothing older "
        "exists, and the first return is measured from that NAV."
    )
    measured_from: datetime | None = strawberry.field(
        description="Base of the first return: the inception NAV's date when the window "
        "starts at inception, else requestedFrom (the first return is measured from the "
        "last value before it; at or before it for a trailing preset)."
    )

    @classmethod
    def from_data(cls, w: EffectiveWindowData) -> EffectiveWindow:
        return cls(
            requested_from=w.requested_from,
            requested_to=w.requested_to,
            start=w.start,
            end=w.end,
            periods=w.periods,
            starts_at_inception=w.starts_at_inception,
            measured_from=w.measured_from,
        )


@strawberry.type(description="A drawdown episode: from a high-water mark to a trough and back.")
class Drawdown:
    depth: float = strawberry.field(description="Trough over peak minus 1 (< 0).")
    peak: datetime | None = strawberry.field(
        description="Last date at the mark; null when the mark is the starting level."
    )
    start: datetime = strawberry.field(description="First date below the mark.")
    trough: datetime
    recovery: datetime | None = strawberry.field(description="Null if not recovered.")
    recovered: bool
    duration_periods: int
    duration_days: int

    @classmethod
    def from_pure(cls, d: pure.Drawdown) -> Drawdown:
        return cls(
            depth=d.depth,
            peak=when(d.peak),
            start=d.start.to_pydatetime(),
            trough=d.trough.to_pydatetime(),
            recovery=when(d.recovery),
            recovered=d.recovered,
            duration_periods=d.duration_periods,
            duration_days=d.duration_days,
        )


@strawberry.type(description="A benchmark's metrics over the same window as the strategy's.")
class BenchmarkMetrics:
    benchmark: BenchmarkUsed
    metrics: Metrics


_FLOATS = [
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "downside_deviation",
    "calmar",
    "omega",
    "max_drawdown",
    "var_historical",
    "cvar_historical",
    "var_parametric",
    "cvar_parametric",
    "skew",
    "kurtosis",
    "tail_ratio",
    "stability",
    "best_period",
    "worst_period",
    "win_rate",
    "average_win",
    "average_loss",
]


@strawberry.type(
    description=(
        "Risk and return metrics of one return series (decimal fractions; annualised with "
        "methodology.periodsPerYear). Null where undefined: see docs/analytics.md."
    )
)
class Metrics:
    _benchmark_of: strawberry.Private[AnalyticsKey | None]  # the strategy's, with a benchmark
    window: EffectiveWindow
    methodology: Methodology
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
    best_date: datetime | None
    worst_period: float | None
    worst_date: datetime | None
    win_rate: float | None
    average_win: float | None
    average_loss: float | None

    @classmethod
    def from_result(
        cls, result: MetricsResult, interval: Interval, benchmark_of: AnalyticsKey | None = None
    ) -> Metrics:
        m = result.metrics
        period = m.max_drawdown_period
        return cls(
            _benchmark_of=benchmark_of,
            window=EffectiveWindow.from_data(result.window),
            methodology=Methodology.from_pure(m.methodology, interval),
            periods=m.periods,
            max_drawdown_period=Drawdown.from_pure(period) if period else None,
            best_date=when(m.best_date),
            worst_date=when(m.worst_date),
            **{name: getattr(m, name) for name in _FLOATS},
        )

    @strawberry.field(
        description=(
            "The benchmark's metrics over the same span, with the same options (null without "
            "a benchmark)."
        )
    )
    async def benchmark(self, info: Info) -> BenchmarkMetrics | None:
        from resolvers.analytics import benchmark_metrics

        return await benchmark_metrics(info, self._benchmark_of)
