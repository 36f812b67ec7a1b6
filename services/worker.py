"""The ingest worker: this process's stream consumers, run until asked to stop.

``perfgraph ingest run`` runs it on its own; ``serve`` runs it too when
``PERFGRAPH_INGEST_IN_SERVE`` is set. Every process joins the same consumer group under its
own name, so any number of them share the streams and take over each other's entries.
"""

from __future__ import annotations

import asyncio
import functools

from redis.asyncio import Redis

from services import keys
from services.performance_stream import apply_performance_entries, dead_letter_performance
from services.resources import Resources, dedicated_redis, process_name
from services.stream_consumer import StreamConsumer

BLOCK_MS = 1_000


def consumers(resources: Resources, redis: Redis) -> list[StreamConsumer]:
    """One consumer per ingest stream; market data joins this list."""
    return [
        StreamConsumer(
            redis=redis,
            stream=keys.performance_stream(),
            group=keys.ingest_group(),
            consumer=process_name(),
            apply=functools.partial(apply_performance_entries, resources),
            dead_letter=functools.partial(dead_letter_performance, resources),
            block_ms=BLOCK_MS,
            claim_idle_ms=resources.settings.stream_claim_idle_ms,
        ),
    ]


async def run_ingest(resources: Resources, stop: asyncio.Event) -> None:
    """Consume every stream until ``stop`` is set; batches in hand finish and are acked."""
    redis = dedicated_redis(resources.redis, socket_timeout=BLOCK_MS / 1000 + 5)
    try:
        await asyncio.gather(*(c.run(stop) for c in consumers(resources, redis)))
    finally:
        await redis.aclose()
