"""Helpers for the market-data stream tests: entries, pending counts, a channel listener."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
from sqlalchemy import text

from services import keys
from services.feeds.stream import GROUP
from services.resources import Resources

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


@contextlib.asynccontextmanager
async def channel(resources: Resources, symbol: str) -> AsyncIterator[list[dict[str, object]]]:
    """Messages published on the benchmark's channel while the block runs (and just after)."""
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(keys.benchmark_channel(symbol))
    await pubsub.get_message(timeout=1.0)
    received: list[dict[str, object]] = []
    try:
        yield received
        while message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.3):
            received.append(orjson.loads(message["data"]))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
