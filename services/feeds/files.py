"""Backfill from a file or URL, and the body-to-database path HTTP polls share.

The whole body is parsed and validated first, so duplicates are judged across the file;
the accepted rows are then stored in chunks, one transaction each (an interrupted import
keeps the chunks it committed, and running it again only adds what is missing). Each
chunk is one upsert of array parameters plus a few small statements: the S&P 500 since
1990 takes well under a second (bench/results/feeds.md).
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.benchmarks import BenchmarkRecord, benchmarks_by_symbols
from services.errors import InvalidInput, NotFound
from services.feeds.formats import Parsed, format_named, parse
from services.feeds.http import Retry, fetch
from services.feeds.registry import FeedKind, ensure_feeds, record_delivery
from services.feeds.status import count_rows
from services.feeds.store import (
    FeedReport,
    Problem,
    check,
    publish_changes,
    quarantine_problems,
    store_accepted,
)
from services.ingest import BENCHMARK, Change, dependency
from services.resources import Resources

CHUNK_ROWS = 2_000
Progress = Callable[[int, int], None]  # (rows stored so far, rows to store)


@dataclass(frozen=True)
class Target:
    benchmark: BenchmarkRecord
    feed_id: int
    kind: FeedKind
    source: str


async def find_target(
    resources: Resources, symbol: str, kind: FeedKind, location: str | None
) -> Target:
    """The benchmark (which must take levels of its own) and its feed of this kind."""
    symbol = symbol.strip().upper()
    async with resources.engine.begin() as conn:
        benchmark = (await benchmarks_by_symbols(conn, [symbol])).get(symbol)
        if benchmark is None:
            raise NotFound(f"benchmark {symbol} does not exist")
        if benchmark.is_blend:
            raise InvalidInput(f"{symbol} is a blend: its levels come from its components")
        feeds = await ensure_feeds(conn, [benchmark.id], kind, location)
    return Target(benchmark, feeds[benchmark.id], kind, f"{kind}:{location or symbol}"[:100])


async def read_location(location: str, *, timeout_s: float = 30.0) -> str:
    """The text of a local file (gzip when it ends in .gz) or of an http(s) URL."""
    if location.startswith(("http://", "https://")):
        async with httpx.AsyncClient(follow_redirects=True) as client:
            fetched = await fetch(client, location, timeout_s=timeout_s, retry=Retry())
        return fetched.body or ""
    return await asyncio.to_thread(_read_file, Path(location))


def _read_file(path: Path) -> str:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def _where(parsed: Parsed, line: int) -> str:
    return f"item {line}" if parsed.format == "json" else f"line {line}"


async def store_parsed(
    resources: Resources,
    target: Target,
    parsed: Parsed,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> FeedReport:
    """Validate all rows, quarantine the bad ones, store the rest chunk by chunk, publish."""
    report = FeedReport(target.benchmark.symbol, received=len(parsed.rows) + len(parsed.bad))
    report.skipped = parsed.skipped
    wheres = [_where(parsed, line) for line in parsed.lines]
    checked = check(parsed.rows, wheres, now=now or datetime.now(UTC))
    unreadable = [Problem(_where(parsed, b.line), b.field, b.reason, b.raw) for b in parsed.bad]
    report.problems = sorted(unreadable + checked.problems, key=lambda p: _line(p.where))
    report.duplicates = checked.duplicates
    changes: list[Change] = []
    async with resources.engine.begin() as conn:
        await quarantine_problems(conn, report.symbol, target.source, report.problems)
    dep = dependency(BENCHMARK, target.benchmark.id)
    async with resources.cache.versions.writing() as write:  # see services/versions.py
        for start in range(0, len(checked.accepted), CHUNK_ROWS):
            chunk = checked.accepted[start : start + CHUNK_ROWS]
            await write.depend([dep])  # before each chunk's commit: a long import outlives one
            async with resources.engine.begin() as conn:
                stored = await store_accepted(conn, target.benchmark, chunk, source=target.source)
            report.add(stored, chunk)
            changes += stored.changes
            if progress:
                progress(start + len(chunk), len(checked.accepted))
        if checked.accepted:
            write.committed(dep, report.last_seq)
    async with resources.engine.begin() as conn:
        await record_delivery(conn, target.feed_id, report)
    count_rows(report.symbol, target.kind, report)
    await publish_changes(resources.redis, report.symbol, changes)
    return report


def _line(where: str) -> int:
    return int(where.rsplit(" ", 1)[-1])


async def import_levels(
    resources: Resources,
    symbol: str,
    location: str,
    *,
    fmt: str = "auto",
    progress: Progress | None = None,
    now: datetime | None = None,
) -> FeedReport:
    """Import a file or URL of levels for a benchmark (``perfgraph feeds import``)."""
    chosen = format_named(fmt)
    target = await find_target(resources, symbol, "file", location)
    parsed = parse(await read_location(location), chosen)
    return await store_parsed(resources, target, parsed, progress=progress, now=now)
