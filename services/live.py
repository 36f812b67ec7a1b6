"""Live feeds: committed changes in sequence order per entity, with nothing lost or doubled.

A feed listens on the pub/sub bridge, then reads each entity's current sequence number from
PostgreSQL: from then on it emits, per entity, exactly the changes with a higher sequence
number, in order. Redis is only the fast path. A message whose sequence number skips ahead
(a lost or reordered message), a reconnect of the bridge or an overflow of the feed's
queue triggers a *replay*: the rows with ``seq`` greater than the last one emitted, read
from PostgreSQL, which is the source of truth. A revision rewrites its row's ``seq``, so a
replay yields the current value of every point changed since, in sequence order: the
current state of every change since the cursor, which is what a subscriber needs.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text

from services import events, keys
from services.events import ChangeKind
from services.pubsub import Listener
from services.resources import Resources

log = logging.getLogger(__name__)
REPLAY_PAGE = 1_000
LISTENER_CAPACITY = 10_000


@dataclass(slots=True)
class LiveItem:
    """One thing to deliver: ``key`` names the entity (None: a whole-state snapshot).

    Not frozen (never changed all the same): one is made per event, and a frozen
    dataclass's ``__init__`` costs four times as much.
    """

    key: str | None
    seq: int
    value: object


Take = Callable[[LiveItem], bool]


class Feed(Protocol):
    async def start(self) -> None: ...
    def batches(self) -> AsyncIterator[list[LiveItem]]: ...
    async def close(self) -> None: ...

    def take_inline(self, take: Take) -> None:
        """Offer ``take`` each item the feed could yield at once, while ``batches`` waits.

        Called in the pub/sub reader's task: ``take`` returns True when it has handled the
        item (which ``batches`` then never yields), False to have ``batches`` yield it, and
        everything after it, as usual. Optional for a feed: it may never call ``take``.
        """


class SeqSource(Protocol):
    """Where one kind of sequenced change lives: its channels, wire format and table."""

    @property
    def key_name(self) -> str: ...

    def entity_keys(self) -> list[str]: ...
    def channel(self, key: str) -> str: ...
    def decode(self, data: bytes) -> LiveItem: ...
    async def current(self, resources: Resources) -> dict[str, int]: ...
    async def replay(
        self, resources: Resources, after: Mapping[str, int], limit: int
    ) -> list[LiveItem]: ...


def _kind(revised: bool) -> ChangeKind:
    return "REVISION" if revised else "INSERT"


_PERFORMANCE_REPLAY = text("""
SELECT k.key, p.ts, p.nav, p.cash_flow, p.seq,
       EXISTS (SELECT 1 FROM revisions r WHERE r.kind = 'performance'
               AND r.entity_id = p.strategy_id AND r.ts = p.ts AND r.seq = p.seq) AS revised
FROM unnest(CAST(:ids AS int[]), CAST(:afters AS int8[])) AS k(key, after)
CROSS JOIN LATERAL (
  SELECT * FROM performance_points
  WHERE strategy_id = k.key AND seq > k.after ORDER BY seq LIMIT :limit
) p
ORDER BY k.key, p.seq
""")

_BENCHMARK_REPLAY = text("""
SELECT k.key, p.ts, p.level, p.seq,
       EXISTS (SELECT 1 FROM revisions r WHERE r.kind = 'benchmark'
               AND r.entity_id = p.benchmark_id AND r.ts = p.ts AND r.seq = p.seq) AS revised
FROM unnest(CAST(:ids AS int[]), CAST(:afters AS int8[])) AS k(key, after)
CROSS JOIN LATERAL (
  SELECT * FROM benchmark_prices
  WHERE benchmark_id = k.key AND seq > k.after ORDER BY seq LIMIT :limit
) p
ORDER BY k.key, p.seq
""")


@dataclass(frozen=True)
class PerformanceSource:
    """Changes to strategies' performance points, keyed by strategy id (as a string)."""

    strategy_ids: tuple[int, ...]
    key_name: str = "strategyId"

    def entity_keys(self) -> list[str]:
        return [str(i) for i in self.strategy_ids]

    def channel(self, key: str) -> str:
        return keys.performance_channel(int(key))

    def decode(self, data: bytes) -> LiveItem:
        event = events.decode_performance(data)
        return LiveItem(str(event.strategy_id), event.seq, event)

    async def current(self, resources: Resources) -> dict[str, int]:
        async with resources.sessions() as session:
            rows = await session.execute(
                text("SELECT id, last_seq FROM strategies WHERE id = ANY(:ids)"),
                {"ids": list(self.strategy_ids)},
            )
            return {str(i): int(seq) for i, seq in rows}

    async def replay(
        self, resources: Resources, after: Mapping[str, int], limit: int
    ) -> list[LiveItem]:
        if not after:
            return []
        params = {"ids": [int(k) for k in after], "afters": list(after.values()), "limit": limit}
        async with resources.sessions() as session:
            rows = (await session.execute(_PERFORMANCE_REPLAY, params)).all()
        return [
            LiveItem(
                str(sid),
                seq,
                events.PerformanceEvent(sid, seq, ts, nav, flow, _kind(revised)),
            )
            for sid, ts, nav, flow, seq, revised in rows
        ]


@dataclass(frozen=True)
class BenchmarkSource:
    """Changes to benchmark levels, keyed by symbol."""

    ids: Mapping[str, int]  # symbol -> benchmark id
    key_name: str = "symbol"

    def entity_keys(self) -> list[str]:
        return list(self.ids)

    def channel(self, key: str) -> str:
        return keys.benchmark_channel(key)

    def decode(self, data: bytes) -> LiveItem:
        tick = events.decode_benchmark(data)
        return LiveItem(tick.symbol, tick.seq, tick)

    async def current(self, resources: Resources) -> dict[str, int]:
        async with resources.sessions() as session:
            rows = await session.execute(
                text("SELECT symbol, last_seq FROM benchmarks WHERE id = ANY(:ids)"),
                {"ids": list(self.ids.values())},
            )
            return {symbol: int(seq) for symbol, seq in rows}

    async def replay(
        self, resources: Resources, after: Mapping[str, int], limit: int
    ) -> list[LiveItem]:
        if not after:
            return []
        symbols = {self.ids[k]: k for k in after}
        params = {"ids": list(symbols), "afters": list(after.values()), "limit": limit}
        async with resources.sessions() as session:
            rows = (await session.execute(_BENCHMARK_REPLAY, params)).all()
        return [
            LiveItem(
                symbols[bid], seq, events.BenchmarkTick(symbols[bid], seq, ts, level, _kind(r))
            )
            for bid, ts, level, seq, r in rows
        ]


class SeqFeed:
    """A gap-free, duplicate-free, ordered feed of one source's changes (see module docs).

    With :meth:`take_inline`, the next change of an entity (its sequence number one above
    the last emitted) goes to the taker straight from the pub/sub reader while the feed is
    idle; anything else (a gap, a resync, a message that does not decode, an item the taker
    refuses) queues and goes through :meth:`batches`, and everything after it too.
    """

    def __init__(self, resources: Resources, source: SeqSource) -> None:
        self.resources = resources
        self.source = source
        self.replays = 0
        self._listener: Listener | None = None
        self._last: dict[str, int] = {}
        self._take: Take | None = None

    def take_inline(self, take: Take) -> None:
        self._take = take

    def _inline(self, data: bytes) -> bool:
        """A message arrived while the feed was idle: True when handled (or dropped) here."""
        take = self._take
        if take is None:
            return False
        try:
            item = self.source.decode(data)
        except (ValueError, KeyError, TypeError):
            return False  # batches() logs it
        key = item.key
        if key is None:
            return False
        last = self._last.get(key, 0)
        if item.seq <= last:
            return True  # a duplicate or a stale message, as batches() drops it
        if item.seq != last + 1 or not take(item):
            return False
        self._last[key] = item.seq
        return True

    async def start(self) -> None:
        channels = [self.source.channel(k) for k in self.source.entity_keys()]
        self._listener = await self.resources.pubsub.listen(channels, capacity=LISTENER_CAPACITY)
        self._last = await self.source.current(self.resources)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def batches(self) -> AsyncIterator[list[LiveItem]]:
        assert self._listener is not None, "start() the feed first"
        while True:
            inline = self._inline if self._take is not None else None
            resync, messages = await self._listener.get(inline)
            if resync:
                async for page in self._replay(dict(self._last)):
                    yield page
            out: list[LiveItem] = []
            for data in messages:
                item = self._decode(data)
                if item is None or item.key is None:
                    continue
                last = self._last.get(item.key, 0)
                if item.seq <= last:
                    continue
                if item.seq == last + 1:
                    self._last[item.key] = item.seq
                    out.append(item)
                    continue
                if out:
                    yield out
                    out = []
                # A skipped sequence number: PostgreSQL has every committed change.
                async for page in self._replay({item.key: last}):
                    yield page
            if out:
                yield out

    def _decode(self, data: bytes) -> LiveItem | None:
        try:
            return self.source.decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed live message: %r", data[:200])
            return None

    async def _replay(self, after: dict[str, int]) -> AsyncIterator[list[LiveItem]]:
        self.replays += 1
        while after:
            page = await self.source.replay(self.resources, after, REPLAY_PAGE)
            if not page:
                return
            for item in page:
                assert item.key is not None
                self._last[item.key] = max(self._last.get(item.key, 0), item.seq)
            yield page
            counts = Counter(item.key for item in page)
            after = {k: self._last[k] for k in after if counts[k] == REPLAY_PAGE}
