"""A report's data through the analytics loaders: the very keys the GraphQL fields use.

Each result is loaded with the key its GraphQL field would build for the same arguments
(``resolvers.analytics``), so a report's numbers are the API's numbers, and the loads of one
report share their batches: a report costs a fixed number of SQL statements, whatever the
length of its series.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from loaders import Loaders
from loaders.analytics import (
    AnalyticsKey,
    BenchmarkMetricsKey,
    PeriodReturnsKey,
    RollingKey,
    followed,
)
from loaders.blends import BlendKey
from loaders.returns import BenchmarkReturnsKey
from loaders.series import SeriesKey
from services.analytics import PeriodFrequency, RollingMetric
from services.benchmarks import BenchmarkRecord
from services.blends import BenchmarkSpec
from services.performance import MAX_ROLLING_PERIODS, AnalyticsOptions, RiskFreeSpec
from services.reports.data import ReportData
from services.reports.spec import ReportSection, ReportSpec
from services.returns import last_timestamp, slice_series
from services.series import Series
from services.strategies import StrategyRecord
from services.windows import MAX_WINDOW, Window, resolve


@dataclass(frozen=True)
class ReportInputs:
    """A report's spec with its references resolved and checked."""

    spec: ReportSpec
    strategy: StrategyRecord
    benchmark_record: BenchmarkRecord
    benchmark: BenchmarkSpec
    risk_free: RiskFreeSpec | None


def rolling_periods(periods_per_year: float) -> int:
    """About six months of periods: 126 for daily returns, 26 weekly, 6 monthly."""
    return max(2, min(MAX_ROLLING_PERIODS, round(periods_per_year / 2)))


async def load_report_data(
    loaders: Loaders, inputs: ReportInputs, generated_at: datetime
) -> ReportData:
    spec, a = inputs.spec, loaders.analytics
    options = AnalyticsOptions(risk_free=inputs.risk_free)
    key = AnalyticsKey(inputs.strategy.id, spec.window, spec.interval, options, inputs.benchmark)
    plain = key._replace(benchmark=None)  # as the fields that ignore the benchmark build it
    subject = await a.returns_by_strategy.load(key.series_key)
    follow = subject.follow()
    benchmark_key = BenchmarkMetricsKey(
        inputs.benchmark, follow, spec.interval, options, subject.window.measured_from
    )
    # One gather, so that every load below joins the same loader batches.
    (series, levels, bench_returns), analytics = await asyncio.gather(
        asyncio.gather(
            loaders.series_by_strategy.load(key.series_key),
            _benchmark_levels(loaders, inputs, follow),
            a.returns_by_benchmark.load(
                BenchmarkReturnsKey(inputs.benchmark, follow, spec.interval)
            ),
        ),
        asyncio.gather(
            a.metrics_by_strategy.load(plain),
            a.metrics_by_benchmark.load(benchmark_key),
            a.comparison_by_strategy.load(key),
            a.drawdowns_by_strategy.load(plain),
            a.period_returns_by_strategy.load(PeriodReturnsKey(key, PeriodFrequency.MONTH)),
            a.period_returns_by_strategy.load(PeriodReturnsKey(key, PeriodFrequency.YEAR)),
        ),
    )
    metrics, bench_metrics, comparison, drawdowns, monthly, yearly = analytics
    periods = rolling_periods(metrics.metrics.methodology.periods_per_year)
    beta = sharpe = None
    if spec.includes(ReportSection.ROLLING):
        history = key._replace(window=MAX_WINDOW)
        beta, sharpe = await asyncio.gather(
            a.rolling_by_strategy.load(
                RollingKey(history, RollingMetric.BETA, periods, spec.window)
            ),
            a.rolling_by_strategy.load(
                RollingKey(
                    plain._replace(window=MAX_WINDOW), RollingMetric.SHARPE, periods, spec.window
                )
            ),
        )
    return ReportData(
        spec=spec,
        options=options,
        strategy=inputs.strategy,
        benchmark=inputs.benchmark,
        benchmark_record=inputs.benchmark_record,
        series=series,
        benchmark_series=levels,
        returns=subject,
        benchmark_returns=followed(bench_returns, subject.window.measured_from),
        metrics=metrics,
        benchmark_metrics=bench_metrics,
        comparison=comparison,
        drawdowns=drawdowns,
        monthly=monthly,
        yearly=yearly,
        rolling_beta=beta,
        rolling_sharpe=sharpe,
        rolling_periods=periods,
        generated_at=generated_at,
    )


async def _benchmark_levels(loaders: Loaders, inputs: ReportInputs, follow: Window) -> Series:
    """The benchmark's levels over the strategy's span (a blend's: its index at 100)."""
    spec = inputs.benchmark
    if not spec.is_blend:
        key = SeriesKey(spec.legs[0].benchmark_id, follow, inputs.spec.interval)
        return await loaders.series_by_benchmark.load(key)
    full = await loaders.analytics.series_by_blend.load(BlendKey(spec, inputs.spec.interval))
    return slice_series(full, resolve(follow, last_timestamp(full)))
