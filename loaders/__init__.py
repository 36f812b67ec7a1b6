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
from loaders.versions import VersionsByDepLoader
from services.resources import Resources
from services.versions import Dependencies

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
    versions: VersionsByDepLoader

    @classmethod
    def create(cls, resources: Resources, dependencies: Dependencies | None = None) -> Loaders:
        """``dependencies`` collects the versions read, for the response cache."""
        if dependencies is None:
            dependencies = Dependencies()
        versions = VersionsByDepLoader(resources, dependencies)
        latest_strategy = LatestByStrategyLoader(resources, versions)
        latest_benchmark = LatestByBenchmarkLoader(resources, versions)
        series_strategy = SeriesByStrategyLoader(resources, versions, latest_strategy)
        series_benchmark = SeriesByBenchmarkLoader(resources, versions, latest_benchmark)
        return cls(
            strategy_by_id=StrategyByIdLoader(resources, versions),
            latest_by_strategy=latest_strategy,
            series_by_strategy=series_strategy,
            benchmark_by_symbol=BenchmarkBySymbolLoader(resources, versions),
            latest_by_benchmark=latest_benchmark,
            series_by_benchmark=series_benchmark,
            freshness_by_benchmark=FreshnessByBenchmarkLoader(resources),
            warnings_by_benchmark=WarningsByBenchmarkLoader(resources),
            analytics=AnalyticsLoaders.create(
                resources,
                versions,
                latest_strategy,
                series_strategy,
                latest_benchmark,
                series_benchmark,
            ),
            versions=versions,
        )
