"""The client side of bench/live_bench.py: subscribers and the publisher, in one process.

Run by live_bench.py as ``python -m bench._live_client '<json arguments>'``; prints a
ClientResult as JSON.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psutil
import uvloop
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from services import events, keys

PER_CONNECTION = 20
EVENTS_PER_SECOND = 2.0
WARM_UP_S = 4.0
QUERY = (
    "subscription($ids: [ID!]!) { performance(strategyIds: $ids) "
    "{ strategyId seq kind point { timestamp nav cashFlow } } }"
)


@dataclass
class ClientResult:
    seconds: float
    deliveries: int
    expected: int
    lost: int
    p50_ms: float
    p99_ms: float
    cpu_us_per_delivery: float
    server_rss_mb: float
    client_cpu_s: float
    errors: int


@dataclass
class State:
    raw: bool
    sent: dict[tuple[int, int], float] = field(default_factory=dict)
    in_window: set[tuple[int, int]] = field(default_factory=set)
    measuring: bool = False
    latencies: list[float] = field(default_factory=list)
    received: dict[tuple[int, int], int] = field(default_factory=dict)
    started: set[tuple[int, int]] = field(default_factory=set)  # (connection, strategy)
    deliveries: int = 0
    errors: int = 0

    def handle(self, connection: int, raw: str | bytes) -> None:
        now = time.perf_counter()
        message = orjson.loads(raw)  # a graphql-transport-ws message, from either server
        data = message.get("payload", {}).get("data") if message.get("type") == "next" else None
        if not data:
            self.errors += 1  # a RESYNC_REQUIRED error, or the end of a subscription
            if self.errors <= 3:
                print(raw, file=sys.stderr)
            return
        event = data["performance"]
        key = (int(event["strategyId"]), event["seq"])
        self.started.add((connection, key[0]))
        if self.measuring:
            self.deliveries += 1
        if key in self.in_window:
            self.latencies.append((now - self.sent[key]) * 1000)
            self.received[key] = self.received.get(key, 0) + 1


async def open_connection(url: str, raw: bool, ids: list[int], state: State) -> ClientConnection:
    if raw:
        ws = await connect(url, max_size=None, open_timeout=60)
        await ws.send(orjson.dumps([keys.performance_channel(i) for i in ids]).decode())
    else:
        ws = await connect(url, subprotocols=["graphql-transport-ws"], open_timeout=60)  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        await ws.recv()
        for n, sid in enumerate(ids):
            payload = {"query": QUERY, "variables": {"ids": [str(sid)]}}
            message = {"id": str(n), "type": "subscribe", "payload": payload}
            await ws.send(orjson.dumps(message).decode())
    return ws


async def read(connection: int, ws: ClientConnection, state: State) -> None:
    async for raw in ws:
        state.handle(connection, raw)


async def wait_subscribed(redis: Redis, ids: list[int]) -> None:
    channels = [keys.performance_channel(i) for i in ids]
    while True:
        counts = await redis.pubsub_numsub(*channels)
        if all(count >= 1 for _, count in counts):
            return
        await asyncio.sleep(0.2)


def frame(event: events.PerformanceEvent) -> bytes:
    """The ``next`` message perfgraph sends for ``event`` (what the raw server forwards)."""
    point = {"timestamp": event.ts.isoformat(), "nav": event.nav, "cashFlow": event.cash_flow}
    update = {"strategyId": str(event.strategy_id), "seq": event.seq, "kind": event.kind}
    payload = {"data": {"performance": {**update, "point": point}}}
    return orjson.dumps({"id": "10", "type": "next", "payload": payload})


async def publish(redis: Redis, ids: list[int], state: State, stop: asyncio.Event) -> None:
    """200 events/s round-robin over the strategies, on an absolute schedule.

    perfgraph gets the events as the ingest path publishes them; the raw server gets the
    messages perfgraph would send for them, so that both write the same bytes.
    """
    seqs = dict.fromkeys(ids, 0)
    interval = 1.0 / (EVENTS_PER_SECOND * len(ids))
    start = time.perf_counter()
    n = 0
    while not stop.is_set():
        sid = ids[n % len(ids)]
        seqs[sid] += 1
        event = events.PerformanceEvent(sid, seqs[sid], datetime.now(UTC), 100.0 + n * 1e-4, 0.0)
        key = (sid, seqs[sid])
        state.sent[key] = time.perf_counter()
        if state.measuring:
            state.in_window.add(key)
        await redis.publish(event.channel, frame(event) if state.raw else events.encode(event))
        n += 1
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_client(args: dict[str, Any]) -> ClientResult:
    ids: list[int] = args["ids"]
    n: int = args["subscribers"]
    state = State(raw=args["raw"])
    redis = Redis.from_url(args["redis_url"])
    server = psutil.Process(args["server_pid"])
    connections = []
    for c in range(n // PER_CONNECTION):
        chosen = [ids[(c * PER_CONNECTION + j) % len(ids)] for j in range(PER_CONNECTION)]
        connections.append(await open_connection(args["url"], args["raw"], chosen, state))
        await asyncio.sleep(0.02)  # clients arrive over a few seconds, not all at once
    readers = [asyncio.create_task(read(c, ws, state)) for c, ws in enumerate(connections)]
    await wait_subscribed(redis, ids)
    stop = asyncio.Event()
    publisher = asyncio.create_task(publish(redis, ids, state, stop))
    # Every subscription is live once it has received an event; then the warm-up runs.
    deadline = time.monotonic() + 120
    while len(state.started) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(state.started)} of {n} subscriptions became live")
        await asyncio.sleep(0.1)
    await asyncio.sleep(WARM_UP_S)
    before, mine = server.cpu_times(), psutil.Process().cpu_times()
    started = time.perf_counter()
    state.measuring = True
    await asyncio.sleep(args["seconds"])
    state.measuring = False
    elapsed = time.perf_counter() - started
    after, mine_after = server.cpu_times(), psutil.Process().cpu_times()
    stop.set()
    await publisher
    await asyncio.sleep(3.0)  # stragglers of the window still count for latency and loss
    rss = server.memory_info().rss / 2**20
    for task in readers:
        task.cancel()
    for ws in connections:
        await ws.close()
    await redis.aclose()
    cpu = (after.user + after.system) - (before.user + before.system)
    per_event = n // len(ids)
    expected = len(state.in_window) * per_event
    return ClientResult(
        seconds=elapsed,
        deliveries=state.deliveries,
        expected=expected,
        lost=expected - sum(state.received.values()),
        p50_ms=percentile(state.latencies, 0.50),
        p99_ms=percentile(state.latencies, 0.99),
        cpu_us_per_delivery=cpu / max(state.deliveries, 1) * 1e6,
        server_rss_mb=rss,
        client_cpu_s=(mine_after.user + mine_after.system) - (mine.user + mine.system),
        errors=state.errors,
    )


if __name__ == "__main__":
    result = uvloop.run(run_client(orjson.loads(sys.argv[1])))
    print(orjson.dumps(asdict(result)).decode())
