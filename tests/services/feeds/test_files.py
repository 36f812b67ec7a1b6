"""File backfills on real PostgreSQL and Redis: bad rows quarantined, good rows stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from services import keys
from services.errors import InvalidInput, NotFound
from services.feeds.files import import_levels
from services.feeds.store import PUBLISH_LIMIT
from services.resources import Resources
from tests.factories import create_benchmark
from tests.services.feeds.conftest import (
    quarantined,
    recorded_warnings,
    stored_levels,
    write_spx_as_stooq,
)

NOW = datetime(2024, 6, 3, tzinfo=UTC)
HEADER = "Date,Open,High,Low,Close,Volume\n"
MESSY = HEADER + (
    "2024-01-03,1,1,1,4704.81,0\n"  # line 2
    "2024-01-02,1,1,1,4742.83,0\n"  # out of order
    "2024-01-04,1,1,1,NaN,0\n"
    "2024-01-05,1,1,1,-4697.24,0\n"
    "2024-01-08,1,1,1,4763.54,0\n"
    "2024-01-08,1,1,1,4763.54,0\n"  # identical duplicate
    "2024-01-09,1,1,1,4756.50,0\n"  # duplicates that disagree: neither is stored
    "2024-01-09,1,1,1,4750.00,0\n"
    "2024-13-01,1,1,1,4780.00,0\n"  # no such date
    "2024-01-10,1,1,1,n/a,0\n"
    "2025-01-02,1,1,1,4800.00,0\n"  # after NOW: the future
)


def day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


async def test_messy_csv_stores_good_rows_and_quarantines_bad_ones(
    resources: Resources, tmp_path: Path
) -> None:
    benchmark = await create_benchmark(resources)
    path = tmp_path / "messy.csv"
    path.write_text(MESSY)

    report = await import_levels(resources, benchmark.symbol, str(path), now=NOW)

    assert (report.received, report.inserted, report.duplicates, report.rejected) == (11, 3, 1, 7)
    assert [(p.where, p.field) for p in report.problems] == [
        ("line 4", "value"),
        ("line 5", "value"),
        ("line 8", "ts"),
        ("line 9", "ts"),
        ("line 10", "ts"),
        ("line 11", "value"),
        ("line 12", "ts"),
    ]
    assert await stored_levels(resources, benchmark.id) == [
        (day(date(2024, 1, 2)), 4742.83),
        (day(date(2024, 1, 3)), 4704.81),
        (day(date(2024, 1, 8)), 4763.54),
    ]
    reasons = [reason for reason, _ in await quarantined(resources, benchmark.symbol)]
    assert len(reasons) == 7
    for expected in ("finite", "above zero", "disagree", "unreadable timestamp", "not a number"):
        assert any(expected in r for r in reasons), expected
    assert any("in the future" in r for r in reasons)
    assert report.missing_sessions == [date(2024, 1, 4), date(2024, 1, 5)]
    assert report.as_of == day(date(2024, 1, 8))


async def test_reimport_is_a_no_op_changes_are_revisions_late_rows_keep_latest(
    resources: Resources, tmp_path: Path
) -> None:
    benchmark = await create_benchmark(resources)
    first = tmp_path / "first.csv"
    first.write_text("ts,level\n2024-01-02,100\n2024-01-03,101\n2024-01-04,102\n")
    await import_levels(resources, benchmark.symbol, str(first), now=NOW)

    again = await import_levels(resources, benchmark.symbol, str(first), now=NOW)
    assert (again.inserted, again.revised, again.unchanged) == (0, 0, 3)

    changed = tmp_path / "changed.csv"
    changed.write_text("ts,level\n2023-12-29,99\n2024-01-03,101.5\n")
    report = await import_levels(resources, benchmark.symbol, str(changed), now=NOW)
    assert (report.inserted, report.revised, report.last_seq) == (1, 1, 5)
    levels = await stored_levels(resources, benchmark.id)
    assert levels[0] == (day(date(2023, 12, 29)), 99.0)
    assert levels[-1] == (day(date(2024, 1, 4)), 102.0)  # the late row did not move latest
    assert (day(date(2024, 1, 3)), 101.5) in levels


async def test_jumps_are_stored_and_recorded_as_warnings(
    resources: Resources, tmp_path: Path
) -> None:
    benchmark = await create_benchmark(resources, levels=[(day(date(2024, 1, 2)), 100.0)])
    path = tmp_path / "jump.csv"
    path.write_text("ts,level\n2024-01-03,101\n2024-01-04,130\n2024-01-05,131\n")

    report = await import_levels(resources, benchmark.symbol, str(path), now=NOW)

    assert report.inserted == 3
    [jump] = report.warnings
    assert (jump.kind, jump.ts) == ("JUMP", day(date(2024, 1, 4)))
    assert "+28.7%" in jump.message
    assert await recorded_warnings(resources, benchmark.id) == [("JUMP", jump.message)]


async def test_a_missing_session_next_to_stored_data_is_a_warning(
    resources: Resources, tmp_path: Path
) -> None:
    # Thursday 2024-07-04 is a holiday and not missing; Friday the 5th is.
    benchmark = await create_benchmark(resources, levels=[(day(date(2024, 7, 3)), 100.0)])
    path = tmp_path / "gap.csv"
    path.write_text("ts,level\n2024-07-08,101\n")

    report = await import_levels(resources, benchmark.symbol, str(path), now=NOW.replace(year=2025))

    assert report.missing_sessions == [date(2024, 7, 5)]
    [(kind, message)] = await recorded_warnings(resources, benchmark.id)
    assert kind == "MISSING_SESSIONS"
    assert "2024-07-05" in message


async def test_fred_gz_file_skips_missing_observations(
    resources: Resources, tmp_path: Path
) -> None:
    import gzip

    benchmark = await create_benchmark(resources, kind="CASH")
    path = tmp_path / "fred.csv.gz"
    path.write_bytes(
        gzip.compress(b"DATE,VALUE\n2024-01-02,100\n2024-01-15,.\n2024-01-03,100.01\n")
    )

    report = await import_levels(resources, benchmark.symbol, str(path), now=NOW)

    assert (report.inserted, report.skipped, report.rejected) == (2, 1, 0)


async def test_sp500_since_1990_in_stooq_format(resources: Resources, tmp_path: Path) -> None:
    benchmark = await create_benchmark(resources)
    path = tmp_path / "spx.csv"
    rows = write_spx_as_stooq(path)
    seen: list[tuple[int, int]] = []
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(keys.benchmark_channel(benchmark.symbol))
    try:
        await pubsub.get_message(timeout=1.0)
        report = await import_levels(
            resources, benchmark.symbol, str(path), progress=lambda d, t: seen.append((d, t))
        )
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
        extra = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]

    assert rows == 8313
    assert (report.inserted, report.rejected, report.missing_sessions) == (rows, 0, [])
    assert seen[-1] == (rows, rows)
    assert len(seen) > 1
    assert rows > PUBLISH_LIMIT  # so only the newest change is published
    assert message is not None
    assert extra is None
    assert orjson.loads(message["data"])["seq"] == rows
    assert len(await stored_levels(resources, benchmark.id)) == rows


async def test_unknown_symbols_blends_formats_and_files_are_refused(
    resources: Resources, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("ts,level\n2024-01-02,1\n")
    with pytest.raises(NotFound):
        await import_levels(resources, "NO_SUCH_BENCHMARK", str(path))
    with pytest.raises(InvalidInput, match="blend"):
        await import_levels(resources, "BLEND_60_40", str(path))
    benchmark = await create_benchmark(resources)
    with pytest.raises(InvalidInput, match="unknown format"):
        await import_levels(resources, benchmark.symbol, str(path), fmt="xlsx")
    with pytest.raises(InvalidInput, match="no such file"):
        await import_levels(resources, benchmark.symbol, str(tmp_path / "missing.csv"))
    path.write_text("when,what\n2024-01-02,1\n")
    with pytest.raises(InvalidInput, match="unrecognised header"):
        await import_levels(resources, benchmark.symbol, str(path))
