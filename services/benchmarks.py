"""Benchmarks: records and lookups."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.calendars import trading_calendar
from services.db.models import Benchmark
from services.errors import InvalidInput

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
    cadence: str = "DAILY"
    jump_threshold: float | None = None  # None: the default of the kind

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
    session: AsyncSession | AsyncConnection, symbols: Sequence[str]
) -> dict[str, BenchmarkRecord]:
    rows = await session.execute(select(_t).where(_t.c.symbol.in_(symbols)))
    return {row.symbol: _record(row) for row in rows}


async def benchmarks_by_ids(
    session: AsyncSession | AsyncConnection, ids: Sequence[int]
) -> dict[int, BenchmarkRecord]:
    rows = await session.execute(select(_t).where(_t.c.id.in_(ids)))
    return {row.id: _record(row) for row in rows}


KINDS = ("EQUITY_INDEX", "BOND_INDEX", "CASH", "BLEND")
BASES = ("PRICE", "TOTAL_RETURN")
CADENCES = ("DAILY", "INTRADAY")
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9_.^-]{0,31}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class NewBenchmark:
    """What a new benchmark needs; blends name their components and weights."""

    symbol: str
    name: str
    kind: str
    return_basis: str
    currency: str = "USD"
    description: str = ""
    components: tuple[BenchmarkComponent, ...] = ()
    rebalance: str | None = None
    calendar: str = "XNYS"
    cadence: str = "DAILY"
    stale_after_s: int = 26 * 3600
    jump_threshold: float | None = None


def _problems(new: NewBenchmark) -> list[str]:
    checks = [
        (_SYMBOL.match(new.symbol), "symbol: 1-32 of A-Z 0-9 _ . ^ -, upper case"),
        (new.name.strip(), "name: must not be empty"),
        (new.kind in KINDS, f"kind: one of {', '.join(KINDS)}"),
        (new.return_basis in BASES, f"return basis: one of {', '.join(BASES)}"),
        (_CURRENCY.match(new.currency), "currency: a three-letter ISO code in upper case"),
        (new.cadence in CADENCES, f"cadence: one of {', '.join(CADENCES)}"),
        (new.stale_after_s > 0, "stale after: must be a positive number of seconds"),
        (new.jump_threshold is None or new.jump_threshold > 0, "jump threshold: above zero"),
    ]
    return [message for ok, message in checks if not ok]


def _blend_problems(new: NewBenchmark, found: dict[str, BenchmarkRecord]) -> list[str]:
    if new.kind != "BLEND":
        return ["components: only a blend has components"] if new.components else []
    symbols = [c.symbol for c in new.components]
    weights = [c.weight for c in new.components]
    problems = []
    if len(symbols) < 2 or len(set(symbols)) != len(symbols):
        problems.append("components: a blend needs two or more distinct components")
    if any(not w > 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
        problems.append(f"components: weights must be above zero and sum to 1, got {weights}")
    for symbol in symbols:
        if symbol not in found:
            problems.append(f"components: benchmark {symbol} does not exist")
        elif found[symbol].is_blend:
            problems.append(f"components: {symbol} is itself a blend")
    return problems


async def create_benchmark(session: AsyncSession, *, data: NewBenchmark) -> BenchmarkRecord:
    """Register a benchmark (raises InvalidInput listing every problem; nothing is stored)."""
    found = await benchmarks_by_symbols(session, [c.symbol for c in data.components])
    problems = _problems(data) + _blend_problems(data, found)
    try:
        trading_calendar(data.calendar)
    except InvalidInput as exc:
        problems.append(f"calendar: {exc}")
    if problems:
        raise InvalidInput("; ".join(problems))
    values = {
        "symbol": data.symbol,
        "name": data.name.strip(),
        "description": data.description,
        "kind": data.kind,
        "return_basis": data.return_basis,
        "currency": data.currency,
        "components": [{"symbol": c.symbol, "weight": c.weight} for c in data.components],
        "rebalance": data.rebalance,
        "calendar": data.calendar,
        "cadence": data.cadence,
        "stale_after_s": data.stale_after_s,
        "jump_threshold": data.jump_threshold,
    }
    try:
        row = (await session.execute(insert(Benchmark).values(**values).returning(*_t.c))).one()
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if getattr(exc.orig, "sqlstate", None) == "23505":
            raise InvalidInput(f"benchmark {data.symbol} already exists") from exc
        raise
    return _record(row)
