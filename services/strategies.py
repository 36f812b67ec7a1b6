"""Strategies: records, lookups and keyset pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.access import Principal, strategy_visibility
from services.db.models import Benchmark, Strategy
from services.errors import InvalidInput

_t = Strategy.__table__
_COLUMNS = (
    _t.c.id,
    _t.c.account_id,
    _t.c.slug,
    _t.c.name,
    _t.c.description,
    _t.c.asset_class,
    _t.c.base_currency,
    _t.c.inception_date,
    _t.c.status,
    _t.c.last_seq,
    Benchmark.__table__.c.symbol.label("benchmark_symbol"),
)


@dataclass(frozen=True)
class StrategyRecord:
    id: int
    account_id: int
    slug: str
    name: str
    description: str
    asset_class: str
    base_currency: str
    inception_date: date | None
    status: str
    last_seq: int
    benchmark_symbol: str | None


@dataclass(frozen=True)
class StrategyFilter:
    search: str | None = None
    asset_class: str | None = None
    status: str | None = None
    slugs: Sequence[str] | None = None


@dataclass(frozen=True)
class StrategyPage:
    items: list[StrategyRecord]
    has_next: bool
    total: int | None = None


def _select() -> Select[tuple[object, ...]]:
    return select(*_COLUMNS).outerjoin(Benchmark, Benchmark.id == _t.c.benchmark_id)


def encode_cursor(strategy_id: int) -> str:
    return base64.urlsafe_b64encode(f"strategy:{strategy_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "strategy":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(f"malformed cursor {cursor!r}: pass an endCursor from a page") from exc


async def strategies_by_ids(
    session: AsyncSession | AsyncConnection, ids: Sequence[int]
) -> dict[int, StrategyRecord]:
    rows = await session.execute(_select().where(_t.c.id.in_(ids)))
    return {row.id: StrategyRecord(**row._mapping) for row in rows}


async def find_strategy_by_slug(session: AsyncSession, slug: str) -> StrategyRecord | None:
    row = (await session.execute(_select().where(_t.c.slug == slug))).first()
    return StrategyRecord(**row._mapping) if row else None


async def list_strategies(
    session: AsyncSession,
    *,
    principal: Principal,
    first: int,
    after: int | None = None,
    where: StrategyFilter | None = None,
) -> StrategyPage:
    """One page in id order; ``after`` is the id of the previous page's last item."""
    query = _select().where(strategy_visibility(principal, _t))
    where = where or StrategyFilter()
    if where.search:
        query = query.where(
            or_(
                _t.c.name.icontains(where.search, autoescape=True),
                _t.c.slug.icontains(where.search, autoescape=True),
            )
        )
    if where.asset_class:
        query = query.where(_t.c.asset_class == where.asset_class)
    if where.status:
        query = query.where(_t.c.status == where.status)
    if where.slugs is not None:
        query = query.where(_t.c.slug.in_(where.slugs))
    if after is not None:
        query = query.where(_t.c.id > after)
    rows = (await session.execute(query.order_by(_t.c.id).limit(first + 1))).all()
    items = [StrategyRecord(**row._mapping) for row in rows[:first]]
    return StrategyPage(items=items, has_next=len(rows) > first)


async def count_strategies(session: AsyncSession, *, principal: Principal) -> int:
    query = select(func.count()).select_from(_t).where(strategy_visibility(principal, _t))
    return int((await session.execute(query)).scalar_one())
