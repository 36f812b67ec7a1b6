"""Helpers for feed tests: what a benchmark has stored, quarantined and been warned about."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from services.resources import Resources

SPX_CSV = Path(__file__).resolve().parents[2] / "data" / "sp500_index_daily.csv.gz"


async def stored_levels(resources: Resources, benchmark_id: int) -> list[tuple[datetime, float]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT ts, level FROM benchmark_prices WHERE benchmark_id = :id ORDER BY ts"),
            {"id": benchmark_id},
        )
        return [(ts, level) for ts, level in rows]


async def quarantined(resources: Resources, symbol: str) -> list[tuple[str, dict[str, Any]]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT reason, payload FROM quarantine WHERE kind = 'benchmark' AND entity = :e "
                "ORDER BY id"
            ),
            {"e": symbol},
        )
        return [(reason, payload) for reason, payload in rows]


async def recorded_warnings(resources: Resources, benchmark_id: int) -> list[tuple[str, str]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, message FROM feed_warnings WHERE benchmark_id = :id ORDER BY id"),
            {"id": benchmark_id},
        )
        return [(kind, message) for kind, message in rows]


def write_spx_as_stooq(path: Path) -> int:
    """The S&P 500 daily closes since 1990 (shipped test data) as a Stooq CSV; returns rows."""
    with gzip.open(SPX_CSV, "rt") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Date", "Open", "High", "Low", "Close", "Volume"])
        for row in rows:
            close = row["close"]
            writer.writerow([row["date"], close, close, close, close, 0])
    return len(rows)
