"""Bucketed, time-weighted series straight from SQL: one statement for many series.

Each request is (entity id, resolved window, interval). Per request, the statement reads the
window's rows in bucket order, takes each row's log growth ``ln((value_t - cash_flow_t) /
value_{t-1})`` (the first row's previous value is the anchor: the last row at or before the
window's start), and groups rows into buckets, keeping the last value and timestamp of each
bucket with its summed log growth and flows. Python then only exponentiates and cumulates:
no raw rows are loaded for bucketed intervals, and each series arrives as one row of binary
columns (PostgreSQL's big-endian send format, read by numpy without a Python object per value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.windows import Interval, ResolvedWindow

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SeriesRequest:
    entity_id: int
    window: ResolvedWindow
    interval: Interval


@dataclass(frozen=True)
class Series:
    """A bucketed series. ``returns[0]`` is NaN when the window starts at inception."""

    epoch_us: npt.NDArray[np.int64]  # bucket timestamps, microseconds since 1970 UTC
    values: FloatArray  # last NAV or level of each bucket
    returns: FloatArray  # time-weighted return of each bucket
    cash_flows: FloatArray  # external flows summed per bucket

    @property
    def cumulative(self) -> FloatArray:
        growth = np.nan_to_num(self.returns, nan=0.0) + 1.0
        return np.asarray(np.cumprod(growth) - 1.0, dtype=np.float64)

    @property
    def drawdowns(self) -> FloatArray:
        index = self.cumulative + 1.0
        peak = np.maximum.accumulate(np.maximum(index, 1.0)) if index.size else index
        result: FloatArray = index / peak - 1.0
        return result

    @property
    def timestamps(self) -> list[datetime]:
        return [_EPOCH + timedelta(microseconds=us) for us in self.epoch_us.tolist()]

    def timestamp_at(self, i: int) -> datetime:
        return _EPOCH + timedelta(microseconds=int(self.epoch_us[i]))

    def iso_timestamps(self) -> list[str]:
        """ISO-8601 UTC strings (seconds unless a timestamp has a fraction)."""
        return iso_utc(self.epoch_us)

    def __len__(self) -> int:
        return int(self.epoch_us.size)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_MEMO_SIZE = 50_000
_iso_memo: dict[Literal["s", "us"], dict[int, str]] = {"s": {}, "us": {}}


def iso_utc(epoch_us: npt.NDArray[np.int64]) -> list[str]:
    """ISO-8601 UTC strings of microsecond timestamps, seconds unless one has a fraction.

    Formatted with numpy and remembered (boundedly): the same dates recur in every series
    of a response and from one response to the next."""
    unit: Literal["s", "us"] = "us" if (epoch_us % 1_000_000).any() else "s"
    memo = _iso_memo[unit]
    stamps: list[int] = epoch_us.tolist()
    try:
        return [memo[us] for us in stamps]
    except KeyError:
        pass
    found = np.datetime_as_string(epoch_us.astype("datetime64[us]"), unit=unit, timezone="UTC")
    strings: list[str] = found.tolist()
    if len(memo) + len(strings) > _ISO_MEMO_SIZE:
        memo.clear()
    memo.update(zip(stamps, strings, strict=True))
    return strings


EMPTY = Series(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0))


@dataclass(frozen=True)
class SeriesTable:
    name: str
    key: str
    value: str
    flow: str  # an SQL expression


PERFORMANCE = SeriesTable("performance_points", "strategy_id", "nav", "cash_flow")
BENCHMARK = SeriesTable("benchmark_prices", "benchmark_id", "level", "0::float8")


# Fixed-length buckets are bins of a stride (``date_bin``) counted from a Monday at midnight
# UTC, so that 7-day bins are ISO weeks; a 1 µs stride puts every row in a bucket of its own
# (RAW). Calendar buckets (no stride) are ``date_trunc`` of the unit on the UTC wall clock
# (less than half the cost of ``date_trunc(unit, ts, 'UTC')``, which looks the zone up per row).
_STRIDES: dict[Interval, timedelta | None] = {
    Interval.RAW: timedelta(microseconds=1),
    Interval.MINUTE: timedelta(minutes=1),
    Interval.HOUR: timedelta(hours=1),
    Interval.DAY: timedelta(days=1),
    Interval.WEEK: timedelta(days=7),
    Interval.MONTH: None,
}


def _statement(t: SeriesTable) -> str:
    """One row per request: its buckets as four binary columns, newest bucket first.

    Per request (a LATERAL subquery), one sort of the window's rows, newest first by (bucket,
    ts), serves the window pass, the grouping and the aggregation in order. In that order
    ``lead`` is the previous row in time (the anchor for the oldest row) and ``lag`` the next
    one, whose bucket tells whether a row is its bucket's last. Each bucket's log growth and
    flows are summed newest first, the order earlier versions summed them in: the numbers are
    the same to the last bit. The window's frame is ROWS only because lag and lead ignore
    frames: it spares the default RANGE frame's peer tracking. Columns are concatenated
    ``timestamptz_send`` / ``float8send`` values (big-endian int64 microseconds since
    2000-01-01, float8): exact, and read by ``np.frombuffer``. An empty window gives NULLs."""
    return f"""
WITH keys AS MATERIALIZED (
  SELECT k.key_no, k.entity_id, k.after_ts, k.until_ts, k.unit, k.stride,
         (SELECT {t.value} FROM {t.name} WHERE {t.key} = k.entity_id AND ts <= k.after_ts
           ORDER BY ts DESC LIMIT 1) AS anchor
  FROM unnest(CAST(:ids AS int[]), CAST(:afters AS timestamptz[]),
              CAST(:untils AS timestamptz[]), CAST(:units AS text[]),
              CAST(:strides AS interval[]))
       WITH ORDINALITY AS k(entity_id, after_ts, until_ts, unit, stride, key_no)
)
SELECT k.key_no, s.ts, s.value, s.log_growth, s.flow
FROM keys k
CROSS JOIN LATERAL (
  SELECT string_agg(timestamptz_send(ts), '' ORDER BY bucket DESC) AS ts,
         string_agg(float8send(value), '' ORDER BY bucket DESC) AS value,
         string_agg(float8send(coalesce(log_growth, 'NaN')), '' ORDER BY bucket DESC)
           AS log_growth,
         string_agg(float8send(flow), '' ORDER BY bucket DESC) AS flow
  FROM (
    SELECT bucket, max(ts) AS ts, max(value) FILTER (WHERE is_last) AS value,
           sum(log_growth) AS log_growth, sum(flow) AS flow
    FROM (
      SELECT bucket, ts, value, flow,
             ln((value - flow) / lead(value, 1, k.anchor) OVER w) AS log_growth,
             lag(bucket) OVER w IS DISTINCT FROM bucket AS is_last
      FROM (
        SELECT ts, {t.value} AS value, {t.flow} AS flow,
               CASE WHEN k.stride IS NULL
                      THEN date_trunc(k.unit, ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                    ELSE date_bin(k.stride, ts, timestamptz '0001-01-01 00:00:00+00') -- Monday
               END AS bucket
        FROM {t.name}
        WHERE {t.key} = k.entity_id
          AND ts > coalesce(k.after_ts, '-infinity')
          AND ts <= coalesce(k.until_ts, 'infinity')
      ) r
      WINDOW w AS (ORDER BY bucket DESC, ts DESC ROWS UNBOUNDED PRECEDING)
    ) x
    GROUP BY bucket
    ORDER BY bucket DESC
  ) b
) s
"""


_STATEMENTS = {t.name: text(_statement(t)) for t in (PERFORMANCE, BENCHMARK)}


def _params(requests: Sequence[SeriesRequest]) -> dict[str, list[object]]:
    return {
        "ids": [r.entity_id for r in requests],
        "afters": [r.window.after for r in requests],
        "untils": [r.window.until for r in requests],
        "units": [r.interval.value for r in requests],
        "strides": [_STRIDES[r.interval] for r in requests],
    }


async def fetch_series(
    session: AsyncSession, table: SeriesTable, requests: Sequence[SeriesRequest]
) -> list[Series]:
    """Every requested series in one SQL statement, in request order."""
    if not requests:
        return []
    result = await session.execute(_STATEMENTS[table.name], _params(requests))
    found = {key_no: _to_series(*columns) for key_no, *columns in result if columns[0] is not None}
    return [found.get(i + 1, EMPTY) for i in range(len(requests))]


_PG_EPOCH_US = 946_684_800_000_000  # PostgreSQL's timestamp origin, 2000-01-01 UTC


def _to_series(ts: bytes, values: bytes, log_growth: bytes, flows: bytes) -> Series:
    """One series from its binary columns: big-endian, as PostgreSQL sends them, newest first."""
    return Series(
        epoch_us=np.frombuffer(ts, ">i8")[::-1] + _PG_EPOCH_US,
        values=np.frombuffer(values, ">f8")[::-1].astype(np.float64),
        returns=np.expm1(np.frombuffer(log_growth, ">f8")[::-1]),  # NaN (inception) stays NaN
        cash_flows=np.frombuffer(flows, ">f8")[::-1].astype(np.float64),
    )


@dataclass(frozen=True)
class Latest:
    """The newest row of a series, with its return against the row before it."""

    entity_id: int
    timestamp: datetime
    value: float
    cash_flow: float
    seq: int
    return_: float | None


def _latest_statement(t: SeriesTable) -> str:
    return f"""
SELECT k.entity_id, r.ts, r.value, r.flow, r.seq, r.prev_value
FROM unnest(CAST(:ids AS int[])) AS k(entity_id)
CROSS JOIN LATERAL (
  SELECT ts, {t.value} AS value, {t.flow} AS flow, seq,
         lead({t.value}) OVER (ORDER BY ts DESC) AS prev_value
  FROM {t.name} WHERE {t.key} = k.entity_id ORDER BY ts DESC LIMIT 2
) r
"""


_LATEST = {t.name: text(_latest_statement(t)) for t in (PERFORMANCE, BENCHMARK)}


async def fetch_latest(
    session: AsyncSession, table: SeriesTable, ids: Sequence[int]
) -> dict[int, Latest]:
    """The latest row of every requested series, in one SQL statement."""
    if not ids:
        return {}
    result = await session.execute(_LATEST[table.name], {"ids": list(ids)})
    latest: dict[int, Latest] = {}
    for entity_id, ts, value, flow, seq, prev in result:
        if entity_id in latest:
            continue
        ret = (value - flow) / prev - 1.0 if prev else None
        latest[entity_id] = Latest(entity_id, ts, value, flow, seq, ret)
    return latest
