"""Subscription resolvers: check arguments and access, then stream through a topic."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence

from resolvers.strategies import parse_strategy_id, to_window
from schema.context import Info
from schema.multiplex import LiveAccess, LiveSpec
from schema.streaming import live_stream
from schema.types.common import WindowInput
from schema.types.live import (
    BenchmarkSeqInput,
    BenchmarkTick,
    LiveComparison,
    PerformanceUpdate,
    StrategySeqInput,
)
from services import access
from services.benchmarks import BenchmarkRecord
from services.errors import InvalidInput, NotFound
from services.live import BenchmarkSource, PerformanceSource, SeqFeed
from services.live_comparison import ComparisonFeed, ComparisonRequest
from services.strategies import StrategyRecord
from services.windows import Interval, Window, WindowPreset

MAX_ENTITIES = 100
MIN_INTERVAL_MS = (100, 3_600_000)
DEFAULT_COMPARISON_WINDOW = Window(preset=WindowPreset.ONE_YEAR)


def _cursors(
    keys: Sequence[str], after_seq: int | None, after: Mapping[str, int] | None, noun: str
) -> dict[str, int] | None:
    """``noun`` names one entity ("strategy"); ``afterSeq`` needs exactly one subscribed."""
    if after_seq is not None and after is not None:
        raise InvalidInput("give afterSeq or after, not both")
    if after_seq is not None:
        if len(keys) != 1:
            raise InvalidInput(f"afterSeq resumes one {noun}; for several, use after")
        after = {keys[0]: after_seq}
    if after is None:
        return None
    unknown = sorted(set(after) - set(keys))
    if unknown:
        raise InvalidInput(f"after names what is not subscribed to: {', '.join(unknown)}")
    if any(seq < 0 for seq in after.values()):
        raise InvalidInput("sequence numbers start at 0")
    return dict(after)


def _count(n: int, nouns: str) -> None:
    if not 1 <= n <= MAX_ENTITIES:
        raise InvalidInput(f"subscribe to between 1 and {MAX_ENTITIES} {nouns}, got {n}")


async def _readable_strategies(info: Info, ids: Sequence[int]) -> dict[int, StrategyRecord]:
    """Fresh records, each checked for the principal.

    Through the connection's loader, emptied first (the connection may be old), so the
    subscriptions a client sends together cost one query, not one each.
    """
    loader = info.context.loaders.strategy_by_id
    for strategy_id in ids:
        loader.clear(strategy_id)
    found: dict[int, StrategyRecord] = {}
    for strategy_id, record in zip(ids, await loader.load_many(ids), strict=True):
        if record is None or not access.can_read_strategy(info.context.principal, record):
            raise NotFound(f"strategy {strategy_id} does not exist")
        found[strategy_id] = record
    return found


async def performance_updates(
    info: Info,
    strategy_ids: Sequence[str],
    after_seq: int | None,
    after: Sequence[StrategySeqInput] | None,
) -> AsyncGenerator[PerformanceUpdate, None]:
    ids = list(dict.fromkeys(parse_strategy_id(s) for s in strategy_ids))
    _count(len(ids), "strategies")
    keys = [str(i) for i in ids]
    by_id = None if after is None else {str(parse_strategy_id(c.strategy_id)): c.seq for c in after}
    cursors = _cursors(keys, after_seq, by_id, "strategy")
    await _readable_strategies(info, ids)
    resources = info.context.resources
    source = PerformanceSource(tuple(ids))
    spec = LiveSpec(
        feed=lambda: SeqFeed(resources, source),
        present=PerformanceUpdate.from_event,
        key_name=source.key_name,
        after=cursors,
        replay=lambda a, limit: source.replay(resources, a, limit),
        access=LiveAccess(resources, info.context.principal, tuple(ids)),
    )
    async for update in live_stream(info, spec):
        yield update


async def _benchmarks(info: Info, symbols: Sequence[str]) -> dict[str, BenchmarkRecord]:
    loader = info.context.loaders.benchmark_by_symbol
    found: dict[str, BenchmarkRecord] = {}
    for symbol, record in zip(symbols, await loader.load_many(symbols), strict=True):
        if record is None:
            raise NotFound(f"benchmark {symbol} does not exist")
        found[symbol] = record
    return found


async def benchmark_ticks(
    info: Info,
    symbols: Sequence[str],
    after_seq: int | None,
    after: Sequence[BenchmarkSeqInput] | None,
) -> AsyncGenerator[BenchmarkTick, None]:
    wanted = list(dict.fromkeys(s.upper() for s in symbols))
    _count(len(wanted), "benchmarks")
    by_symbol = None if after is None else {c.symbol.upper(): c.seq for c in after}
    cursors = _cursors(wanted, after_seq, by_symbol, "benchmark")
    found = await _benchmarks(info, wanted)
    blends = [s for s in wanted if found[s].is_blend]
    if blends:
        raise InvalidInput(f"{', '.join(blends)}: blends have no ticks; use their components")
    resources = info.context.resources
    source = BenchmarkSource({s: found[s].id for s in wanted})
    spec = LiveSpec(
        feed=lambda: SeqFeed(resources, source),
        present=BenchmarkTick.from_event,
        key_name=source.key_name,
        after=cursors,
        replay=lambda a, limit: source.replay(resources, a, limit),
    )
    async for tick in live_stream(info, spec):
        yield tick


async def live_comparison(
    info: Info,
    strategy_id: str,
    benchmark: str | None,
    window: WindowInput | None,
    interval: Interval,
    min_interval_ms: int,
) -> AsyncGenerator[LiveComparison, None]:
    low, high = MIN_INTERVAL_MS
    if not low <= min_interval_ms <= high:
        raise InvalidInput(f"minIntervalMs must be between {low} and {high}")
    sid = parse_strategy_id(strategy_id)
    record = (await _readable_strategies(info, [sid]))[sid]
    symbol = (benchmark or record.benchmark_symbol or "").upper()
    if not symbol:
        raise InvalidInput(f"strategy {sid} has no default benchmark: pass benchmark")
    chosen = (await _benchmarks(info, [symbol]))[symbol]
    parts = [c.symbol for c in chosen.components] if chosen.is_blend else [symbol]
    components = await _benchmarks(info, parts)
    resources = info.context.resources
    request = ComparisonRequest(
        strategy_id=sid,
        benchmark=chosen,
        components=tuple(components[p] for p in parts),
        window=to_window(window) if window else DEFAULT_COMPARISON_WINDOW,
        interval=interval,
        min_interval_s=min_interval_ms / 1000,
    )
    spec = LiveSpec(
        feed=lambda: ComparisonFeed(resources, request),
        present=LiveComparison.from_state,
        key_name="strategyId",
        access=LiveAccess(resources, info.context.principal, (sid,)),
        snapshot=True,
    )
    async for state in live_stream(info, spec):
        yield state
