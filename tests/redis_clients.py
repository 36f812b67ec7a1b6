"""Watching and killing this test run's Redis pub/sub connections (fault injection).

``CLIENT KILL TYPE pubsub`` would also cut other programs sharing the Redis server, so the
tests list the pub/sub clients (``CLIENT LIST TYPE pubsub``) and kill those whose name
says they belong to the given processes: the same fault, limited to what the test owns.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
from redis.asyncio import Redis

from services import keys


async def pubsub_clients(redis: Redis, names: Iterable[str]) -> list[int]:
    wanted = set(names)
    listing = await redis.execute_command("CLIENT", "LIST", "TYPE", "pubsub")  # type: ignore[no-untyped-call]
    text = listing.decode() if isinstance(listing, bytes) else str(listing)
    ids = []
    for line in text.splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if fields.get("name") in wanted:
            ids.append(int(fields["id"]))
    return ids


async def kill_pubsub_clients(redis: Redis, names: Iterable[str]) -> int:
    """Kill the pub/sub connections with these client names; returns how many."""
    ids = await pubsub_clients(redis, names)
    for client_id in ids:
        await redis.execute_command("CLIENT", "KILL", "ID", client_id)  # type: ignore[no-untyped-call]
    return len(ids)


def bridge_name(process: str) -> str:
    return keys.pubsub_client_name(process)


@contextlib.asynccontextmanager
async def published(redis: Redis, channel: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The JSON messages published on ``channel`` while the block runs (and just after)."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1.0)
    received: list[dict[str, Any]] = []
    try:
        yield received
        while message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.3):
            received.append(orjson.loads(message["data"]))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
