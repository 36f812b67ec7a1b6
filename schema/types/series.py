"""Series as points (objects) and columns (parallel arrays, one scalar each)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import strawberry

from schema.types.common import FloatColumn, Interval, TimestampColumn
from services.series import FloatArray, Latest, Series


def float_column(values: FloatArray) -> list[float | None]:
    if not np.isnan(values).any():
        return values.tolist()  # type: ignore[no-any-return]
    return [None if v != v else v for v in values.tolist()]


def _optional(value: float) -> float | None:
    return None if value != value else value


@strawberry.type(description="One bucket of a strategy's performance.")
class PerformancePoint:
    timestamp: datetime
    nav: float
    return_: float | None = strawberry.field(
        name="return", description="Time-weighted return of the bucket (null at inception)."
    )
    cumulative_return: float
    drawdown: float
    cash_flow: float


@strawberry.interface(description="A series as parallel arrays: cheap to execute and to chart.")
class SeriesColumns:
    _series: strawberry.Private[Series]

    @strawberry.field
    def timestamps(self) -> TimestampColumn:
        return TimestampColumn(self._series.iso_timestamps())

    @strawberry.field(description="Time-weighted return of each bucket (null at inception).")
    def returns(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.returns))

    @strawberry.field(description="Compounded return since the window's start.")
    def cumulative_return(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.cumulative))

    @strawberry.field(description="Decline from the running peak of the compounded index (<= 0).")
    def drawdown(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.drawdowns))


@strawberry.type(description="A strategy's series as parallel arrays.")
class PerformanceColumns(SeriesColumns):
    @strawberry.field
    def nav(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.values))

    @strawberry.field
    def cash_flow(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.cash_flows))


@strawberry.interface(description="A bucketed series over a window.")
class SeriesWindow:
    interval: Interval
    _series: strawberry.Private[Series]

    @strawberry.field(description="Timestamp of the first point in the window.")
    def start(self) -> datetime | None:
        return self._series.timestamp_at(0) if len(self._series) else None

    @strawberry.field(description="Timestamp of the last point in the window.")
    def end(self) -> datetime | None:
        return self._series.timestamp_at(-1) if len(self._series) else None

    @strawberry.field
    def count(self) -> int:
        return len(self._series)


@strawberry.type(description="A strategy's bucketed, time-weighted performance over a window.")
class Performance(SeriesWindow):
    @strawberry.field
    def points(self) -> list[PerformancePoint]:
        s = self._series
        return [
            PerformancePoint(
                timestamp=ts,
                nav=nav,
                return_=_optional(r),
                cumulative_return=c,
                drawdown=d,
                cash_flow=f,
            )
            for ts, nav, r, c, d, f in zip(
                s.timestamps,
                s.values.tolist(),
                s.returns.tolist(),
                s.cumulative.tolist(),
                s.drawdowns.tolist(),
                s.cash_flows.tolist(),
                strict=True,
            )
        ]

    @strawberry.field
    def columns(self) -> PerformanceColumns:
        return PerformanceColumns(_series=self._series)


@strawberry.type(description="One bucket of a benchmark's levels.")
class BenchmarkPoint:
    timestamp: datetime
    level: float
    return_: float | None = strawberry.field(name="return")
    cumulative_return: float
    drawdown: float


@strawberry.type(description="A benchmark's series as parallel arrays.")
class BenchmarkColumns(SeriesColumns):
    @strawberry.field
    def level(self) -> FloatColumn:
        return FloatColumn(float_column(self._series.values))


@strawberry.type(description="A benchmark's bucketed levels over a window.")
class BenchmarkSeries(SeriesWindow):
    @strawberry.field
    def points(self) -> list[BenchmarkPoint]:
        s = self._series
        return [
            BenchmarkPoint(
                timestamp=ts, level=v, return_=_optional(r), cumulative_return=c, drawdown=d
            )
            for ts, v, r, c, d in zip(
                s.timestamps,
                s.values.tolist(),
                s.returns.tolist(),
                s.cumulative.tolist(),
                s.drawdowns.tolist(),
                strict=True,
            )
        ]

    @strawberry.field
    def columns(self) -> BenchmarkColumns:
        return BenchmarkColumns(_series=self._series)


@strawberry.type(description="The newest point of a series and its return against the one before.")
class LatestPoint:
    timestamp: datetime
    value: float = strawberry.field(description="NAV for strategies, level for benchmarks.")
    return_: float | None = strawberry.field(name="return")
    seq: int = strawberry.field(description="Sequence number of the write that stored it.")

    @classmethod
    def from_latest(cls, latest: Latest) -> LatestPoint:
        return cls(
            timestamp=latest.timestamp, value=latest.value, return_=latest.return_, seq=latest.seq
        )
