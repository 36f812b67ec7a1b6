"""Benchmark feeds: the S&P 500 import since 1990, and stream-to-queryable latency.

Import: the shipped S&P 500 closes (8,313 rows, 1990-2022) written as a Stooq CSV in a
temporary file, imported with ``import_levels`` (parse, validate, chunked upserts) into a
fresh benchmark. Baseline, same run: the same rows inserted one INSERT at a time through a
SQLAlchemy session, one commit at the end (what a naive loader does).

Latency: a consumer of the market-data stream runs in this process; ticks are added to the
stream one at a time (XADD) while a GraphQL client polls the benchmark's ``latest`` (the
tick is queryable) and a subscriber listens on ``bench:{symbol}`` (the tick is delivered).
Baseline, same run: the write alone (``record_benchmark_prices``, the mutation's path).

Run: uv run python bench/feeds_bench.py
"""

from __future__ import annotations

import asyncio
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from redis.asyncio.client import PubSub
from sqlalchemy import delete, insert

from bench._setup import RESULTS, median, open_bench_resources, p
from schema.app import create_app
from services import keys
from services.benchmarks import BenchmarkRecord, NewBenchmark, create_benchmark
from services.db.models import Benchmark, BenchmarkPrice
from services.feeds.files import import_levels
from services.feeds.formats import parse
from services.feeds.stream import market_data_consumer
from services.ingest import record_benchmark_prices
from services.resources import Resources
from services.validation import IncomingRow
from tests.services.feeds.conftest import write_spx_as_stooq

IMPORT_RUNS = 3
TICKS = 300
BURST = 1_000


async def new_benchmark(resources: Resources, prefix: str) -> BenchmarkRecord:
    symbol = f"{prefix}_{uuid.uuid4().hex[:8].upper()}"
    data = NewBenchmark(symbol, f"bench {symbol}", "EQUITY_INDEX", "PRICE", cadence="INTRADAY")
    async with resources.sessions() as session:
        return await create_benchmark(session, data=data)


async def drop(resources: Resources, benchmarks: list[BenchmarkRecord]) -> None:
    async with resources.engine.begin() as conn:
        await conn.execute(delete(Benchmark).where(Benchmark.id.in_([b.id for b in benchmarks])))


async def naive_insert(resources: Resources, benchmark: BenchmarkRecord, path: Path) -> None:
    rows = parse(await asyncio.to_thread(path.read_text)).rows
    async with resources.sessions() as session:
        for seq, row in enumerate(rows, start=1):
            values = {"benchmark_id": benchmark.id, "ts": row.ts, "level": row.value, "seq": seq}
            await session.execute(insert(BenchmarkPrice).values(**values))
        await session.commit()


async def import_times(resources: Resources, path: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"naive": [], "import": []}
    made: list[BenchmarkRecord] = []
    for _ in range(IMPORT_RUNS):
        for name in times:
            benchmark = await new_benchmark(resources, "BENCH_SPX")
            made.append(benchmark)
            start = time.perf_counter()
            if name == "naive":
                await naive_insert(resources, benchmark, path)
            else:
                report = await import_levels(resources, benchmark.symbol, str(path))
                assert report.inserted == 8313, report
            times[name].append(time.perf_counter() - start)
    await drop(resources, made)
    return times


async def _first_seen(client: httpx.AsyncClient, symbol: str, seq: int) -> float:
    query = {"query": f'{{ benchmark(symbol: "{symbol}") {{ latest {{ seq }} }} }}'}
    while True:
        latest = (await client.post("/graphql", json=query)).json()["data"]["benchmark"]["latest"]
        if latest and latest["seq"] >= seq:
            return time.perf_counter()


class Arrivals:
    """When each tick reached a subscriber, recorded as it arrives."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self.changed = asyncio.Condition()

    async def listen(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message:
                async with self.changed:
                    self.at[orjson.loads(message["data"])["seq"]] = time.perf_counter()
                    self.changed.notify_all()

    async def of(self, seq: int) -> float:
        async with self.changed:
            await self.changed.wait_for(lambda: seq in self.at)
        return self.at[seq]


async def _add(resources: Resources, stream: str, symbol: str, i: int) -> None:
    ts = (datetime.now(UTC) - timedelta(days=1) + timedelta(seconds=i)).isoformat()
    await resources.redis.xadd(stream, {"symbol": symbol, "ts": ts, "level": 100 + i})


async def stream_latency(resources: Resources) -> dict[str, list[float]]:
    benchmark = await new_benchmark(resources, "BENCH_TICK")
    symbol = benchmark.symbol
    stream = f"{keys.market_data_stream()}:bench-{uuid.uuid4().hex[:8]}"
    consumer = market_data_consumer(resources, stream=stream, name="bench")
    await consumer.ensure_group()
    stop, arrivals = asyncio.Event(), Arrivals()
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(keys.benchmark_channel(symbol))
    await pubsub.get_message(timeout=1.0)
    tasks = [
        asyncio.create_task(consumer.run(stop)),
        asyncio.create_task(arrivals.listen(pubsub)),
    ]
    transport = httpx.ASGITransport(app=create_app(resources=resources))
    result: dict[str, list[float]] = {"queryable": [], "delivered": []}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _add(resources, stream, symbol, 0)  # warm-up: the first batch loads the calendar
        await _first_seen(client, symbol, 1)
        for seq in range(2, TICKS + 2):
            sent = time.perf_counter()
            await _add(resources, stream, symbol, seq)
            result["queryable"].append(await _first_seen(client, symbol, seq) - sent)
            result["delivered"].append(await arrivals.of(seq) - sent)
        burst_start = time.perf_counter()
        async with resources.redis.pipeline(transaction=False) as pipe:
            for i in range(TICKS + 2, TICKS + 2 + BURST):
                ts = (datetime.now(UTC) - timedelta(days=1) + timedelta(seconds=i)).isoformat()
                pipe.xadd(stream, {"symbol": symbol, "ts": ts, "level": 100 + i})
            await pipe.execute()
        result["burst"] = [await _first_seen(client, symbol, TICKS + 1 + BURST) - burst_start]
    stop.set()
    tasks[1].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    result["write only"] = await direct_writes(resources, benchmark)
    await drop(resources, [benchmark])
    return result


async def direct_writes(resources: Resources, benchmark: BenchmarkRecord) -> list[float]:
    times = []
    start_ts = datetime.now(UTC) - timedelta(hours=12)
    for i in range(TICKS):
        row = IncomingRow(start_ts + timedelta(seconds=i), 100.0 + i)
        start = time.perf_counter()
        await record_benchmark_prices(resources, benchmark.symbol, [row], source="bench")
        times.append(time.perf_counter() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(imports: dict[str, list[float]], latency: dict[str, list[float]]) -> str:
    naive, fast = median(imports["naive"]), median(imports["import"])
    write = median(latency["write only"])
    lines = [
        "# Feeds: S&P 500 import and stream-to-queryable latency",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, embedded servers.",
        "Command: `uv run python bench/feeds_bench.py`",
        "",
        f"## Import of the S&P 500 since 1990 (8,313 rows, Stooq CSV), median of {IMPORT_RUNS}",
        "",
        "| path | seconds | vs baseline |",
        "|---|---|---|",
        f"| row-by-row INSERTs through SQLAlchemy (baseline) | {naive:.2f} | 1.0x |",
        f"| `perfgraph feeds import` path | {fast:.2f} | {naive / fast:.1f}x faster |",
        "",
        f"## Stream to queryable and to subscribers, {TICKS} ticks one at a time (ms)",
        "",
        "| measure | p50 | p90 | p99 | max | p50 vs write only |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("write only", "queryable", "delivered"):
        t = latency[name]
        base = " (baseline)" if name == "write only" else ""
        lines.append(
            f"| {name}{base} | {ms(median(t))} | {ms(p(t, 0.9))} | {ms(p(t, 0.99))} | "
            f"{ms(max(t))} | {median(t) / write:.1f}x |"
        )
    lines += [
        "",
        f"Burst: {BURST} ticks added at once were all queryable after "
        f"{ms(latency['burst'][0])} ms ({BURST / latency['burst'][0]:.0f} ticks/s).",
        "Target: p99 at most 1 s from the stream to queryable and delivered. Not counted: the",
        "first batch after start, which loads the trading calendar (about 0.3 s, once).",
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    resources = await open_bench_resources()
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "spx.csv"
            write_spx_as_stooq(path)
            imports = await import_times(resources, path)
        latency = await stream_latency(resources)
    finally:
        await resources.close()
    text = report(imports, latency)
    (RESULTS / "feeds.md").write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
