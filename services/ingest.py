"""Writing series rows: validate, apply in one transaction, then publish.

For each accepted row: a new timestamp is inserted; a timestamp already stored with the
same values is a no-op; different values are a revision (the old values are kept in
``revisions``). Each insert or revision takes the next sequence number of its strategy or
benchmark (``last_seq``, locked for the transaction), so subscribers can order, de-duplicate
and detect gaps. Late rows are stored in place; ``latest`` is the newest timestamp, so a late
row never moves it backwards. Rejected rows go to ``quarantine`` with their reason.
Events are published on Redis only after the commit; a failed publish loses nothing, since
subscribers resynchronise from PostgreSQL by sequence number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services import events
from services.benchmarks import benchmarks_by_symbols
from services.errors import InvalidInput, NotFound
from services.resources import Resources
from services.strategies import strategies_by_ids
from services.validation import IncomingRow, Rejection, Validated, validate_rows
from services.versions import Dep
from services.write_batch import Batch, write_batch

Kind = Literal["performance", "benchmark"]


@dataclass(frozen=True)
class Change:
    ts: datetime
    value: float
    cash_flow: float
    seq: int
    revision: bool


@dataclass(frozen=True)
class IngestResult:
    entity_id: int
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0
    last_seq: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    kind: Kind
    table: str
    key: str
    value: str
    flow: str | None
    owner: str
    on_revision: str = ""  # more assignments when a stored row is revised


PERFORMANCE = _Target(
    "performance", "performance_points", "strategy_id", "nav", "cash_flow", "strategies"
)
BENCHMARK = _Target(
    "benchmark",
    "benchmark_prices",
    "benchmark_id",
    "level",
    None,
    "benchmarks",
    on_revision=", received_at = now()",  # a revised level arrived now
)


async def quarantine(
    conn: AsyncConnection, kind: Kind, entity: str, source: str, rejected: Sequence[Rejection]
) -> None:
    await quarantine_payloads(
        conn, kind, entity, source, [(r.reason, r.row.payload()) for r in rejected]
    )


async def quarantine_payloads(
    conn: AsyncConnection,
    kind: Kind,
    entity: str,
    source: str,
    items: Sequence[tuple[str, dict[str, Any]]],
) -> None:
    """Keep rejected input, as received, with the reason it was rejected."""
    if not items:
        return
    await conn.execute(
        text(
            "INSERT INTO quarantine (kind, entity, source, reason, payload) "
            "SELECT :kind, :entity, :source, r, p::jsonb "
            "FROM unnest(CAST(:reasons AS text[]), CAST(:payloads AS text[])) AS x(r, p)"
        ),
        {
            "kind": kind,
            "entity": entity,
            "source": source,
            "reasons": [reason for reason, _ in items],
            "payloads": [orjson.dumps(payload).decode() for _, payload in items],
        },
    )


async def _stored(
    conn: AsyncConnection, t: _Target, entity_id: int, stamps: list[datetime]
) -> dict[datetime, tuple[float, float]]:
    flow = t.flow or "0::float8"
    rows = await conn.execute(
        text(
            f"SELECT ts, {t.value}, {flow} FROM {t.table} "
            f"WHERE {t.key} = :id AND ts = ANY(CAST(:stamps AS timestamptz[]))"
        ),
        {"id": entity_id, "stamps": stamps},
    )
    return {ts: (value, cash_flow) for ts, value, cash_flow in rows}


async def apply_rows(
    conn: AsyncConnection, t: _Target, entity_id: int, rows: Sequence[IncomingRow], source: str
) -> tuple[list[Change], int, int]:
    """Apply validated rows in the caller's transaction; returns (changes, unchanged, last_seq)."""
    last_seq = (
        await conn.execute(
            text(f"SELECT last_seq FROM {t.owner} WHERE id = :id FOR UPDATE"), {"id": entity_id}
        )
    ).scalar_one()
    stored = await _stored(conn, t, entity_id, [r.ts for r in rows])
    changes: list[Change] = []
    old_values: list[tuple[float, float]] = []
    for row in rows:
        before = stored.get(row.ts)
        if before == (row.value, row.cash_flow):
            continue
        last_seq += 1
        changes.append(Change(row.ts, row.value, row.cash_flow, last_seq, before is not None))
        if before is not None:
            old_values.append(before)
    if changes:
        await _write(conn, t, entity_id, changes, old_values, source)
    return changes, len(rows) - len(changes), last_seq


async def _write(
    conn: AsyncConnection,
    t: _Target,
    entity_id: int,
    changes: list[Change],
    old_values: list[tuple[float, float]],
    source: str,
) -> None:
    columns = f"{t.value}, {t.flow}" if t.flow else t.value
    values = "x.v, x.f" if t.flow else "x.v"
    updates = f"{t.value} = EXCLUDED.{t.value}" + (
        f", {t.flow} = EXCLUDED.{t.flow}" if t.flow else ""
    )
    updates += t.on_revision
    await conn.execute(
        text(
            f"INSERT INTO {t.table} ({t.key}, ts, {columns}, seq) "
            f"SELECT :id, x.ts, {values}, x.seq FROM unnest(CAST(:ts AS timestamptz[]), "
            "CAST(:v AS float8[]), CAST(:f AS float8[]), CAST(:seq AS int8[])) AS x(ts, v, f, seq) "
            f"ON CONFLICT ({t.key}, ts) DO UPDATE SET {updates}, seq = EXCLUDED.seq"
        ),
        {
            "id": entity_id,
            "ts": [c.ts for c in changes],
            "v": [c.value for c in changes],
            "f": [c.cash_flow for c in changes],
            "seq": [c.seq for c in changes],
        },
    )
    revisions = [c for c in changes if c.revision]
    if revisions:
        await conn.execute(
            text(
                "INSERT INTO revisions (kind, entity_id, ts, seq, old, new, source) "
                "SELECT :kind, :id, x.ts, x.seq, x.old::jsonb, x.new::jsonb, :source "
                "FROM unnest(CAST(:ts AS timestamptz[]), CAST(:seq AS int8[]), "
                "CAST(:old AS text[]), CAST(:new AS text[])) AS x(ts, seq, old, new)"
            ),
            {
                "kind": t.kind,
                "id": entity_id,
                "source": source,
                "ts": [c.ts for c in revisions],
                "seq": [c.seq for c in revisions],
                "old": [orjson.dumps({"value": v, "cash_flow": f}).decode() for v, f in old_values],
                "new": [
                    orjson.dumps({"value": c.value, "cash_flow": c.cash_flow}).decode()
                    for c in revisions
                ],
            },
        )
    await conn.execute(
        text(f"UPDATE {t.owner} SET last_seq = :seq WHERE id = :id"),
        {"seq": changes[-1].seq, "id": entity_id},
    )


async def store_rows(
    batch: Batch,
    t: _Target,
    entity_id: int,
    entity_name: str,
    checked: Validated,
    *,
    source: str,
) -> IngestResult:
    """Store validated rows in the batch's transaction and quarantine the rejected ones; the
    entity's version (marked by the caller, :func:`dependency`) is set and the changes
    published once the batch commits."""
    await quarantine(batch.conn, t.kind, entity_name, source, checked.rejected)
    changes: list[Change] = []
    unchanged = last_seq = 0
    if checked.accepted:
        changes, unchanged, last_seq = await apply_rows(
            batch.conn, t, entity_id, checked.accepted, source
        )
        batch.committed(dependency(t, entity_id), last_seq)
    batch.publish(change_events(t, entity_id, entity_name, changes))
    return IngestResult(
        entity_id=entity_id,
        inserted=sum(not c.revision for c in changes),
        revised=sum(c.revision for c in changes),
        unchanged=unchanged,
        duplicates=checked.duplicates,
        last_seq=last_seq,
        rejected=checked.rejected,
        changes=changes,
    )


def dependency(t: _Target, entity_id: int) -> Dep:
    """What cached data of the entity depends on (services/versions.py)."""
    return Dep("strategy" if t.kind == "performance" else "benchmark", entity_id)


async def ingest(
    resources: Resources,
    t: _Target,
    entity_id: int,
    entity_name: str,
    rows: Sequence[IncomingRow],
    *,
    source: str,
    now: datetime | None = None,
) -> IngestResult:
    """Validate, store in one transaction, quarantine the rejects, then publish."""
    checked = validate_rows(rows, now=now or datetime.now(UTC), allow_cash_flow=t.flow is not None)
    # Cached data depends on the version: it is unknown while the write runs, and set
    # before this function returns, so an acknowledged write is visible at once.
    deps = [dependency(t, entity_id)] if checked.accepted else []
    async with write_batch(resources, deps) as batch:
        result = await store_rows(batch, t, entity_id, entity_name, checked, source=source)
    return result


def change_events(
    t: _Target, entity_id: int, name: str, changes: Sequence[Change]
) -> list[events.Event]:
    """The events that announce committed changes."""
    published: list[events.Event] = []
    for c in changes:
        kind: events.ChangeKind = "REVISION" if c.revision else "INSERT"
        if t.kind == "performance":
            published.append(
                events.PerformanceEvent(entity_id, c.seq, c.ts, c.value, c.cash_flow, kind)
            )
        else:
            published.append(events.BenchmarkTick(name, c.seq, c.ts, c.value, kind))
    return published


async def record_performance(
    resources: Resources, strategy_id: int, rows: Sequence[IncomingRow], *, source: str
) -> IngestResult:
    """Record NAV points for a strategy (raises NotFound for an unknown strategy)."""
    async with resources.sessions() as session:
        found = await strategies_by_ids(session, [strategy_id])
    if strategy_id not in found:
        raise NotFound(f"strategy {strategy_id} does not exist")
    return await ingest(resources, PERFORMANCE, strategy_id, str(strategy_id), rows, source=source)


async def record_benchmark_prices(
    resources: Resources, symbol: str, rows: Sequence[IncomingRow], *, source: str
) -> IngestResult:
    """Record index levels for a benchmark (raises NotFound for an unknown symbol)."""
    async with resources.sessions() as session:
        found = await benchmarks_by_symbols(session, [symbol])
    benchmark = found.get(symbol)
    if benchmark is None:
        raise NotFound(f"benchmark {symbol} does not exist")
    if benchmark.is_blend:
        raise InvalidInput(f"{symbol} is a blend: its levels come from its components")
    return await ingest(resources, BENCHMARK, benchmark.id, symbol, rows, source=source)


async def quarantine_raw(
    conn: AsyncConnection, kind: Kind, source: str, items: Sequence[tuple[str, str, object]]
) -> None:
    """Quarantine raw inputs that never became rows: (entity, reason, JSON payload) each."""
    if not items:
        return
    await conn.execute(
        text(
            "INSERT INTO quarantine (kind, entity, source, reason, payload) "
            "SELECT :kind, e, :source, r, p::jsonb FROM unnest(CAST(:entities AS text[]), "
            "CAST(:reasons AS text[]), CAST(:payloads AS text[])) AS x(e, r, p)"
        ),
        {
            "kind": kind,
            "source": source,
            "entities": [entity[:100] for entity, _, _ in items],
            "reasons": [reason for _, reason, _ in items],
            "payloads": [orjson.dumps(payload).decode() for _, _, payload in items],
        },
    )
