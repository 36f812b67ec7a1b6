"""Load the demo benchmarks and strategies into the database (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.bulk import BENCHMARK, PERFORMANCE, copy_rows
from services.db.models import Account, Benchmark, Strategy
from services.demo.build import DemoBenchmark, DemoStrategy, demo_benchmarks, demo_strategies

DEMO_ACCOUNT = "demo"
Progress = Callable[[str, int], None]  # (description, rows) after each series


@dataclass(frozen=True)
class DemoSummary:
    benchmarks: int
    strategies: int
    rows_inserted: int


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        query = text("SELECT NOT EXISTS (SELECT 1 FROM strategies)")
        return bool((await conn.execute(query)).scalar_one())


async def _account_id(conn: AsyncConnection) -> int:
    stmt = insert(Account).values(name=DEMO_ACCOUNT).on_conflict_do_nothing()
    await conn.execute(stmt)
    return (await conn.execute(select(Account.id).where(Account.name == DEMO_ACCOUNT))).scalar_one()


async def _benchmark(conn: AsyncConnection, b: DemoBenchmark) -> int:
    values = {
        "symbol": b.symbol,
        "name": b.name,
        "description": b.description,
        "kind": b.kind,
        "return_basis": b.return_basis,
        "currency": b.currency,
        "rebalance": b.rebalance,
        "components": [{"symbol": s, "weight": w} for s, w in b.components],
    }
    stmt = insert(Benchmark).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["symbol"], set_=values)
    return (await conn.execute(stmt.returning(Benchmark.id))).scalar_one()


async def _strategy(conn: AsyncConnection, s: DemoStrategy, account_id: int) -> int:
    benchmark_id = (
        await conn.execute(select(Benchmark.id).where(Benchmark.symbol == s.benchmark_symbol))
    ).scalar_one()
    values = {
        "slug": s.slug,
        "name": s.name,
        "description": s.description,
        "asset_class": s.asset_class,
        "base_currency": s.base_currency,
        "benchmark_id": benchmark_id,
        "account_id": account_id,
        "inception_date": s.navs.index[0].date(),
    }
    stmt = insert(Strategy).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["slug"], set_=values)
    return (await conn.execute(stmt.returning(Strategy.id))).scalar_one()


def _rows(*columns: pd.Series) -> list[tuple[object, ...]]:
    stamps = pd.DatetimeIndex(columns[0].index).to_pydatetime().tolist()
    return list(zip(stamps, *(c.to_numpy(dtype=float).tolist() for c in columns), strict=True))


async def load_demo(engine: AsyncEngine, progress: Progress | None = None) -> DemoSummary:
    """Upsert the demo benchmarks and strategies; add series rows not stored yet."""
    benchmarks, strategies = demo_benchmarks(), demo_strategies()
    inserted = 0
    async with engine.begin() as conn:
        account_id = await _account_id(conn)
        for b in benchmarks:
            benchmark_id = await _benchmark(conn, b)
            if len(b.levels):
                inserted += (
                    await copy_rows(conn, BENCHMARK, benchmark_id, _rows(b.levels))
                ).inserted
            if progress:
                progress(b.symbol, len(b.levels))
        for s in strategies:
            strategy_id = await _strategy(conn, s, account_id)
            rows = _rows(s.navs, s.cash_flows.reindex(s.navs.index, fill_value=0.0))
            inserted += (await copy_rows(conn, PERFORMANCE, strategy_id, rows)).inserted
            if progress:
                progress(s.slug, len(s.navs))
    return DemoSummary(len(benchmarks), len(strategies), inserted)
