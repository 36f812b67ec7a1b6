"""The soak's subscribers, over graphql-transport-ws with an API key.

- steady: connections open for the whole run, each with a ``performance`` subscription per
  written strategy (identical across connections, so they share the server's topics), and
  one connection with a single subscription to every strategy plus ``liveComparison``
  subscriptions; every event is recorded in a :class:`Stream` and checked;
- churn: clients that resume a strategy a few changes back (``afterSeq``), read for a
  moment, then complete the operation, or close the connection, or drop it without a
  close frame; now and then a ``liveComparison`` instead.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench._soak_ledger import Ledger, Stream

POINT = "strategyId seq kind point { timestamp nav cashFlow }"
PERFORMANCE = (
    "subscription Performance($ids: [ID!]!, $after: [StrategySeqInput!]) "
    f"{{ performance(strategyIds: $ids, after: $after) {{ {POINT} }} }}"
)
RESUME = (
    "subscription Resume($id: ID!, $afterSeq: Int) "
    f"{{ performance(strategyIds: [$id], afterSeq: $afterSeq) {{ {POINT} }} }}"
)
COMPARISON = (
    "subscription Comparison($id: ID!, $benchmark: String, $ms: Int!) "
    "{ liveComparison(strategyId: $id, benchmark: $benchmark, minIntervalMs: $ms) "
    "{ strategyId benchmark asOf periods excessReturn relative strategySeq benchmarkSeq } }"
)
COMPARISON_MS = 500
Handler = Callable[[dict[str, Any]], None]
Record = Callable[[str, float], None]  # (operation, latency ms)
Fail = Callable[[str], None]


class Connection:
    """One graphql-transport-ws connection; each operation's messages go to its handler."""

    def __init__(self, ws: ClientConnection, fail: Fail) -> None:
        self.ws = ws
        self.fail = fail
        self.handlers: dict[str, Handler] = {}
        self.closing = False
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, api_key: str, fail: Fail) -> Connection:
        ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10)
        init = {"type": "connection_init", "payload": {"apiKey": api_key}}
        await ws.send(orjson.dumps(init).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        if ack.get("type") != "connection_ack":
            await ws.close()
            raise RuntimeError(f"connection refused: {ack}")
        return cls(ws, fail)

    async def subscribe(self, query: str, variables: dict[str, Any], handler: Handler) -> str:
        op_id = str(next(self._ids))
        self.handlers[op_id] = handler
        payload = {"query": query, "variables": variables}
        await self.ws.send(
            orjson.dumps({"id": op_id, "type": "subscribe", "payload": payload}).decode()
        )
        return op_id

    async def complete(self, op_id: str) -> None:
        self.handlers.pop(op_id, None)
        await self.ws.send(orjson.dumps({"id": op_id, "type": "complete"}).decode())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = orjson.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await self.ws.send(orjson.dumps({"type": "pong"}).decode())
                elif (handler := self.handlers.get(message.get("id", ""))) is not None:
                    handler(message)
        except Exception as exc:
            if not self.closing:
                self.fail(f"connection: {exc!r}")
            return
        if not self.closing:
            self.fail(
                f"connection closed by the server: {self.ws.close_code} {self.ws.close_reason}"
            )

    async def close(self, *, abort: bool = False) -> None:
        """Close with a close frame, or ``abort``: drop the TCP connection without one."""
        self.closing = True
        if abort:
            self.ws.transport.abort()
        else:
            await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


def performance_handler(
    streams: dict[int, Stream], ledgers: dict[int, Ledger], record: Record, fail: Fail
) -> Handler:
    """Records each event in its strategy's stream, and the time since its write was sent."""

    def handle(message: dict[str, Any]) -> None:
        now = time.perf_counter()
        payload = message.get("payload")
        if message["type"] != "next" or not isinstance(payload, dict) or "errors" in payload:
            fail(f"performance subscription ended: {str(message)[:300]}")
            return
        event = payload["data"]["performance"]
        strategy_id = int(event["strategyId"])
        ledger = ledgers[strategy_id]
        streams[strategy_id].receive(event, ledger)
        sent = ledger.sent.get(event["seq"], ledger.in_flight)
        if sent is not None:
            operation = "delivery-bulk" if sent.kind == "write-bulk" else "delivery"
            record(operation, (now - sent.at) * 1000)

    return handle


@dataclass
class Comparisons:
    """A liveComparison subscription's events: the strategy's data version must not go back."""

    strategy_id: int
    events: int = 0
    last_seq: int = -1
    went_back: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def handler(self, fail: Fail) -> Handler:
        def handle(message: dict[str, Any]) -> None:
            payload = message.get("payload")
            if message["type"] != "next" or not isinstance(payload, dict) or "errors" in payload:
                fail(f"liveComparison ended: {str(message)[:300]}")
                return
            state = payload["data"]["liveComparison"]
            if state["strategySeq"] < self.last_seq:
                self.went_back += 1
            self.last_seq = state["strategySeq"]
            self.events += 1
            self.arrived.set()

        return handle


@dataclass
class Steady:
    connections: list[Connection]
    streams: list[Stream]
    comparisons: list[Comparisons]


async def open_steady(
    url: str,
    api_key: str,
    ledgers: dict[int, Ledger],
    benchmarks: list[str | None],
    connections: int,
    record: Record,
    fail: Fail,
) -> Steady:
    """``connections`` connections with one subscription per strategy each, and one more
    with a subscription to all of them and a liveComparison per entry of ``benchmarks``
    (None: the strategy's own benchmark), for the strategies in turn."""
    steady = Steady([], [], [])
    ids = sorted(ledgers)
    for _ in range(connections):
        conn = await Connection.open(url, api_key, fail)
        steady.connections.append(conn)
        for sid in ids:
            streams = {sid: Stream(sid, ledgers[sid].last_seq, live=True)}
            after = [{"strategyId": str(sid), "seq": ledgers[sid].last_seq}]
            handler = performance_handler(streams, ledgers, record, fail)
            await conn.subscribe(PERFORMANCE, {"ids": [str(sid)], "after": after}, handler)
            steady.streams += streams.values()
    conn = await Connection.open(url, api_key, fail)
    steady.connections.append(conn)
    every = {sid: Stream(sid, ledgers[sid].last_seq, live=True) for sid in ids}
    after = [{"strategyId": str(s), "seq": ledgers[s].last_seq} for s in ids]
    variables = {"ids": [str(s) for s in ids], "after": after}
    await conn.subscribe(PERFORMANCE, variables, performance_handler(every, ledgers, record, fail))
    steady.streams += every.values()
    for sid, benchmark in zip(itertools.cycle(ids), benchmarks, strict=False):
        comparisons = Comparisons(sid)
        variables = {"id": str(sid), "benchmark": benchmark, "ms": COMPARISON_MS}
        await conn.subscribe(COMPARISON, variables, comparisons.handler(fail))
        steady.comparisons.append(comparisons)
    return steady


def _signalling(arrived: asyncio.Event, handler: Handler) -> Handler:
    def handle(message: dict[str, Any]) -> None:
        arrived.set()
        handler(message)

    return handle


def _no(operation: str, ms: float) -> None:
    """Resumed subscriptions' deliveries are not timed (the replay's are not live)."""


@dataclass
class ChurnCounts:
    cycles: int = 0
    connections: int = 0
    comparisons: int = 0
    completed: int = 0
    closed: int = 0
    dropped: int = 0


async def churn(
    url: str,
    api_key: str,
    ledgers: dict[int, Ledger],
    first_seq: dict[int, int],
    streams: list[Stream],
    counts: ChurnCounts,
    record: Record,
    fail: Fail,
    end: float,
    seed: int,
) -> None:
    """Subscribe, read for a moment, leave; again and again until ``end``.

    Each resumed subscription must first replay the changes after its cursor: the time to
    its first event is the ``resume`` latency (``comparison-first`` for liveComparison's
    first state).
    """
    rng = random.Random(seed)
    conn: Connection | None = None
    ids = sorted(ledgers)
    while time.monotonic() < end:
        if conn is None or rng.random() < 0.3:
            if conn is not None:
                await conn.close()
            conn = await Connection.open(url, api_key, fail)
            counts.connections += 1
        sid = rng.choice(ids)
        ledger = ledgers[sid]
        began = time.perf_counter()
        if rng.random() < 0.2:
            comparisons = Comparisons(sid)
            variables = {"id": str(sid), "benchmark": None, "ms": COMPARISON_MS}
            op_id = await conn.subscribe(COMPARISON, variables, comparisons.handler(fail))
            arrived, what = comparisons.arrived, "comparison-first"
            counts.comparisons += 1
        else:
            cursor = max(first_seq[sid], ledger.last_seq - rng.randint(1, 20))
            stream = Stream(sid, cursor, live=False)
            streams.append(stream)
            arrived = asyncio.Event()
            handler = _signalling(arrived, performance_handler({sid: stream}, ledgers, _no, fail))
            variables = {"id": str(sid), "afterSeq": cursor}
            op_id = await conn.subscribe(RESUME, variables, handler)
            what = "resume"
        try:
            await asyncio.wait_for(arrived.wait(), 10)
            record(what, (time.perf_counter() - began) * 1000)
        except TimeoutError:
            fail(f"{what}: no event within 10 s")
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        counts.cycles += 1
        leave = rng.random()
        if leave < 0.7:
            await conn.complete(op_id)
            counts.completed += 1
        else:
            await conn.close(abort=leave >= 0.85)
            counts.closed += leave < 0.85
            counts.dropped += leave >= 0.85
            conn = None
    if conn is not None:
        await conn.close()
