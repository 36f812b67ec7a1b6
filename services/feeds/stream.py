"""The market-data pipeline's Redis Stream: one benchmark level per entry.

Entry fields (docs/feeds.md): ``symbol`` (a registered benchmark), ``ts`` (ISO 8601 with an
offset, or a date for an end-of-day level) and ``level``. :func:`apply_market_data` applies a
batch in one transaction with its stream receipts, so a redelivered entry is a no-op, and
returns every id to acknowledge: applied, already applied, or quarantined as bad.
"""

from __future__ import annotations

import os
import socket
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from services import keys
from services.benchmarks import BenchmarkRecord, benchmarks_by_symbols
from services.feeds.formats import parse_timestamp
from services.feeds.registry import ensure_feeds, record_delivery
from services.feeds.status import count_rows
from services.feeds.store import (
    FeedReport,
    Problem,
    check,
    publish_changes,
    quarantine_problems,
    store_accepted,
)
from services.ingest import Change
from services.resources import Resources
from services.streams import Apply, StreamConsumer, StreamEntry, first_receipts
from services.validation import IncomingRow
from services.versions import Dep

GROUP = "perfgraph-benchmarks"
UNKNOWN = "?"  # the quarantine entity of entries that name no benchmark


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _row(entry: StreamEntry) -> tuple[str, IncomingRow | Problem]:
    symbol = entry.fields.get("symbol", "").strip().upper()
    payload = {**entry.fields, "entry": entry.id}

    def bad(field: str, reason: str) -> tuple[str, Problem]:
        return symbol or UNKNOWN, Problem(f"entry {entry.id}", field, reason, payload)

    if not symbol:
        return bad("symbol", "entry has no symbol")
    try:
        ts = parse_timestamp(entry.fields.get("ts", ""))
    except ValueError as exc:
        return bad("ts", f"unreadable timestamp {entry.fields.get('ts')!r}: {exc}")
    try:
        level = float(entry.fields.get("level", ""))
    except ValueError:
        return bad("value", f"level {entry.fields.get('level')!r} is not a number")
    return symbol, IncomingRow(ts, level)


async def _store_symbol(
    conn: AsyncConnection,
    benchmark: BenchmarkRecord,
    rows: list[tuple[str, IncomingRow]],
    *,
    feed_id: int,
    source: str,
    now: datetime,
) -> tuple[FeedReport, list[Change]]:
    report = FeedReport(benchmark.symbol, received=len(rows))
    checked = check([r for _, r in rows], [f"entry {i}" for i, _ in rows], now=now)
    report.problems, report.duplicates = checked.problems, checked.duplicates
    await quarantine_problems(conn, benchmark.symbol, source, checked.problems)
    stored = await store_accepted(conn, benchmark, checked.accepted, source=source)
    report.add(stored, checked.accepted)
    await record_delivery(conn, feed_id, report)
    return report, stored.changes


def _sort(
    entries: Sequence[StreamEntry],
) -> tuple[dict[str, list[tuple[str, IncomingRow]]], dict[str, list[Problem]]]:
    rows: dict[str, list[tuple[str, IncomingRow]]] = defaultdict(list)
    problems: dict[str, list[Problem]] = defaultdict(list)
    for entry in entries:
        symbol, parsed = _row(entry)
        if isinstance(parsed, Problem):
            problems[symbol].append(parsed)
        else:
            rows[symbol].append((entry.id, parsed))
    return rows, problems


def _unusable(symbols: Sequence[str], found: dict[str, BenchmarkRecord]) -> dict[str, str]:
    reasons = {}
    for symbol in symbols:
        if symbol not in found:
            reasons[symbol] = f"benchmark {symbol} does not exist"
        elif found[symbol].is_blend:
            reasons[symbol] = f"{symbol} is a blend: its levels come from its components"
    return reasons


async def apply_market_data(
    resources: Resources,
    stream: str,
    entries: Sequence[StreamEntry],
    *,
    now: datetime | None = None,
) -> list[str]:
    """Apply a batch of entries exactly once; returns the ids to acknowledge."""
    source = f"stream:{stream}"[:100]
    done: list[tuple[FeedReport, list[Change]]] = []
    # The cache versions of the benchmarks written are unknown from before the commit until
    # they are set after it (services/versions.py).
    async with resources.cache.versions.writing() as write:
        async with resources.engine.begin() as conn:
            fresh = await first_receipts(conn, stream, [e.id for e in entries])
            rows, problems = _sort([e for e in entries if e.id in fresh])
            found = await benchmarks_by_symbols(conn, sorted(rows))
            for symbol, reason in _unusable(sorted(rows), found).items():
                problems[symbol] += [
                    _refused(entry_id, row, reason) for entry_id, row in rows.pop(symbol)
                ]
            for symbol, bad in problems.items():
                await quarantine_problems(conn, symbol, source, bad)
            await write.depend([Dep("benchmark", found[s].id) for s in rows])
            feeds = await ensure_feeds(conn, [found[s].id for s in rows], "stream", stream)
            for symbol in sorted(rows):  # a fixed order: concurrent batches lock benchmarks alike
                benchmark = found[symbol]
                done.append(
                    await _store_symbol(
                        conn,
                        benchmark,
                        rows[symbol],
                        feed_id=feeds[benchmark.id],
                        source=source,
                        now=now or datetime.now(UTC),
                    )
                )
        for report, _ in done:
            write.committed(Dep("benchmark", found[report.symbol].id), report.last_seq)
    for report, changes in done:  # committed
        count_rows(report.symbol, "stream", report)
        await publish_changes(resources.redis, report.symbol, changes)
    return [e.id for e in entries]


def _refused(entry_id: str, row: IncomingRow, reason: str) -> Problem:
    payload = {**row.payload(), "entry": entry_id}
    return Problem(f"entry {entry_id}", "symbol", reason, payload)


def market_data_apply(resources: Resources, stream: str | None = None) -> Apply:
    """The ``apply`` function for any consumer of the market-data stream."""
    return partial(apply_market_data, resources, stream or keys.market_data_stream())


def market_data_consumer(
    resources: Resources, *, stream: str | None = None, name: str | None = None
) -> StreamConsumer:
    stream = stream or keys.market_data_stream()
    block_ms = int(resources.settings.redis_timeout_s * 600)  # below the socket timeout
    return StreamConsumer(
        resources.redis,
        stream=stream,
        group=GROUP,
        name=name or consumer_name(),
        apply=market_data_apply(resources, stream),
        block_ms=max(block_ms, 1),
    )
