"""Analytics loaders: one per result kind, keyed by (strategy, window, options, ...).

Each batch first loads the inputs of all its keys at once (strategy returns, then the
benchmarks and cash indices they follow) through the batched series loaders, so N
strategies cost the same SQL statements as one; then it computes each result with one
function of :mod:`services.performance`. Results are cached in Redis (loaders.cache) under
the versions of the strategy, the benchmark legs and the cash index they were computed from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from loaders.benchmarks import LatestByBenchmarkLoader, SeriesByBenchmarkLoader
from loaders.blends import SeriesByBlendLoader
from loaders.cache import CachedLoader, digest
from loaders.returns import BenchmarkReturnsKey, ReturnsByBenchmarkLoader, ReturnsByStrategyLoader
from loaders.series import SeriesKey
from loaders.strategies import LatestByStrategyLoader, SeriesByStrategyLoader
from loaders.versions import VersionsByDepLoader
from services import performance
from services.analytics import Drawdown, LookbackReturns, PeriodFrequency, RollingMetric
from services.blends import BenchmarkLeg, BenchmarkSpec
from services.performance import (
    DEFAULT_OPTIONS,
    AnalyticsOptions,
    ComparisonResult,
    MetricsResult,
    PeriodReturnsResult,
    RollingResult,
)
from services.resources import Resources
from services.returns import DateIndexes, WindowedReturns
from services.versions import Dep
from services.windows import MAX_WINDOW, Interval, Window

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class AnalyticsKey(NamedTuple):
    strategy_id: int
    window: Window
    interval: Interval
    options: AnalyticsOptions = DEFAULT_OPTIONS
    benchmark: BenchmarkSpec | None = None

    @property
    def series_key(self) -> SeriesKey:
        return SeriesKey(self.strategy_id, self.window, self.interval)


class BenchmarkMetricsKey(NamedTuple):
    """A benchmark over a strategy's span: ``window`` is ``follow()`` of the strategy's
    returns, ``measured_from`` the strategy's base date (what the window was asked from)."""

    benchmark: BenchmarkSpec
    window: Window
    interval: Interval
    options: AnalyticsOptions
    measured_from: datetime | None


class PeriodReturnsKey(NamedTuple):
    base: AnalyticsKey
    frequency: PeriodFrequency


class RollingKey(NamedTuple):
    """``base`` covers the whole history; ``window`` picks the dates of the values."""

    base: AnalyticsKey
    metric: RollingMetric
    periods: int
    window: Window


@dataclass(frozen=True, eq=False)
class Inputs:
    subject: WindowedReturns
    benchmark: WindowedReturns | None
    cash: WindowedReturns | None


def cash_spec(options: AnalyticsOptions) -> BenchmarkSpec | None:
    spec = options.risk_free
    if spec is None or spec.cash_id is None:
        return None
    symbol = spec.cash_symbol or ""
    return BenchmarkSpec((BenchmarkLeg(spec.cash_id, symbol, 1.0),), symbol=symbol)


Request = tuple[BenchmarkSpec | None, Interval, AnalyticsOptions]  # what follows a subject


class Sources:
    """Loads the inputs of a batch: subjects, then what follows their windows."""

    def __init__(self, strategies: ReturnsByStrategyLoader, benchmarks: ReturnsByBenchmarkLoader):
        self.strategies = strategies
        self.benchmarks = benchmarks

    async def for_strategies(self, keys: Sequence[AnalyticsKey]) -> list[Inputs]:
        requests: list[Request] = [(k.benchmark, k.interval, k.options) for k in keys]
        self._prefetch(requests)
        subjects = await self.strategies.load_many([k.series_key for k in keys])
        return await self._around(subjects, requests)

    async def for_benchmarks(self, keys: Sequence[BenchmarkMetricsKey]) -> list[Inputs]:
        requests: list[Request] = [(None, k.interval, k.options) for k in keys]
        self._prefetch([(k.benchmark, k.interval, k.options) for k in keys])  # subjects too
        loaded = await self.benchmarks.load_many(
            [BenchmarkReturnsKey(k.benchmark, k.window, k.interval) for k in keys]
        )
        subjects = [followed(s, k.measured_from) for s, k in zip(loaded, keys, strict=True)]
        return await self._around(subjects, requests)

    def _prefetch(self, requests: list[Request]) -> None:
        """Start loading the latest points of the stored benchmarks a batch follows (and of
        their cash indices) while its subjects load: the benchmarks' windows need the
        subjects' returns, their latest points do not, so that round trip leaves the critical
        path. Only batches that follow a benchmark do it: one batch of latest points then
        serves them and the cash-only batches (metrics) of the same wave alike."""
        specs = [spec for b, _, o in requests if b for spec in (b, cash_spec(o)) if spec]
        ids = sorted({s.legs[0].benchmark_id for s in specs if not s.is_blend})
        if ids:
            self.benchmarks.prefetch_latest(ids)

    async def _around(
        self,
        subjects: list[WindowedReturns],
        requests: list[Request],
    ) -> list[Inputs]:
        """Benchmarks over each subject's span, and cash indices over their whole history
        (so that a risk-free return exists before and after the window)."""
        wanted: list[tuple[BenchmarkReturnsKey | None, BenchmarkReturnsKey | None]] = []
        for subject, (benchmark, interval, options) in zip(subjects, requests, strict=True):
            cash = cash_spec(options)
            wanted.append(
                (
                    BenchmarkReturnsKey(benchmark, subject.follow(), interval)
                    if benchmark
                    else None,
                    BenchmarkReturnsKey(cash, MAX_WINDOW, interval) if cash else None,
                )
            )
        keys = list({k for pair in wanted for k in pair if k is not None})
        found = dict(zip(keys, await self.benchmarks.load_many(keys), strict=True))
        return [
            Inputs(
                subject,
                followed(found[b], subject.window.measured_from) if b else None,
                found[c] if c else None,
            )
            for subject, (b, c) in zip(subjects, wanted, strict=True)
        ]


def followed(benchmark: WindowedReturns, base: datetime | None) -> WindowedReturns:
    """A benchmark loaded over a subject's ``follow()`` window, asked for from its base."""
    return replace(benchmark, window=replace(benchmark.window, requested_from=base))


def each(compute: Callable[[K, Inputs], V], keys: Sequence[K], inputs: list[Inputs]) -> list[V]:
    """Compute per key; an error fails only its own key (aiodataloader rejects that one)."""
    results: list[Any] = []
    for key, found in zip(keys, inputs, strict=True):
        try:
            results.append(compute(key, found))
        except Exception as exc:
            results.append(exc)
    return results


def inputs_of(benchmark: BenchmarkSpec | None, options: AnalyticsOptions) -> tuple[Dep, ...]:
    """The benchmarks a result reads besides its subject: the legs and the cash index."""
    legs = benchmark.legs if benchmark else ()
    cash = cash_spec(options)
    ids = [leg.benchmark_id for leg in legs] + ([cash.legs[0].benchmark_id] if cash else [])
    return tuple(Dep("benchmark", i) for i in sorted(set(ids)))


class StrategyAnalyticsLoader(CachedLoader[K, V]):
    kind: ClassVar[str]

    def __init__(self, sources: Sources, resources: Resources, versions: VersionsByDepLoader):
        super().__init__(resources, versions)
        self.sources = sources

    def base(self, key: K) -> AnalyticsKey:
        """The strategy, window and options a key's inputs are loaded for."""
        assert isinstance(key, AnalyticsKey), "loaders with other keys override base()"
        return key

    def dependencies(self, key: K) -> Sequence[Dep]:
        base = self.base(key)
        return (Dep("strategy", base.strategy_id), *inputs_of(base.benchmark, base.options))

    def describe(self, key: K) -> str:
        return digest(key)

    def compute(self, key: K, inputs: Inputs) -> V:
        raise NotImplementedError

    async def compute_many(self, keys: list[K]) -> list[V]:
        inputs = await self.sources.for_strategies([self.base(k) for k in keys])
        return each(self.compute, keys, inputs)


class MetricsByStrategyLoader(StrategyAnalyticsLoader[AnalyticsKey, MetricsResult]):
    kind = "metrics"

    def compute(self, key: AnalyticsKey, inputs: Inputs) -> MetricsResult:
        return performance.compute_strategy_metrics(inputs.subject, key.options, inputs.cash)


class ComparisonByStrategyLoader(StrategyAnalyticsLoader[AnalyticsKey, ComparisonResult]):
    kind = "comparison"

    def compute(self, key: AnalyticsKey, inputs: Inputs) -> ComparisonResult:
        assert inputs.benchmark is not None, "a comparison key names its benchmark"
        return performance.compute_comparison(
            inputs.subject, inputs.benchmark, key.options, inputs.cash
        )


class DrawdownsByStrategyLoader(StrategyAnalyticsLoader[AnalyticsKey, list[Drawdown]]):
    kind = "drawdowns"

    def compute(self, key: AnalyticsKey, inputs: Inputs) -> list[Drawdown]:
        return performance.compute_drawdowns(inputs.subject)


class LookbacksByStrategyLoader(StrategyAnalyticsLoader[AnalyticsKey, LookbackReturns]):
    kind = "lookbacks"

    def compute(self, key: AnalyticsKey, inputs: Inputs) -> LookbackReturns:
        return performance.compute_lookbacks(inputs.subject, key.options)


class PeriodReturnsByStrategyLoader(StrategyAnalyticsLoader[PeriodReturnsKey, PeriodReturnsResult]):
    kind = "period-returns"

    def base(self, key: PeriodReturnsKey) -> AnalyticsKey:
        return key.base

    def compute(self, key: PeriodReturnsKey, inputs: Inputs) -> PeriodReturnsResult:
        return performance.compute_period_returns(
            inputs.subject, inputs.benchmark, key.frequency, key.base.options
        )


class RollingByStrategyLoader(StrategyAnalyticsLoader[RollingKey, RollingResult]):
    kind = "rolling"

    def base(self, key: RollingKey) -> AnalyticsKey:
        return key.base

    def compute(self, key: RollingKey, inputs: Inputs) -> RollingResult:
        return performance.compute_rolling(
            inputs.subject,
            inputs.benchmark,
            key.metric,
            key.periods,
            key.window,
            key.base.options,
            inputs.cash,
        )


class MetricsByBenchmarkLoader(CachedLoader[BenchmarkMetricsKey, MetricsResult]):
    kind = "benchmark-metrics"

    def __init__(self, sources: Sources, resources: Resources, versions: VersionsByDepLoader):
        super().__init__(resources, versions)
        self.sources = sources

    def dependencies(self, key: BenchmarkMetricsKey) -> Sequence[Dep]:
        return inputs_of(key.benchmark, key.options)

    def describe(self, key: BenchmarkMetricsKey) -> str:
        return digest(key)

    async def compute_many(self, keys: list[BenchmarkMetricsKey]) -> list[MetricsResult]:
        inputs = await self.sources.for_benchmarks(keys)
        return each(
            lambda k, i: performance.compute_strategy_metrics(i.subject, k.options, i.cash),
            keys,
            inputs,
        )


@dataclass(frozen=True)
class AnalyticsLoaders:
    returns_by_strategy: ReturnsByStrategyLoader
    returns_by_benchmark: ReturnsByBenchmarkLoader
    series_by_blend: SeriesByBlendLoader
    metrics_by_strategy: MetricsByStrategyLoader
    metrics_by_benchmark: MetricsByBenchmarkLoader
    comparison_by_strategy: ComparisonByStrategyLoader
    drawdowns_by_strategy: DrawdownsByStrategyLoader
    period_returns_by_strategy: PeriodReturnsByStrategyLoader
    lookbacks_by_strategy: LookbacksByStrategyLoader
    rolling_by_strategy: RollingByStrategyLoader

    @classmethod
    def create(
        cls,
        resources: Resources,
        versions: VersionsByDepLoader,
        latest_by_strategy: LatestByStrategyLoader,
        series_by_strategy: SeriesByStrategyLoader,
        latest_by_benchmark: LatestByBenchmarkLoader,
        series_by_benchmark: SeriesByBenchmarkLoader,
    ) -> AnalyticsLoaders:
        indexes = DateIndexes()  # for this request's returns, strategies' and benchmarks'
        strategies = ReturnsByStrategyLoader(latest_by_strategy, series_by_strategy, indexes)
        blends = SeriesByBlendLoader(series_by_benchmark)
        benchmarks = ReturnsByBenchmarkLoader(
            latest_by_benchmark, series_by_benchmark, blends, indexes
        )
        sources = Sources(strategies, benchmarks)
        cached = (sources, resources, versions)
        return cls(
            returns_by_strategy=strategies,
            returns_by_benchmark=benchmarks,
            series_by_blend=blends,
            metrics_by_strategy=MetricsByStrategyLoader(*cached),
            metrics_by_benchmark=MetricsByBenchmarkLoader(*cached),
            comparison_by_strategy=ComparisonByStrategyLoader(*cached),
            drawdowns_by_strategy=DrawdownsByStrategyLoader(*cached),
            period_returns_by_strategy=PeriodReturnsByStrategyLoader(*cached),
            lookbacks_by_strategy=LookbacksByStrategyLoader(*cached),
            rolling_by_strategy=RollingByStrategyLoader(*cached),
        )
