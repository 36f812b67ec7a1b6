"""Events published on Redis after a write commits, and their wire format (JSON).

Every event carries the sequence number the write gave it, so a subscriber can order events,
drop duplicates and detect gaps (then resynchronise from PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

import orjson
from redis.asyncio import Redis

from services import keys

log = logging.getLogger(__name__)

ChangeKind = Literal["INSERT", "REVISION"]


@dataclass(frozen=True)
class PerformanceEvent:
    strategy_id: int
    seq: int
    ts: datetime
    nav: float
    cash_flow: float
    kind: ChangeKind = "INSERT"

    @property
    def channel(self) -> str:
        return keys.performance_channel(self.strategy_id)


@dataclass(frozen=True)
class BenchmarkTick:
    symbol: str
    seq: int
    ts: datetime
    level: float
    kind: ChangeKind = "INSERT"

    @property
    def channel(self) -> str:
        return keys.benchmark_channel(self.symbol)


Event = PerformanceEvent | BenchmarkTick


def encode(event: Event) -> bytes:
    return orjson.dumps(asdict(event))


def decode_performance(data: bytes) -> PerformanceEvent:
    raw = orjson.loads(data)
    raw["ts"] = datetime.fromisoformat(raw["ts"])
    return PerformanceEvent(**raw)


def decode_benchmark(data: bytes) -> BenchmarkTick:
    raw = orjson.loads(data)
    raw["ts"] = datetime.fromisoformat(raw["ts"])
    return BenchmarkTick(**raw)


async def publish(redis: Redis, events: Sequence[Event]) -> None:
    """Publish committed events in one pipeline. Call only after the commit."""
    if not events:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for event in events:
            pipe.publish(event.channel, encode(event))
        await pipe.execute()


async def publish_committed(redis: Redis, events: Sequence[Event]) -> None:
    """Publish the events of a committed write; a failure is logged, not raised: the data
    is committed, and subscribers resynchronise by sequence number."""
    try:
        await publish(redis, events)
    except Exception:
        log.warning("publishing %d events failed", len(events), exc_info=True)
