"""The root compare field: several strategies against one benchmark, batched."""

from __future__ import annotations

import asyncio

import strawberry

from resolvers.analytics import Arguments, strategy_comparison
from resolvers.strategies import parse_strategy_id
from schema.context import Info
from schema.types.compare import ComparedStrategy, CompareEntry, StrategyUnavailable
from schema.types.strategies import Strategy
from services import access
from services.errors import InvalidInput
from services.strategies import StrategyRecord

UNAVAILABLE = "no strategy with this id is visible to you"


def parse_ids(ids: list[str], limit: int) -> list[int]:
    if not 1 <= len(ids) <= limit:
        raise InvalidInput(f"strategyIds must list 1 to {limit} ids, got {len(ids)}")
    parsed = [parse_strategy_id(i) for i in ids]
    if len(set(parsed)) != len(parsed):
        raise InvalidInput("strategyIds lists a strategy more than once")
    return parsed


async def compare_strategies(info: Info, ids: list[str], args: Arguments) -> list[CompareEntry]:
    """One entry per id, in order; ids that are unknown or unreadable look the same."""
    parsed = parse_ids(ids, info.context.resources.settings.max_page_size)
    records = await info.context.loaders.strategy_by_id.load_many(parsed)
    principal = info.context.principal

    async def entry(strategy_id: int, record: StrategyRecord | None) -> CompareEntry:
        if record is None or not access.can_read_strategy(principal, record):
            return StrategyUnavailable(id=strawberry.ID(str(strategy_id)), message=UNAVAILABLE)
        comparison = await strategy_comparison(info, record, args)
        return ComparedStrategy(strategy=Strategy.from_record(record), comparison=comparison)

    return list(await asyncio.gather(*(entry(i, r) for i, r in zip(parsed, records, strict=True))))
