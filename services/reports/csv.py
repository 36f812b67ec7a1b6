"""The CSV report, streamed: small sections first, then the series in chunks.

The file is a sequence of sections. Each starts with a ``section,<name>`` row and a header
row, and ends with an empty line::

    section,report            field,value rows (strategy, benchmark, window, as of ...)
    section,metrics           key,label,strategy,benchmark,strategy_text,benchmark_text
    section,methodology       key,label,text
    section,top_drawdowns     rank,depth,peak,start,trough,recovery,duration_periods,...
    section,monthly_returns   period,strategy,benchmark,excess
    section,yearly_returns    period,strategy,benchmark,excess
    section,series            date,nav,return,cumulative_return,drawdown,benchmark_level,...

Numbers are decimal fractions written as the shortest decimal that reads back as the same
float (``*_text`` columns show them as the PDF does); undefined values are empty. The series
is written from numpy columns a chunk at a time, so no per-row Python objects exist beyond
one chunk, whatever the length of the series.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from services.analytics import PeriodTable
from services.reports.data import ReportData, SeriesColumns, series_columns
from services.reports.formatting import COMPARISON_FIGURES, csv_number, metric_figures
from services.reports.methodology import methodology_notes
from services.reports.spec import ReportSection, window_label

CHUNK_ROWS = 5_000
SERIES_HEADER = (
    "date",
    "nav",
    "return",
    "cumulative_return",
    "drawdown",
    "benchmark_level",
    "benchmark_return",
    "relative",
)
METRICS_HEADER = ("key", "label", "strategy", "benchmark", "strategy_text", "benchmark_text")
DRAWDOWN_HEADER = (
    "rank",
    "depth",
    "peak",
    "start",
    "trough",
    "recovery",
    "duration_periods",
    "duration_days",
)
PERIOD_HEADER = ("period", "strategy", "benchmark", "excess")
Row = Sequence[object]


def _write(rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _section(name: str, header: Row, rows: Iterable[Row]) -> str:
    return _write([("section", name), header, *rows, ()])


def _iso(ts: datetime | pd.Timestamp | None) -> str:
    return "" if ts is None else ts.isoformat()


def report_rows(data: ReportData) -> list[Row]:
    s, b = data.strategy, data.benchmark_record
    return [
        ("strategy", s.slug),
        ("strategy_name", s.name),
        ("strategy_id", s.id),
        ("base_currency", s.base_currency),
        ("benchmark", b.symbol),
        ("benchmark_name", b.name),
        ("window", window_label(data.spec.window)),
        ("interval", data.spec.interval.value),
        ("generated_at", _iso(data.generated_at)),
        ("data_as_of", _iso(data.as_of)),
        ("benchmark_as_of", _iso(data.benchmark_as_of)),
    ]


def metric_rows(data: ReportData) -> list[Row]:
    strategy, benchmark = data.metrics.metrics, data.benchmark_metrics.metrics
    comparison = data.comparison.comparison
    rows: list[Row] = []
    for f in metric_figures(data.spec.interval):
        raw = (csv_number(f.value(strategy)), csv_number(f.value(benchmark)))
        rows.append((f.key, f.label, *raw, f.text(strategy), f.text(benchmark)))
    for f in COMPARISON_FIGURES:
        rows.append((f.key, f.label, csv_number(f.value(comparison)), "", f.text(comparison), ""))
    return rows


def drawdown_rows(data: ReportData) -> list[Row]:
    return [
        (
            rank,
            csv_number(d.depth),
            _iso(d.peak),
            _iso(d.start),
            _iso(d.trough),
            _iso(d.recovery),
            d.duration_periods,
            d.duration_days,
        )
        for rank, d in enumerate(data.top_drawdowns, start=1)
    ]


def period_rows(table: PeriodTable) -> list[Row]:
    def column(values: pd.Series | None) -> list[str]:
        if values is None:
            return [""] * len(table.strategy)
        return [csv_number(x) for x in values.to_numpy(dtype=np.float64).tolist()]

    labels = [ts.strftime("%Y-%m-%d") for ts in table.strategy.index]
    columns = (column(table.strategy), column(table.benchmark), column(table.excess))
    return list(zip(labels, *columns, strict=True))


def _metrics(data: ReportData) -> str:
    return _section("metrics", METRICS_HEADER, metric_rows(data))


def _methodology(data: ReportData) -> str:
    notes = [(n.key, n.label, n.text) for n in methodology_notes(data)]
    return _section("methodology", ("key", "label", "text"), notes)


def _drawdowns(data: ReportData) -> str:
    return _section("top_drawdowns", DRAWDOWN_HEADER, drawdown_rows(data))


def _yearly(data: ReportData) -> str:
    return _section("yearly_returns", PERIOD_HEADER, period_rows(data.yearly.table))


def _monthly(data: ReportData) -> str:
    return _section("monthly_returns", PERIOD_HEADER, period_rows(data.monthly.table))


SECTIONS: dict[ReportSection, Callable[[ReportData], str]] = {
    ReportSection.METRICS: _metrics,
    ReportSection.METHODOLOGY: _methodology,
    ReportSection.DRAWDOWNS: _drawdowns,
    ReportSection.YEARLY_RETURNS: _yearly,
    ReportSection.MONTHLY_RETURNS: _monthly,
}


def head(data: ReportData) -> str:
    """Every section before the series, in the spec's order."""
    parts = [_section("report", ("field", "value"), report_rows(data))]
    parts += [SECTIONS[s](data) for s in data.spec.sections if s in SECTIONS]
    return "".join(parts)


DateUnit = Literal["D", "s", "us"]


def date_unit(epoch_us: np.ndarray) -> DateUnit:
    """Dates when every point is at midnight UTC (daily and coarser), else timestamps."""
    if not (epoch_us % 86_400_000_000).any():
        return "D"
    return "us" if (epoch_us % 1_000_000).any() else "s"


def _dates(epoch_us: np.ndarray, unit: DateUnit) -> list[str]:
    stamps = epoch_us.astype("datetime64[us]")
    if unit == "D":
        return np.datetime_as_string(stamps, unit=unit).tolist()  # type: ignore[no-any-return]
    return np.datetime_as_string(stamps, unit=unit, timezone="UTC").tolist()  # type: ignore[no-any-return]


def _cells(values: np.ndarray) -> list[str]:
    return ["" if x != x else repr(x) for x in values.tolist()]


def series_chunk(columns: SeriesColumns, unit: DateUnit, start: int, stop: int) -> str:
    """Rows ``start:stop`` of the series section (no quoting needed: numbers and dates)."""
    arrays = (
        columns.nav,
        columns.returns,
        columns.cumulative,
        columns.drawdown,
        columns.benchmark_level,
        columns.benchmark_return,
        columns.relative,
    )
    cells = [_dates(columns.epoch_us[start:stop], unit), *(_cells(a[start:stop]) for a in arrays)]
    return "".join(",".join(row) + "\r\n" for row in zip(*cells, strict=True))


async def stream_csv(data: ReportData, chunk_rows: int = CHUNK_ROWS) -> AsyncIterator[bytes]:
    """The report as UTF-8 chunks: the head, then the series ``chunk_rows`` rows at a time."""
    yield head(data).encode()
    if not data.spec.includes(ReportSection.SERIES):
        return
    columns = series_columns(data)
    unit = date_unit(columns.epoch_us)
    yield _write([("section", "series"), SERIES_HEADER]).encode()
    for start in range(0, len(columns), chunk_rows):
        await asyncio.sleep(0)  # let other requests run between chunks
        yield series_chunk(columns, unit, start, start + chunk_rows).encode()
    yield b"\r\n"
