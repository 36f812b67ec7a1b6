"""GraphQL types for a strategy against a benchmark: the comparison and its alignment."""

from __future__ import annotations

import pandas as pd
import strawberry

from schema.types.analytics import EffectiveWindow, Methodology, series_column, timestamp_column
from schema.types.blends import BenchmarkUsed
from schema.types.common import FloatColumn, Interval, TimestampColumn
from services import analytics as pure
from services.analytics import AlignmentPolicy
from services.blends import BenchmarkSpec
from services.performance import ComparisonResult


@strawberry.type(description="A set of dates: how many, and which (one JSON array).")
class DateSet:
    _index: strawberry.Private[pd.DatetimeIndex]  # formatted only when asked for

    @strawberry.field
    def count(self) -> int:
        return len(self._index)

    @strawberry.field
    def dates(self) -> TimestampColumn:
        return timestamp_column(self._index)

    @classmethod
    def of(cls, index: pd.DatetimeIndex) -> DateSet:
        return cls(_index=index)


@strawberry.type(
    description=(
        "What putting the strategy and the benchmark on one calendar took: dropped dates "
        "lost their return (outside the common span, or under INTERSECT), merged dates were "
        "compounded into the next common date, filled dates got a zero return "
        "(FORWARD_FILL_LEVELS)."
    )
)
class AlignmentReport:
    policy: AlignmentPolicy
    overlapping_periods: int
    changed: bool = strawberry.field(description="Whether anything was dropped, merged or filled.")
    strategy_dropped: DateSet
    benchmark_dropped: DateSet
    strategy_merged: DateSet
    benchmark_merged: DateSet
    strategy_filled: DateSet
    benchmark_filled: DateSet

    @classmethod
    def from_pure(cls, r: pure.AlignmentReport) -> AlignmentReport:
        return cls(
            policy=r.policy,
            overlapping_periods=r.overlapping_periods,
            changed=r.changed,
            strategy_dropped=DateSet.of(r.strategy_dropped),
            benchmark_dropped=DateSet.of(r.benchmark_dropped),
            strategy_merged=DateSet.of(r.strategy_merged),
            benchmark_merged=DateSet.of(r.benchmark_merged),
            strategy_filled=DateSet.of(r.strategy_filled),
            benchmark_filled=DateSet.of(r.benchmark_filled),
        )


@strawberry.type(
    description=(
        "Both series rebased to 100 (the level before the first aligned period) and the "
        "relative line strategy / benchmark * 100, as parallel arrays."
    )
)
class ComparisonColumns:
    _comparison: strawberry.Private[pure.Comparison]

    @strawberry.field
    def timestamps(self) -> TimestampColumn:
        return timestamp_column(self._comparison.strategy_index.index)

    @strawberry.field
    def strategy(self) -> FloatColumn:
        return series_column(self._comparison.strategy_index)

    @strawberry.field
    def benchmark(self) -> FloatColumn:
        return series_column(self._comparison.benchmark_index)

    @strawberry.field
    def relative(self) -> FloatColumn:
        return series_column(self._comparison.relative)


_FLOATS = [
    "strategy_return",
    "benchmark_return",
    "excess_return",
    "strategy_cagr",
    "benchmark_cagr",
    "excess_cagr",
    "alpha",
    "beta",
    "correlation",
    "r_squared",
    "tracking_error",
    "information_ratio",
    "up_capture",
    "down_capture",
    "batting_average",
    "treynor",
]


@strawberry.type(
    description=(
        "A strategy against a benchmark over their aligned periods (decimal fractions; "
        "annualised with methodology.periodsPerYear; null where undefined)."
    )
)
class Comparison:
    benchmark: BenchmarkUsed
    window: EffectiveWindow = strawberry.field(description="The strategy's window.")
    benchmark_window: EffectiveWindow = strawberry.field(
        description="The benchmark's series, loaded over the strategy's span."
    )
    alignment: AlignmentReport
    methodology: Methodology
    series: ComparisonColumns
    periods: int = strawberry.field(description="Aligned periods.")
    outperforming: bool | None
    strategy_return: float | None
    benchmark_return: float | None
    excess_return: float | None = strawberry.field(description="Difference of total returns.")
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

    @classmethod
    def from_result(
        cls, result: ComparisonResult, spec: BenchmarkSpec, interval: Interval
    ) -> Comparison:
        c = result.comparison
        return cls(
            benchmark=BenchmarkUsed.from_spec(spec),
            window=EffectiveWindow.from_data(result.window),
            benchmark_window=EffectiveWindow.from_data(result.benchmark_window),
            alignment=AlignmentReport.from_pure(c.alignment),
            methodology=Methodology.from_pure(c.methodology, interval),
            series=ComparisonColumns(_comparison=c),
            periods=c.periods,
            outperforming=c.outperforming,
            **{name: getattr(c, name) for name in _FLOATS},
        )
