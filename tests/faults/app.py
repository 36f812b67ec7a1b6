# mypy: disallow-untyped-decorators=False
"""A test-only schema: the real Query plus a field that is slow in PostgreSQL and an endless
subscription, so faults can be injected while a request or a stream is in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy import text

from schema.context import Info
from schema.query import Query
from schema.schema import build_schema


@strawberry.type
class FaultQuery(Query):
    @strawberry.field(description="Runs pg_sleep(seconds) on a pooled connection.")
    async def sleep(self, info: Info, seconds: float) -> float:
        async with info.context.resources.sessions() as session:
            await session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @strawberry.field(description="Raises an unexpected error, to be masked.")
    def explode(self) -> int:
        raise RuntimeError("a bug with a secret in its message")


@strawberry.type
class FaultSubscription:
    @strawberry.subscription(description="0, 1, 2, ... every `interval` seconds, forever.")
    async def ticks(self, interval: float = 0.05) -> AsyncGenerator[int, None]:
        count = 0
        while True:
            yield count
            count += 1
            await asyncio.sleep(interval)


fault_schema = build_schema(query=FaultQuery, subscription=FaultSubscription)
