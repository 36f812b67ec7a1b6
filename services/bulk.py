"""Bulk backfill through COPY: many rows for one series in a few statements.

Rows are copied into a temporary table, then merged: new timestamps are inserted with
consecutive sequence numbers after the series' ``last_seq``; timestamps already stored are
left untouched (a backfill never rewrites history; revisions go through the ingest path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class BulkTarget:
    table: str
    key: str
    columns: tuple[str, ...]  # value columns after (key, ts)
    owner: str  # the table whose last_seq numbers the rows


PERFORMANCE = BulkTarget("performance_points", "strategy_id", ("nav", "cash_flow"), "strategies")
BENCHMARK = BulkTarget("benchmark_prices", "benchmark_id", ("level",), "benchmarks")


@dataclass(frozen=True)
class BulkResult:
    inserted: int
    last_seq: int


async def copy_rows(
    conn: AsyncConnection,
    target: BulkTarget,
    entity_id: int,
    rows: Sequence[tuple[Any, ...]],
) -> BulkResult:
    """Insert the rows whose timestamps are new, in one transaction of the caller's."""
    cols = ", ".join(target.columns)
    await conn.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS _bulk_{target.table} "
            f"(ts timestamptz, {', '.join(c + ' float8' for c in target.columns)}) ON COMMIT DROP"
        )
    )
    raw: Any = await conn.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        f"_bulk_{target.table}", records=rows, columns=["ts", *target.columns]
    )
    result = await conn.execute(
        text(f"""
WITH owner AS (SELECT last_seq FROM {target.owner} WHERE id = :id FOR UPDATE),
new_rows AS (
  SELECT b.ts, {", ".join("b." + c for c in target.columns)},
         (SELECT last_seq FROM owner) + row_number() OVER (ORDER BY b.ts) AS seq
  FROM (SELECT DISTINCT ON (ts) * FROM _bulk_{target.table} ORDER BY ts) b
  WHERE NOT EXISTS (SELECT 1 FROM {target.table} t WHERE t.{target.key} = :id AND t.ts = b.ts)
), inserted AS (
  INSERT INTO {target.table} ({target.key}, ts, {cols}, seq)
  SELECT :id, ts, {cols}, seq FROM new_rows
  RETURNING seq
)
UPDATE {target.owner}
SET last_seq = greatest(last_seq, coalesce((SELECT max(seq) FROM inserted), 0))
WHERE id = :id
RETURNING last_seq, (SELECT count(*) FROM inserted)
"""),
        {"id": entity_id},
    )
    last_seq, inserted = result.one()
    await conn.execute(text(f"DROP TABLE _bulk_{target.table}"))
    return BulkResult(inserted=int(inserted), last_seq=int(last_seq))
