"""A schema with a minimal real subscription, for WebSocket tests until the live-updates one.

``strategyHeartbeat`` authorizes like every strategy path (resolvers.access) and re-checks
while it streams; only its events (a counter) are made up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from resolvers.access import guard_stream, require_strategies
from resolvers.strategies import parse_strategy_id
from schema.context import Info
from schema.schema import build_schema


async def beats(every_s: float) -> AsyncIterator[int]:
    count = 0
    while True:
        await asyncio.sleep(every_s)
        count += 1
        yield count


@strawberry.type
class Subscription:
    @strawberry.subscription(description="A counter, for a strategy the principal may read.")  # type: ignore[untyped-decorator]
    async def strategy_heartbeat(
        self, info: Info, id: strawberry.ID, every_ms: int = 50
    ) -> AsyncGenerator[int, None]:
        strategies = await require_strategies(info, [parse_strategy_id(id)])
        async for count in guard_stream(info, strategies, beats(every_ms / 1000)):
            yield count


ws_schema = build_schema(subscription=Subscription)
