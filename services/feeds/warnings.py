"""Warnings recorded about stored benchmark levels (jumps, missing sessions), newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

MAX_WARNINGS = 100


class WarningsRequest(NamedTuple):
    benchmark_id: int
    first: int


@dataclass(frozen=True)
class WarningRecord:
    kind: str
    ts: datetime | None
    message: str
    source: str
    recorded_at: datetime


_WARNINGS = text("""
SELECT k.key_no, w.kind, w.ts, w.message, w.source, w.recorded_at
FROM unnest(CAST(:ids AS int[]), CAST(:firsts AS int[])) WITH ORDINALITY AS k(id, first, key_no)
CROSS JOIN LATERAL (
  SELECT kind, ts, message, source, recorded_at FROM feed_warnings
  WHERE benchmark_id = k.id ORDER BY recorded_at DESC, id DESC LIMIT k.first
) w
ORDER BY k.key_no, w.recorded_at DESC
""")


async def warnings_by_requests(
    session: AsyncSession | AsyncConnection, requests: Sequence[WarningsRequest]
) -> list[list[WarningRecord]]:
    """The newest ``first`` warnings of each requested benchmark, in one statement."""
    if not requests:
        return []
    params = {
        "ids": [r.benchmark_id for r in requests],
        "firsts": [max(0, min(r.first, MAX_WARNINGS)) for r in requests],
    }
    found: list[list[WarningRecord]] = [[] for _ in requests]
    for key_no, *fields in await session.execute(_WARNINGS, params):
        found[key_no - 1].append(WarningRecord(*fields))
    return found
