"""The market-data pipeline's Redis Stream: one benchmark level per entry.

Entry fields (docs/feeds.md): ``symbol`` (a registered benchmark), ``ts`` (ISO 8601 with an
offset, or a date for an end-of-day level) and ``level``. :class:`MarketDataStream` is the
stream's handler: the consumer (:mod:`services.streams`) gives it each batch in one
transaction with the entries' receipts, so a redelivered entry is a no-op; it stores the
levels through :mod:`services.feeds.store` and quarantines bad entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    quarantine_problems,
    store_accepted,
    tick_events,
)
from services.ingest import BENCHMARK, Change, Kind, dependency
from services.resources import Resources, process_name
from services.streams import Batch, StreamConsumer, StreamEntry, apply_once
from services.validation import IncomingRow

GROUP = keys.market_data_group()
UNKNOWN = "?"  # the quarantine entity of entries that name no benchmark


def _row(entry: StreamEntry) -> tuple[str, IncomingRow | Problem]:
    symbol = entry.fields.get("symbol", "").strip().upper()
    payload = entry.payload()

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


def _refused(entry_id: str, row: IncomingRow, reason: str) -> Problem:
    payload = {**row.payload(), "entry": entry_id}
    return Problem(f"entry {entry_id}", "symbol", reason, payload)


@dataclass(frozen=True)
class MarketDataStream:
    """The market-data pipeline's stream of benchmark levels (docs/feeds.md)."""

    stream: str = field(default_factory=keys.market_data_stream)
    group: str = GROUP
    kind: Kind = "benchmark"
    now: datetime | None = None  # what validation takes as now (None: the clock)

    @property
    def source(self) -> str:
        return f"stream:{self.stream}"[:100]

    def entity(self, entry: StreamEntry) -> str:
        return entry.fields.get("symbol", "").strip().upper() or UNKNOWN

    async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
        rows, found = await self._usable(batch.conn, entries)
        await batch.depend([dependency(BENCHMARK, found[s].id) for s in rows])
        feeds = await ensure_feeds(batch.conn, [found[s].id for s in rows], "stream", self.stream)
        now = self.now or datetime.now(UTC)
        for symbol in sorted(rows):  # a fixed order: concurrent batches lock benchmarks alike
            benchmark = found[symbol]
            report, changes = await _store_symbol(
                batch.conn,
                benchmark,
                rows[symbol],
                feed_id=feeds[benchmark.id],
                source=self.source,
                now=now,
            )
            batch.committed(dependency(BENCHMARK, benchmark.id), report.last_seq)
            batch.publish(tick_events(symbol, changes))
            batch.after_commit(partial(count_rows, symbol, "stream", report))

    async def _usable(
        self, conn: AsyncConnection, entries: Sequence[StreamEntry]
    ) -> tuple[dict[str, list[tuple[str, IncomingRow]]], dict[str, BenchmarkRecord]]:
        """Rows per benchmark that can take them; the other entries are quarantined."""
        rows, problems = _sort(entries)
        found = await benchmarks_by_symbols(conn, sorted(rows))
        for symbol, reason in _unusable(sorted(rows), found).items():
            problems[symbol] += [
                _refused(entry_id, row, reason) for entry_id, row in rows.pop(symbol)
            ]
        for symbol, bad in problems.items():
            await quarantine_problems(conn, symbol, self.source, bad)
        return rows, found


async def apply_market_data(
    resources: Resources,
    stream: str,
    entries: Sequence[StreamEntry],
    *,
    now: datetime | None = None,
) -> int:
    """Apply a batch of entries exactly once; returns how many were new."""
    return await apply_once(resources, MarketDataStream(stream, now=now), entries)


def market_data_consumer(
    resources: Resources, *, stream: str | None = None, name: str | None = None
) -> StreamConsumer:
    """A consumer of the market-data stream on the resources' Redis client."""
    handler = MarketDataStream(stream or keys.market_data_stream())
    return StreamConsumer(resources, handler, name=name or process_name())
