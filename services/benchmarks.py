"""Benchmarks: records and lookups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.models import Benchmark

_t = Benchmark.__table__


@dataclass(frozen=True)
class BenchmarkComponent:
    symbol: str
    weight: float


@dataclass(frozen=True)
class BenchmarkRecord:
    id: int
    symbol: str
    name: str
    description: str
    kind: str
    return_basis: str
    currency: str
    components: tuple[BenchmarkComponent, ...]
    rebalance: str | None
    calendar: str
    stale_after_s: int
    last_seq: int

    @property
    def is_blend(self) -> bool:
        return self.kind == "BLEND"


def _record(row: object) -> BenchmarkRecord:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data["components"] = tuple(
        BenchmarkComponent(str(c["symbol"]), float(c["weight"])) for c in data["components"]
    )
    return BenchmarkRecord(**data)


async def list_benchmarks(session: AsyncSession) -> list[BenchmarkRecord]:
    rows = await session.execute(select(_t).order_by(_t.c.symbol))
    return [_record(row) for row in rows]


async def benchmarks_by_symbols(
    session: AsyncSession, symbols: Sequence[str]
) -> dict[str, BenchmarkRecord]:
    rows = await session.execute(select(_t).where(_t.c.symbol.in_(symbols)))
    return {row.symbol: _record(row) for row in rows}


async def benchmarks_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, BenchmarkRecord]:
    rows = await session.execute(select(_t).where(_t.c.id.in_(ids)))
    return {row.id: _record(row) for row in rows}
