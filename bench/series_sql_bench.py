"""The bucketed-series SQL statement (services/series.py) against the statement it replaced.

Baseline, kept here verbatim and measured in the same run: the anchor and the window's rows
as a UNION per key, ``lag`` over every key's rows, a filter of the anchor rows, a sort by
(key, bucket, ts desc) for ``date_trunc`` groups taking ``(array_agg(value ORDER BY ts
DESC))[1]``, then ``array_agg`` per key with ``extract(epoch)`` microseconds (numeric), and
the arrays turned into numpy from Python lists. Both return the same numbers (checked here
to the last bit before timing).

Timed: ``fetch_series`` as the loaders call it (one statement through SQLAlchemy/asyncpg,
decoding included), the variants interleaved round after round. Also PostgreSQL's own
execution time (``EXPLAIN (ANALYZE, TIMING OFF)``, no client work or transfer).

Run: uv run python bench/series_sql_bench.py
"""

from __future__ import annotations

import asyncio
import json
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bench._setup import RESULTS, median, open_bench_resources, p
from bench.cache_bench import ensure_twenty_strategies
from services.db.models import Benchmark, Strategy
from services.resources import Resources
from services.series import (
    BENCHMARK,
    EMPTY,
    PERFORMANCE,
    Series,
    SeriesRequest,
    SeriesTable,
    _params,
    _statement,
    fetch_latest,
    fetch_series,
)
from services.windows import Interval, Window, WindowPreset, resolve

COMMAND = "uv run python bench/series_sql_bench.py"
ROUNDS = 41
EXPLAINS = 7


def baseline_statement(t: SeriesTable) -> str:
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


BASELINE = {t.name: text(baseline_statement(t)) for t in (PERFORMANCE, BENCHMARK)}


def baseline_params(requests: Sequence[SeriesRequest]) -> dict[str, list[object]]:
    return {
        "ids": [r.entity_id for r in requests],
        "afters": [r.window.after for r in requests],
        "untils": [r.window.until for r in requests],
        "units": [r.interval.value for r in requests],
    }


async def baseline_fetch_series(
    session: AsyncSession, table: SeriesTable, requests: Sequence[SeriesRequest]
) -> list[Series]:
    result = await session.execute(BASELINE[table.name], baseline_params(requests))
    found = {
        key_no: Series(
            epoch_us=np.array(ts_us, dtype=np.int64),
            values=np.array(values, dtype=np.float64),
            returns=np.expm1(np.array(log_growth, dtype=np.float64)),
            cash_flows=np.array(flows, dtype=np.float64),
        )
        for key_no, ts_us, values, log_growth, flows in result
    }
    return [found.get(i + 1, EMPTY) for i in range(len(requests))]


@dataclass(frozen=True)
class Case:
    name: str
    table: SeriesTable
    requests: list[SeriesRequest]


async def cases(resources: Resources) -> list[Case]:
    async with resources.sessions() as session:
        strategies = list(
            (await session.scalars(select(Strategy.id).order_by(Strategy.id).limit(20))).all()
        )
        msft = await session.scalar(select(Strategy.id).where(Strategy.slug == "stock-msft"))
        spx = await session.scalar(select(Benchmark.id).where(Benchmark.symbol == "SPX"))
        assert msft is not None
        assert spx is not None
        latest = await fetch_latest(session, PERFORMANCE, [*strategies, msft])
        spx_latest = (await fetch_latest(session, BENCHMARK, [spx]))[spx]

    def requests(ids: list[int], preset: WindowPreset, interval: Interval) -> list[SeriesRequest]:
        window = Window(preset=preset)
        return [SeriesRequest(i, resolve(window, latest[i].timestamp), interval) for i in ids]

    spx_1y = resolve(Window(preset=WindowPreset.ONE_YEAR), spx_latest.timestamp)
    return [
        Case(
            "dashboard: 20 strategies, 1Y, day",
            PERFORMANCE,
            requests(strategies, WindowPreset.ONE_YEAR, Interval.DAY),
        ),
        Case("S&P 500, 1Y, day", BENCHMARK, [SeriesRequest(spx, spx_1y, Interval.DAY)]),
        Case(
            "stock-msft, 10Y, day",
            PERFORMANCE,
            requests([msft], WindowPreset.TEN_YEARS, Interval.DAY),
        ),
        Case(
            "20 strategies, MAX, week",
            PERFORMANCE,
            requests(strategies, WindowPreset.MAX, Interval.WEEK),
        ),
        Case(
            "20 strategies, MAX, month",
            PERFORMANCE,
            requests(strategies, WindowPreset.MAX, Interval.MONTH),
        ),
    ]


def assert_same(a: list[Series], b: list[Series]) -> None:
    """Timestamps, values, returns and flows identical to the last bit."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for field in ("epoch_us", "values", "returns", "cash_flows"):
            assert np.array_equal(getattr(x, field), getattr(y, field), equal_nan=True), field


Fetch = Callable[[AsyncSession, SeriesTable, Sequence[SeriesRequest]], Awaitable[list[Series]]]
VARIANTS: dict[str, Fetch] = {"baseline": baseline_fetch_series, "new": fetch_series}


async def execution_ms(session: AsyncSession, sql: str, params: dict[str, list[object]]) -> float:
    """PostgreSQL's own execution time of the statement (median of a few, timing off)."""
    times = []
    for _ in range(EXPLAINS):
        explain = text(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}")
        plan = (await session.execute(explain, params)).scalar_one()
        document = json.loads(plan) if isinstance(plan, str) else plan
        times.append(float(document[0]["Execution Time"]))
    return median(times)


@dataclass(frozen=True)
class Measured:
    case: Case
    buckets: int
    times: dict[str, list[float]]
    server: dict[str, float]


async def measure(resources: Resources, case: Case) -> Measured:
    async with resources.sessions() as session:
        found = {name: await f(session, case.table, case.requests) for name, f in VARIANTS.items()}
        assert_same(found["baseline"], found["new"])
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(ROUNDS):
            for name, fetch in VARIANTS.items():
                start = time.perf_counter()
                await fetch(session, case.table, case.requests)
                times[name].append((time.perf_counter() - start) * 1000)
        server = {
            "baseline": await execution_ms(
                session, baseline_statement(case.table), baseline_params(case.requests)
            ),
            "new": await execution_ms(session, _statement(case.table), _params(case.requests)),
        }
    return Measured(case, sum(len(s) for s in found["new"]), times, server)


async def main() -> None:
    resources = await open_bench_resources()
    await ensure_twenty_strategies(resources)
    measured = [await measure(resources, case) for case in await cases(resources)]
    await resources.close()
    lines = [
        "# Bucketed-series SQL statement: baseline against new",
        "",
        "`fetch_series` (services/series.py) through SQLAlchemy/asyncpg, decoding to numpy",
        f"included: median and p90 of {ROUNDS} interleaved rounds, in ms. PostgreSQL: its own",
        "execution time (EXPLAIN ANALYZE, timing off; no transfer or decoding), median.",
        "Both statements return the same timestamps, values, returns and flows, to the last bit",
        "(checked before timing). Demo data plus the 20-strategy benchmark set.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}.",
        f"Command: `{COMMAND}`",
        "",
        "| case | keys | buckets | baseline p50 | new p50 | baseline p90 | new p90 "
        "| PostgreSQL baseline | PostgreSQL new | new vs baseline (p50) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measured:
        old, new = m.times["baseline"], m.times["new"]
        lines.append(
            f"| {m.case.name} | {len(m.case.requests)} | {m.buckets} "
            f"| {median(old):.2f} | {median(new):.2f} | {p(old, 0.9):.2f} | {p(new, 0.9):.2f} "
            f"| {m.server['baseline']:.2f} | {m.server['new']:.2f} "
            f"| {median(old) / median(new):.1f}x faster |"
        )
    text_ = "\n".join(lines) + "\n"
    print(text_)
    (RESULTS / "series_sql.md").write_text(text_)


if __name__ == "__main__":
    asyncio.run(main())
