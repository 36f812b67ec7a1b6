"""Helpers for the market-data stream tests: entries, pending counts, a channel listener."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from services import keys
from services.feeds.stream import GROUP
from services.resources import Resources
from tests.redis_clients import published

T0 = datetime(2024, 6, 3, 14, 0, tzinfo=UTC)


def tick(symbol: str, ts: datetime, level: float | str) -> dict[str, str]:
    return {"symbol": symbol, "ts": ts.isoformat(), "level": str(level)}


async def add(resources: Resources, stream: str, *entries: dict[str, str]) -> list[str]:
    ids = [await resources.redis.xadd(stream, dict(e)) for e in entries]  # type: ignore[arg-type]
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


async def pending(resources: Resources, stream: str) -> int:
    summary = await resources.redis.xpending(stream, GROUP)
    return int(summary["pending"])


async def last_seq(resources: Resources, benchmark_id: int) -> int:
    async with resources.engine.connect() as conn:
        query = text("SELECT last_seq FROM benchmarks WHERE id = :id")
        return int((await conn.execute(query, {"id": benchmark_id})).scalar_one())


def channel(resources: Resources, symbol: str) -> AbstractAsyncContextManager[list[dict[str, Any]]]:
    """Messages published on the benchmark's channel while the block runs (and just after)."""
    return published(resources.redis, keys.benchmark_channel(symbol))
