"""Plain functions that create test data through the real services."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services import api_keys
from services.benchmarks import BenchmarkRecord, NewBenchmark
from services.benchmarks import create_benchmark as create_benchmark_record
from services.bulk import BENCHMARK, PERFORMANCE, copy_rows
from services.db.models import Account, Benchmark, Strategy
from services.resources import Resources
from services.versions import CATALOG


async def create_strategy(
    resources: Resources,
    *,
    points: Sequence[tuple[datetime, float, float]] = (),
    slug: str | None = None,
    account: str = "tests",
    benchmark: str | None = None,
) -> int:
    """A strategy with the given (ts, nav, cash_flow) points; returns its id."""
    slug = slug or f"test-{uuid.uuid4().hex[:12]}"
    async with resources.cache.versions.writing([CATALOG]) as write:
        strategy_id = await _insert(resources, slug, account, points, benchmark)
        write.committed(CATALOG)
    return strategy_id


async def _insert(
    resources: Resources,
    slug: str,
    account: str,
    points: Sequence[tuple[datetime, float, float]],
    benchmark: str | None,
) -> int:
    async with resources.engine.begin() as conn:
        await conn.execute(insert(Account).values(name=account).on_conflict_do_nothing())
        account_id = (
            await conn.execute(select(Account.id).where(Account.name == account))
        ).scalar_one()
        strategy_id: int = (
            await conn.execute(
                insert(Strategy)
                .values(
                    slug=slug,
                    name=slug,
                    asset_class="EQUITY",
                    base_currency="USD",
                    account_id=account_id,
                    benchmark_id=select(Benchmark.id)
                    .where(Benchmark.symbol == benchmark)
                    .scalar_subquery(),
                )
                .returning(Strategy.id)
            )
        ).scalar_one()
        if points:
            await copy_rows(conn, PERFORMANCE, strategy_id, list(points))
    return strategy_id


async def create_benchmark(
    resources: Resources,
    *,
    levels: Sequence[tuple[datetime, float]] = (),
    symbol: str | None = None,
    kind: str = "EQUITY_INDEX",
    stale_after_s: int = 26 * 3600,
    cadence: str = "DAILY",
) -> BenchmarkRecord:
    """A benchmark with the given (ts, level) rows, registered through the service."""
    symbol = symbol or f"T{uuid.uuid4().hex[:10].upper()}"
    data = NewBenchmark(
        symbol=symbol,
        name=f"test {symbol}",
        kind=kind,
        return_basis="PRICE",
        stale_after_s=stale_after_s,
        cadence=cadence,
    )
    async with resources.cache.versions.writing([CATALOG]) as write:
        async with resources.sessions() as session:
            record = await create_benchmark_record(session, data=data)
        write.committed(CATALOG)
    if levels:
        async with resources.engine.begin() as conn:
            await copy_rows(conn, BENCHMARK, record.id, list(levels))
    return record


async def create_account(resources: Resources, name: str | None = None) -> str:
    """A new account; returns its name."""
    name = name or f"acct-{uuid.uuid4().hex[:12]}"
    async with resources.sessions.begin() as session:
        await api_keys.create_account(session, name=name)
    return name


async def create_key(
    resources: Resources,
    *,
    account: str,
    scopes: Sequence[str] = ("read",),
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> str:
    """A new API key for ``account``; returns the key itself."""
    async with resources.sessions.begin() as session:
        created = await api_keys.create_api_key(
            session,
            account=account,
            name="test",
            scopes=scopes,
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit_per_minute,
        )
    return created.key
