"""Strategy resolvers: arguments -> loaders -> schema types."""

from __future__ import annotations

from loaders import SeriesKey
from schema.context import Info
from schema.types.common import PageInfo, WindowInput
from schema.types.series import LatestPoint, Performance
from schema.types.strategies import Strategy, StrategyConnection, StrategyEdge, StrategyFilterInput
from services import access
from services.errors import InvalidInput
from services.strategies import (
    StrategyFilter,
    StrategyRecord,
    decode_cursor,
    encode_cursor,
    find_strategy_by_slug,
    list_strategies,
)
from services.windows import MAX_WINDOW, Interval, Window


def parse_strategy_id(value: str) -> int:
    try:
        parsed = int(value)
    except ValueError:
        raise InvalidInput(f"strategy id must be an integer, got {value!r}") from None
    if not 0 < parsed < 2**31:
        raise InvalidInput(f"strategy id out of range: {value!r}")
    return parsed


async def load_strategy(info: Info, strategy_id: int) -> StrategyRecord | None:
    """The strategy if it exists and the principal may read it; None otherwise."""
    record = await info.context.loaders.strategy_by_id.load(strategy_id)
    if record is None or not access.can_read_strategy(info.context.principal, record):
        return None
    return record


async def get_strategy(info: Info, id: str | None, slug: str | None) -> Strategy | None:
    if (id is None) == (slug is None):
        raise InvalidInput("give exactly one of id or slug")
    if id is not None:
        record = await load_strategy(info, parse_strategy_id(id))
    else:
        async with info.context.resources.sessions() as session:
            found = await find_strategy_by_slug(session, slug or "")
        ok = found is not None and access.can_read_strategy(info.context.principal, found)
        record = found if ok else None
        if found is not None:
            info.context.loaders.strategy_by_id.prime(found.id, found)
    return Strategy.from_record(record) if record else None


async def get_strategies(
    info: Info, first: int | None, after: str | None, filter: StrategyFilterInput | None
) -> StrategyConnection:
    settings = info.context.resources.settings
    size = settings.default_page_size if first is None else first
    if not 1 <= size <= settings.max_page_size:
        raise InvalidInput(f"first must be between 1 and {settings.max_page_size}, got {size}")
    where = (
        StrategyFilter(
            search=filter.search,
            asset_class=filter.asset_class,
            status=filter.status,
            slugs=filter.slugs,
        )
        if filter
        else None
    )
    async with info.context.resources.sessions() as session:
        page = await list_strategies(
            session,
            principal=info.context.principal,
            first=size,
            after=decode_cursor(after) if after else None,
            where=where,
        )
    loader = info.context.loaders.strategy_by_id
    for record in page.items:
        loader.prime(record.id, record)
    edges = [
        StrategyEdge(cursor=encode_cursor(r.id), node=Strategy.from_record(r)) for r in page.items
    ]
    end = edges[-1].cursor if edges else None
    return StrategyConnection(
        edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end)
    )


async def strategy_latest(info: Info, record: StrategyRecord) -> LatestPoint | None:
    access.check_strategy(info.context.principal, record)
    latest = await info.context.loaders.latest_by_strategy.load(record.id)
    if latest is None:
        return None
    return LatestPoint(
        timestamp=latest.timestamp, value=latest.value, return_=latest.return_, seq=latest.seq
    )


def to_window(window: WindowInput | None) -> Window:
    return window.to_window() if window else MAX_WINDOW


async def strategy_performance(
    info: Info, record: StrategyRecord, window: WindowInput | None, interval: Interval
) -> Performance:
    access.check_strategy(info.context.principal, record)
    key = SeriesKey(record.id, to_window(window), interval)
    series = await info.context.loaders.series_by_strategy.load(key)
    return Performance(interval=interval, _series=series)
