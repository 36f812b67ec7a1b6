"""GraphQL types for period tables, lookback returns and rolling metrics."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.analytics import (
    EffectiveWindow,
    PeriodsPerYearSource,
    series_column,
    timestamp_column,
    when,
)
from schema.types.blends import BenchmarkUsed
from schema.types.common import FloatColumn, TimestampColumn
from schema.types.comparison import AlignmentReport
from services.analytics import LookbackReturns as LookbackData
from services.analytics import PeriodFrequency, PeriodTable, RollingMetric
from services.blends import BenchmarkSpec
from services.performance import PeriodReturnsResult, RollingResult


@strawberry.type(description="One row per calendar period, as parallel arrays.")
class PeriodColumns:
    _table: strawberry.Private[PeriodTable]

    @strawberry.field(description="First day (UTC) of each period.")
    def timestamps(self) -> TimestampColumn:
        return timestamp_column(self._table.strategy.index)

    @strawberry.field(description="Compounded strategy return of each period.")
    def strategy(self) -> FloatColumn:
        return series_column(self._table.strategy)

    @strawberry.field(description="Compounded benchmark return (null without a benchmark).")
    def benchmark(self) -> FloatColumn | None:
        table = self._table.benchmark
        return series_column(table) if table is not None else None

    @strawberry.field(description="Strategy minus benchmark (null without a benchmark).")
    def excess(self) -> FloatColumn | None:
        table = self._table.excess
        return series_column(table) if table is not None else None


@strawberry.type(
    description=(
        "Calendar-period returns (the first and last periods may be partial). With a "
        "benchmark, both series are aligned first, so rows cover their common span."
    )
)
class PeriodReturns:
    frequency: PeriodFrequency
    window: EffectiveWindow
    benchmark: BenchmarkUsed | None
    alignment: AlignmentReport | None
    columns: PeriodColumns

    @classmethod
    def from_result(cls, result: PeriodReturnsResult, spec: BenchmarkSpec | None) -> PeriodReturns:
        table = result.table
        return cls(
            frequency=table.frequency,
            window=EffectiveWindow.from_data(result.window),
            benchmark=BenchmarkUsed.from_spec(spec) if spec else None,
            alignment=AlignmentReport.from_pure(table.alignment) if table.alignment else None,
            columns=PeriodColumns(_table=table),
        )


@strawberry.type(
    description=(
        "Returns over trailing windows ending at asOf (the last date). A window starting "
        "before the first return is null. threeYears and fiveYears are annualised."
    )
)
class LookbackReturns:
    as_of: datetime | None
    mtd: float | None
    qtd: float | None
    ytd: float | None
    one_month: float | None
    three_months: float | None
    six_months: float | None
    one_year: float | None
    three_years: float | None
    five_years: float | None
    since_inception: float | None
    since_inception_annualised: float | None

    @classmethod
    def from_pure(cls, data: LookbackData) -> LookbackReturns:
        return cls(
            as_of=when(data.as_of),
            mtd=data.mtd,
            qtd=data.qtd,
            ytd=data.ytd,
            one_month=data.one_month,
            three_months=data.three_months,
            six_months=data.six_months,
            one_year=data.one_year,
            three_years=data.three_years,
            five_years=data.five_years,
            since_inception=data.since_inception,
            since_inception_annualised=data.since_inception_annualised,
        )


@strawberry.type(description="One value per complete window, dated at its last period.")
class RollingColumns:
    _result: strawberry.Private[RollingResult]

    @strawberry.field
    def timestamps(self) -> TimestampColumn:
        return timestamp_column(self._result.values.index)

    @strawberry.field(description="Null where undefined in that window (e.g. zero dispersion).")
    def values(self) -> FloatColumn:
        return series_column(self._result.values)


@strawberry.type(description="A metric over a trailing window of a fixed number of periods.")
class Rolling:
    metric: RollingMetric
    periods: int
    periods_per_year: float
    periods_per_year_source: PeriodsPerYearSource
    window: EffectiveWindow
    benchmark: BenchmarkUsed | None = strawberry.field(description="BETA and ALPHA only.")
    alignment: AlignmentReport | None = strawberry.field(description="BETA and ALPHA only.")
    columns: RollingColumns

    @classmethod
    def from_result(
        cls, result: RollingResult, metric: RollingMetric, periods: int, spec: BenchmarkSpec | None
    ) -> Rolling:
        report = result.alignment
        return cls(
            metric=metric,
            periods=periods,
            periods_per_year=result.periods_per_year,
            periods_per_year_source=PeriodsPerYearSource(result.periods_per_year_source),
            window=EffectiveWindow.from_data(result.window),
            benchmark=BenchmarkUsed.from_spec(spec) if spec and report else None,
            alignment=AlignmentReport.from_pure(report) if report else None,
            columns=RollingColumns(_result=result),
        )
