"""Analytics resolvers: arguments -> validated specs -> analytics loaders -> schema types.

Every strategy goes through :mod:`services.access` before anything about it is loaded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from loaders.analytics import (
    AnalyticsKey,
    BenchmarkMetricsKey,
    PeriodReturnsKey,
    RollingKey,
)
from resolvers.blends import resolve_benchmark, resolve_risk_free
from resolvers.strategies import to_window
from schema.context import Info
from schema.types.analytics import BenchmarkMetrics, Drawdown, Metrics, RiskFreeInput
from schema.types.blends import BenchmarkInput, BenchmarkUsed
from schema.types.common import WindowInput
from schema.types.comparison import Comparison
from schema.types.periods import LookbackReturns, PeriodReturns, Rolling
from services import access
from services.analytics import AlignmentPolicy, PeriodFrequency, RollingMetric
from services.blends import BenchmarkSpec
from services.errors import InvalidInput
from services.performance import PAIRED, AnalyticsOptions, check_rolling_periods
from services.strategies import StrategyRecord
from services.windows import MAX_WINDOW, Interval

MAX_DRAWDOWNS = 100


@dataclass(frozen=True)
class Arguments:
    """The analytics arguments every field shares."""

    window: WindowInput | None = None
    interval: Interval = Interval.DAY
    benchmark: BenchmarkInput | None = None
    risk_free: RiskFreeInput | None = None
    periods_per_year: float | None = None
    var_level: float = 0.95
    alignment: AlignmentPolicy = AlignmentPolicy.COMPOUND_TO_COMMON


async def analytics_key(
    info: Info, record: StrategyRecord, args: Arguments, *, benchmark: bool
) -> AnalyticsKey:
    """The key of a strategy's result; checks that the principal may read the strategy."""
    access.check_strategy(info.context.principal, record)
    lookup = (
        resolve_benchmark(info, args.benchmark, record.benchmark_symbol) if benchmark else none()
    )
    if args.risk_free is None:  # nothing to look up for it (and no task to schedule)
        spec, risk_free = await lookup, None
    else:
        # Both look-ups in one loader batch: one statement for the benchmark and the cash index.
        spec, risk_free = await asyncio.gather(lookup, resolve_risk_free(info, args.risk_free))
    options = AnalyticsOptions(
        periods_per_year=args.periods_per_year,
        risk_free=risk_free,
        var_level=args.var_level,
        policy=args.alignment,
    )
    return AnalyticsKey(record.id, to_window(args.window), args.interval, options, spec)


async def none() -> None:
    return None


def required(spec: BenchmarkSpec | None, record: StrategyRecord) -> BenchmarkSpec:
    if spec is None:
        raise InvalidInput(f"strategy {record.slug} has no default benchmark: pass a benchmark")
    return spec


async def strategy_metrics(info: Info, record: StrategyRecord, args: Arguments) -> Metrics:
    key = await analytics_key(info, record, args, benchmark=True)
    loaders = info.context.loaders.analytics
    plain = key._replace(benchmark=None)  # the strategy's own metrics ignore the benchmark
    result = await loaders.metrics_by_strategy.load(plain)
    # The benchmark's span follows the strategy's returns: loaded only if its metrics are
    # asked for (a warm request would otherwise load and window the returns for nothing).
    return Metrics.from_result(result, args.interval, key if key.benchmark else None)


async def benchmark_metrics(info: Info, key: AnalyticsKey | None) -> BenchmarkMetrics | None:
    """The benchmark's metrics over the span of the strategy's returns for ``key``."""
    if key is None or key.benchmark is None:
        return None
    loaders = info.context.loaders.analytics
    subject = await loaders.returns_by_strategy.load(key.series_key)
    follow = BenchmarkMetricsKey(
        key.benchmark, subject.follow(), key.interval, key.options, subject.window.measured_from
    )
    result = await loaders.metrics_by_benchmark.load(follow)
    return BenchmarkMetrics(
        benchmark=BenchmarkUsed.from_spec(follow.benchmark),
        metrics=Metrics.from_result(result, follow.interval),
    )


async def strategy_comparison(info: Info, record: StrategyRecord, args: Arguments) -> Comparison:
    key = await analytics_key(info, record, args, benchmark=True)
    spec = required(key.benchmark, record)
    result = await info.context.loaders.analytics.comparison_by_strategy.load(key)
    return Comparison.from_result(result, spec, args.interval)


async def strategy_drawdowns(
    info: Info, record: StrategyRecord, top: int, args: Arguments
) -> list[Drawdown]:
    if not 1 <= top <= MAX_DRAWDOWNS:
        raise InvalidInput(f"top must be between 1 and {MAX_DRAWDOWNS}, got {top}")
    key = await analytics_key(info, record, args, benchmark=False)
    episodes = await info.context.loaders.analytics.drawdowns_by_strategy.load(key)
    return [Drawdown.from_pure(d) for d in episodes[:top]]


async def strategy_period_returns(
    info: Info, record: StrategyRecord, frequency: PeriodFrequency, args: Arguments
) -> PeriodReturns:
    key = await analytics_key(info, record, args, benchmark=True)
    loader = info.context.loaders.analytics.period_returns_by_strategy
    result = await loader.load(PeriodReturnsKey(key, frequency))
    return PeriodReturns.from_result(result, key.benchmark)


async def strategy_lookbacks(
    info: Info, record: StrategyRecord, periods_per_year: float | None
) -> LookbackReturns:
    args = Arguments(periods_per_year=periods_per_year)
    key = await analytics_key(info, record, args, benchmark=False)
    data = await info.context.loaders.analytics.lookbacks_by_strategy.load(key)
    return LookbackReturns.from_pure(data)


async def strategy_rolling(
    info: Info, record: StrategyRecord, metric: RollingMetric, periods: int, args: Arguments
) -> Rolling:
    check_rolling_periods(periods)
    key = await analytics_key(info, record, args, benchmark=metric in PAIRED)
    if metric in PAIRED:
        required(key.benchmark, record)
    history = key._replace(window=MAX_WINDOW)
    result = await info.context.loaders.analytics.rolling_by_strategy.load(
        RollingKey(history, metric, periods, key.window)
    )
    return Rolling.from_result(result, metric, periods, key.benchmark)
