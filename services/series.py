"""Bucketed, time-weighted series straight from SQL: one statement for many series.

Each request is (entity id, resolved window, interval). The statement takes the anchor (the
last row at or before the window's start) plus the window's rows, computes every row's
log growth ``ln((value_t - cash_flow_t) / value_{t-1})``, and groups rows into buckets
(``date_trunc`` in UTC), keeping the last value of each bucket and the summed log growth.
Python then only exponentiates and cumulates: no raw rows are loaded for bucketed intervals,
and each series arrives as one row of arrays (decoded by the driver, not row by row).
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


def _statement(t: SeriesTable) -> str:
    return f"""
WITH keys AS (
  SELECT * FROM unnest(CAST(:ids AS int[]), CAST(:afters AS timestamptz[]),
                       CAST(:untils AS timestamptz[]), CAST(:units AS text[]))
       WITH ORDINALITY AS k(entity_id, after_ts, until_ts, unit, key_no)
), rows AS (
  SELECT k.key_no, k.unit, r.ts, r.value, r.flow, r.is_anchor,
         lag(r.value) OVER (PARTITION BY k.key_no ORDER BY r.ts) AS prev_value
  FROM keys k
  CROSS JOIN LATERAL (
    (SELECT ts, {t.value} AS value, {t.flow} AS flow, true AS is_anchor FROM {t.name}
      WHERE {t.key} = k.entity_id AND k.after_ts IS NOT NULL AND ts <= k.after_ts
      ORDER BY ts DESC LIMIT 1)
    UNION ALL
    (SELECT ts, {t.value}, {t.flow}, false FROM {t.name}
      WHERE {t.key} = k.entity_id
        AND ts > coalesce(k.after_ts, '-infinity')
        AND ts <= coalesce(k.until_ts, 'infinity'))
  ) r
), buckets AS (
  SELECT key_no, max(ts) AS ts,
         (array_agg(value ORDER BY ts DESC))[1] AS value,
         sum(ln((value - flow) / prev_value)) AS log_growth,
         sum(flow) AS flow
  FROM rows
  WHERE NOT is_anchor
  GROUP BY key_no, CASE WHEN unit = 'raw' THEN ts ELSE date_trunc(unit, ts, 'UTC') END
)
SELECT key_no,
       array_agg((extract(epoch FROM ts) * 1000000)::int8 ORDER BY ts) AS ts_us,
       array_agg(value ORDER BY ts) AS value,
       array_agg(log_growth ORDER BY ts) AS log_growth,
       array_agg(flow ORDER BY ts) AS flow
FROM buckets
GROUP BY key_no
"""


_STATEMENTS = {t.name: text(_statement(t)) for t in (PERFORMANCE, BENCHMARK)}


async def fetch_series(
    session: AsyncSession, table: SeriesTable, requests: Sequence[SeriesRequest]
) -> list[Series]:
    """Every requested series in one SQL statement, in request order."""
    if not requests:
        return []
    params = {
        "ids": [r.entity_id for r in requests],
        "afters": [r.window.after for r in requests],
        "untils": [r.window.until for r in requests],
        "units": [r.interval.value for r in requests],
    }
    result = await session.execute(_STATEMENTS[table.name], params)
    found = {key_no: _to_series(*columns) for key_no, *columns in result}
    return [found.get(i + 1, EMPTY) for i in range(len(requests))]


def _to_series(
    ts_us: list[int], values: list[float], log_growth: list[float | None], flows: list[float]
) -> Series:
    """One series from its columns (one row per series: arrays, not a row per bucket)."""
    return Series(
        epoch_us=np.array(ts_us, dtype=np.int64),
        values=np.array(values, dtype=np.float64),
        returns=np.expm1(np.array(log_growth, dtype=np.float64)),  # None (inception): NaN
        cash_flows=np.array(flows, dtype=np.float64),
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
