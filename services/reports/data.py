"""Everything a report shows, computed by the functions that serve the API.

:class:`ReportData` is filled by ``loaders.reports`` through the same batched loaders and
``services.performance`` functions as the GraphQL fields, so a report and the API cannot
disagree. The helpers here only put those results on the strategy's dates for the series
table; nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from services.analytics import Drawdown, align
from services.benchmarks import BenchmarkRecord
from services.blends import BenchmarkSpec
from services.performance import (
    AnalyticsOptions,
    ComparisonResult,
    MetricsResult,
    PeriodReturnsResult,
    RollingResult,
)
from services.reports.spec import ReportSpec
from services.returns import WindowedReturns
from services.series import FloatArray, Series
from services.strategies import StrategyRecord

TOP_DRAWDOWNS = 5


@dataclass(frozen=True, eq=False)
class ReportData:
    spec: ReportSpec
    options: AnalyticsOptions
    strategy: StrategyRecord
    benchmark: BenchmarkSpec
    benchmark_record: BenchmarkRecord
    series: Series  # the strategy's bucketed series in the window (API: performance)
    benchmark_series: Series  # the benchmark's levels over the strategy's span
    returns: WindowedReturns  # the strategy's returns (what every metric used)
    benchmark_returns: WindowedReturns  # the benchmark's, over the same span
    metrics: MetricsResult
    benchmark_metrics: MetricsResult
    comparison: ComparisonResult
    drawdowns: list[Drawdown]  # every episode, deepest first
    monthly: PeriodReturnsResult
    yearly: PeriodReturnsResult
    rolling_beta: RollingResult | None  # None unless the report has the ROLLING section
    rolling_sharpe: RollingResult | None
    rolling_periods: int
    generated_at: datetime

    @property
    def as_of(self) -> datetime | None:
        """The date of the strategy's last point in the report."""
        return self.series.timestamp_at(-1) if len(self.series) else None

    @property
    def benchmark_as_of(self) -> datetime | None:
        s = self.benchmark_series
        return s.timestamp_at(-1) if len(s) else None

    @property
    def top_drawdowns(self) -> list[Drawdown]:
        return self.drawdowns[:TOP_DRAWDOWNS]


@dataclass(frozen=True, eq=False)
class SeriesColumns:
    """The series table as columns, one row per strategy point (NaN: no value there)."""

    epoch_us: np.ndarray
    nav: FloatArray
    returns: FloatArray
    cumulative: FloatArray
    drawdown: FloatArray
    benchmark_level: FloatArray
    benchmark_return: FloatArray
    relative: FloatArray

    def __len__(self) -> int:
        return int(self.epoch_us.size)


def series_columns(data: ReportData) -> SeriesColumns:
    """The strategy's points with the benchmark on the same dates.

    ``benchmark_return`` is the benchmark's return as the comparison aligned it (under the
    alignment policy, over the same span as the strategy's), and ``relative`` the
    comparison's relative line; both are NaN on dates the benchmark lacks.
    """
    s = data.series
    _, aligned, _ = align(data.returns.returns, data.benchmark_returns.returns, data.options.policy)
    relative = data.comparison.comparison.relative
    b = data.benchmark_series
    return SeriesColumns(
        epoch_us=s.epoch_us,
        nav=s.values,
        returns=s.returns,
        cumulative=s.cumulative,
        drawdown=s.drawdowns,
        benchmark_level=on_dates(s.epoch_us, b.epoch_us, b.values),
        benchmark_return=on_dates(s.epoch_us, epoch_of(aligned.index), aligned.to_numpy()),
        relative=on_dates(s.epoch_us, epoch_of(relative.index), relative.to_numpy()),
    )


def epoch_of(index: pd.Index) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(index).as_unit("us").asi8, dtype=np.int64)


def on_dates(wanted: np.ndarray, dates: np.ndarray, values: np.ndarray) -> FloatArray:
    """``values`` (dated ``dates``, sorted) at each of ``wanted``; NaN where absent."""
    out = np.full(wanted.size, np.nan)
    if dates.size == 0:
        return out
    pos = np.minimum(np.searchsorted(dates, wanted), dates.size - 1)
    hit = dates[pos] == wanted
    out[hit] = np.asarray(values, dtype=np.float64)[pos[hit]]
    return out
