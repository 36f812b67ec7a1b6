"""The dashboard the plain way: the baseline the cache benchmark measures against.

What a first implementation without loaders, SQL bucketing or a cache looks like: for each
strategy, ORM queries for its latest points, its one-year window and the S&P 500 over the
same span; returns, cumulative returns and drawdowns computed in Python from the rows; the
same pure analytics functions for metrics and the comparison (so the numbers agree with
the API's and only the data access differs). Kept here, not in the application.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.analytics import compare, compute_metrics
from services.db.models import Benchmark, BenchmarkPrice, PerformancePoint, Strategy


async def plain_dashboard(sessions: async_sessionmaker[AsyncSession], limit: int = 20) -> Any:
    async with sessions() as session:
        strategies = (
            await session.scalars(select(Strategy).order_by(Strategy.id).limit(limit))
        ).all()
        spx = await session.scalar(select(Benchmark.id).where(Benchmark.symbol == "SPX"))
        nodes = [await _node(session, s, spx) for s in strategies]
    return {"data": {"strategies": {"nodes": nodes}}}


async def _node(session: AsyncSession, strategy: Strategy, spx: int | None) -> dict[str, Any]:
    p = PerformancePoint
    newest = (
        await session.scalars(
            select(p).where(p.strategy_id == strategy.id).order_by(p.ts.desc()).limit(2)
        )
    ).all()
    latest = newest[0]
    after = (pd.Timestamp(latest.ts) - pd.DateOffset(months=12)).to_pydatetime()
    anchor = await session.scalar(
        select(p).where(p.strategy_id == strategy.id, p.ts <= after).order_by(p.ts.desc()).limit(1)
    )
    rows = (
        await session.scalars(
            select(p).where(p.strategy_id == strategy.id, p.ts > after).order_by(p.ts)
        )
    ).all()
    base = [anchor, *rows] if anchor else list(rows)
    returns = _returns([(r.ts, r.nav, r.cash_flow) for r in base])
    prices = (
        await session.scalars(
            select(BenchmarkPrice)
            .where(BenchmarkPrice.benchmark_id == spx, BenchmarkPrice.ts >= base[0].ts)
            .where(BenchmarkPrice.ts <= latest.ts)
            .order_by(BenchmarkPrice.ts)
        )
    ).all()
    benchmark = _returns([(r.ts, r.level, 0.0) for r in prices])
    return {
        "id": str(strategy.id),
        "slug": strategy.slug,
        "lastSeq": strategy.last_seq,
        "latest": _latest(newest),
        "performance": _performance(rows, returns),
        "metrics": _metrics(returns),
        "comparison": _comparison(returns, benchmark),
    }


def _returns(rows: list[tuple[datetime, float, float]]) -> pd.Series:
    values = [(value - flow) / previous[1] - 1.0 for previous, (_, value, flow) in _pairs(rows)]
    index = pd.DatetimeIndex([ts for ts, _, _ in rows[1:]]).tz_convert("UTC")
    return pd.Series(values, index=index, dtype=float)


def _pairs(
    rows: list[tuple[datetime, float, float]],
) -> list[tuple[tuple[datetime, float, float], tuple[datetime, float, float]]]:
    return list(itertools.pairwise(rows))


def _latest(newest: Sequence[PerformancePoint]) -> dict[str, Any]:
    last = newest[0]
    ret = (last.nav - last.cash_flow) / newest[1].nav - 1.0 if len(newest) > 1 else None
    return {"timestamp": last.ts.isoformat(), "value": last.nav, "return": ret, "seq": last.seq}


def _performance(rows: Sequence[PerformancePoint], returns: pd.Series) -> dict[str, Any]:
    growth, peak = 1.0, 1.0
    cumulative, drawdown = [], []
    for r in returns.tolist():
        growth *= 1.0 + r
        peak = max(peak, growth)
        cumulative.append(growth - 1.0)
        drawdown.append(growth / peak - 1.0)
    return {
        "count": len(rows),
        "columns": {
            "timestamps": [r.ts.isoformat() for r in rows],
            "nav": [r.nav for r in rows],
            "returns": returns.tolist(),
            "cumulativeReturn": cumulative,
            "drawdown": drawdown,
        },
    }


def _metrics(returns: pd.Series) -> dict[str, Any]:
    m = compute_metrics(returns)
    return {
        "totalReturn": m.total_return,
        "cagr": m.cagr,
        "annualVolatility": m.annual_volatility,
        "sharpe": m.sharpe,
        "sortino": m.sortino,
        "maxDrawdown": m.max_drawdown,
    }


def _comparison(returns: pd.Series, benchmark: pd.Series) -> dict[str, Any]:
    c = compare(returns, benchmark)
    return {
        "excessReturn": c.excess_return,
        "alpha": c.alpha,
        "beta": c.beta,
        "correlation": c.correlation,
        "trackingError": c.tracking_error,
        "informationRatio": c.information_ratio,
        "series": {
            "timestamps": [t.isoformat() for t in c.relative.index],
            "relative": c.relative.tolist(),
        },
    }
