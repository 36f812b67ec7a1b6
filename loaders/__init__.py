"""Per-request DataLoaders: one per (entity, key), created with the request context."""

from __future__ import annotations

from dataclasses import dataclass

from loaders.analytics import AnalyticsLoaders
from loaders.benchmarks import (
    BenchmarkBySymbolLoader,
    FreshnessByBenchmarkLoader,
    LatestByBenchmarkLoader,
    SeriesByBenchmarkLoader,
    WarningsByBenchmarkLoader,
)
from loaders.series import SeriesKey
from loaders.strategies import (
    LatestByStrategyLoader,
    SeriesByStrategyLoader,
    StrategyByIdLoader,
)
from services.resources import Resources

__all__ = ["Loaders", "SeriesKey"]


@dataclass(frozen=True)
class Loaders:
    strategy_by_id: StrategyByIdLoader
    latest_by_strategy: LatestByStrategyLoader
    series_by_strategy: SeriesByStrategyLoader
    benchmark_by_symbol: BenchmarkBySymbolLoader
    latest_by_benchmark: LatestByBenchmarkLoader
    series_by_benchmark: SeriesByBenchmarkLoader
    freshness_by_benchmark: FreshnessByBenchmarkLoader
    warnings_by_benchmark: WarningsByBenchmarkLoader
    analytics: AnalyticsLoaders

    @classmethod
    def create(cls, resources: Resources) -> Loaders:
        latest_strategy = LatestByStrategyLoader(resources)
        latest_benchmark = LatestByBenchmarkLoader(resources)
        series_strategy = SeriesByStrategyLoader(resources, latest_strategy)
        series_benchmark = SeriesByBenchmarkLoader(resources, latest_benchmark)
        return cls(
            strategy_by_id=StrategyByIdLoader(resources),
            latest_by_strategy=latest_strategy,
            series_by_strategy=series_strategy,
            benchmark_by_symbol=BenchmarkBySymbolLoader(resources),
            latest_by_benchmark=latest_benchmark,
            series_by_benchmark=series_benchmark,
            freshness_by_benchmark=FreshnessByBenchmarkLoader(resources),
            warnings_by_benchmark=WarningsByBenchmarkLoader(resources),
            analytics=AnalyticsLoaders.create(
                latest_strategy, series_strategy, latest_benchmark, series_benchmark
            ),
        )
