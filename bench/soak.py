"""Soak: queries, writes and subscriptions on one server process for minutes; flat, no errors?

The server is the real one (``perfgraph serve``, production settings) in a subprocess on
127.0.0.1, on the benchmark's PostgreSQL and Redis; clients authenticate with API keys made
for the run (an admin key for the queries, a read + write:performance key of the account
that owns the written strategies for the writes and subscriptions). Concurrently:

- query clients loop over the dashboard's queries (the demo strategies, and the strategies
  being written, whose cached values the writes keep invalidating);
- one writer per new strategy records NAV points through ``recordPerformance`` at a steady
  rate: single points, bulk writes, rows that break the rules (each must come back as a
  per-row rejection: counted as expected, not as an error) and revisions
  (``bench/_soak_writes.py``); every answer is checked against the writer's prediction;
- steady subscribers (``performance`` on each strategy, identical across connections; one
  subscription to all of them; ``liveComparison`` on the strategy's benchmark and on a
  blend) check every event's order as it arrives; churn clients resume a strategy a few
  changes back, read, then leave by completing, closing or dropping the connection
  (``bench/_soak_live.py``).

When the load stops, every acknowledged change must have reached every steady subscriber of
its strategy once, in order, with the values written, and each resumed subscription must
hold every change after its cursor up to the last it received (``bench/_soak_ledger.py``).
Every ``--sample-s`` seconds the server's own ``/metrics`` gives its resident memory, live
asyncio tasks, open files, checked-out connections, open subscriptions and Redis pub/sub
channels. The baseline is the same run: RSS after warm-up against the end; latency of each
operation in the first minute against the last; tasks, files, subscriptions and channels
with nothing in flight before and after the load.

Run: uv run python bench/soak.py [--seconds 180] [--clients 4] [--writes-per-s 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from array import array
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psutil
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import RESULTS, ROOT, open_bench_resources
from bench._soak_ledger import Ledger, Reconciliation, Stream, reconcile
from bench._soak_live import ChurnCounts, Steady, churn, open_steady
from bench._soak_writes import WriteCounts, Writer, write_loop
from services import keys
from services.resources import Resources
from tests.factories import create_key, create_strategy

BENCHMARKS: list[str | None] = [None, "BLEND_60_40"]  # liveComparison: own benchmark, a blend
ACCOUNT = "soak"
SLUGS = ["stock-aapl", "stock-msft", "us-momentum-mtum", "us-value-vlue", "stock-ko"]
QUERIES: list[tuple[str, str]] = [
    ("StrategyList", "query StrategyList { strategies(first: 20) { nodes { id slug name } } }"),
    (
        "Latest",
        "query Latest { strategies(first: 20) { nodes { slug latest { timestamp value } } } }",
    ),
    *(
        (
            "ChartColumns",
            f'query ChartColumns {{ strategy(slug: "{slug}") {{ performance(window: {{preset: '
            "ONE_YEAR}, interval: DAY) { columns { timestamps nav drawdown } } } }",
        )
        for slug in SLUGS
    ),
    (
        "MonthlyPoints",
        'query MonthlyPoints { strategy(slug: "stock-jpm") { performance(window: {preset: MAX},'
        " interval: MONTH) { points { timestamp nav return drawdown } } } }",
    ),
    (
        "BenchmarkSeries",
        'query BenchmarkSeries { benchmark(symbol: "SPX") { series(window: {preset:'
        " FIVE_YEARS}, interval: WEEK) { columns { timestamps level } } } }",
    ),
    ("Benchmarks", "query Benchmarks { benchmarks { symbol name } }"),
]
WRITTEN = (
    "query Written($id: ID!) { strategy(id: $id) { lastSeq latest { timestamp value }"
    " performance(window: {preset: ONE_MONTH}, interval: DAY) { columns { timestamps nav } }"
    " metrics(window: {preset: ONE_YEAR}) { cagr maxDrawdown } } }"
)
GAUGES = {  # summed over their labels
    "process_resident_memory_bytes": "rss_mb",
    "process_cpu_seconds_total": "cpu_s",
    "perfgraph_asyncio_tasks": "tasks",
    "process_open_fds": "fds",
    "perfgraph_db_pool_checked_out": "checked_out",
    "perfgraph_db_pool_idle": "pool_idle",
    "perfgraph_subscriptions_active": "subscriptions",
    "perfgraph_pubsub_channels": "channels",
    "perfgraph_pubsub_listeners": "listeners",
    "perfgraph_pubsub_reconnects_total": "reconnects",
}
QUERY_OPS = {*(name for name, _ in QUERIES), "Written"}
OPERATIONS = [
    *dict.fromkeys(name for name, _ in QUERIES),
    "Written",
    "write",
    "write-bulk",
    "write-invalid",
    "write-revision",
    "delivery",
    "delivery-bulk",
    "resume",
    "comparison-first",
]


@dataclass
class Tally:
    """Latencies by (minute, operation), errors, and the workload's counts."""

    start: float = field(default_factory=time.monotonic)
    latencies: dict[tuple[int, str], array[float]] = field(
        default_factory=lambda: defaultdict(lambda: array("d"))
    )
    errors: list[str] = field(default_factory=list)
    writes: WriteCounts = field(default_factory=WriteCounts)
    churn: ChurnCounts = field(default_factory=ChurnCounts)

    def record(self, operation: str, ms: float) -> None:
        self.latencies[(int((time.monotonic() - self.start) // 60), operation)].append(ms)

    def fail(self, error: str) -> None:
        self.errors.append(error[:400])

    def count(self, operation: str) -> int:
        return sum(len(v) for (_, op), v in self.latencies.items() if op == operation)


@dataclass
class Run:
    ledgers: dict[int, Ledger]
    writers: list[Writer]
    first_seq: dict[int, int]
    query_key: str
    write_key: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


SERVER_LOG = ROOT / "bench" / "out" / "soak-server.log"


def start_server(database_url: str, redis_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PERFGRAPH_ENVIRONMENT": "production",
        "PERFGRAPH_REPORT_SECRET": secrets.token_urlsafe(48),
        "PERFGRAPH_DATABASE_URL": database_url,
        "PERFGRAPH_REDIS_URL": redis_url,
        "PERFGRAPH_LOG_LEVEL": "WARNING",
        "PERFGRAPH_LOAD_DEMO": "false",
    }
    command = [sys.executable, "-c", "from services.cli import main; main()", "serve"]
    SERVER_LOG.parent.mkdir(exist_ok=True)
    with SERVER_LOG.open("wb") as out:
        return subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def prepare(resources: Resources, strategies: int) -> Run:
    """New strategies with two years of daily history, owned by the writers' account; the
    writers add points every STEP from 60 days ago (far enough for hours of writing)."""
    tag = uuid.uuid4().hex[:8]
    first_ts = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=60)
    history = [
        (first_ts - timedelta(days=d), 1000.0 * 1.0002 ** (-d), 0.0) for d in range(730, 0, -1)
    ]
    ids = [
        await create_strategy(
            resources, points=history, slug=f"soak-{tag}-{i}", account=ACCOUNT, benchmark="SPX"
        )
        for i in range(strategies)
    ]
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, last_seq FROM strategies WHERE id = ANY(:ids)"), {"ids": ids}
        )
        first_seq = {int(sid): int(seq) for sid, seq in rows}
    ledgers = {sid: Ledger(sid, first_seq[sid]) for sid in ids}
    limit = 10**7  # the run measures the server, not its rate limits
    return Run(
        ledgers=ledgers,
        writers=[Writer(ledgers[sid], first_ts, seed=n) for n, sid in enumerate(ids)],
        first_seq=first_seq,
        query_key=await create_key(
            resources, account=ACCOUNT, scopes=("admin",), rate_limit_per_minute=limit
        ),
        write_key=await create_key(
            resources,
            account=ACCOUNT,
            scopes=("read", "write:performance"),
            rate_limit_per_minute=limit,
        ),
    )


async def wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(600):
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server never became ready")


async def sample(client: httpx.AsyncClient) -> dict[str, float]:
    text_ = (await client.get("/metrics")).text
    found: dict[str, float] = dict.fromkeys(GAUGES.values(), 0.0)
    for family in text_string_to_metric_families(text_):
        for item in family.samples:
            if item.name in GAUGES:
                found[GAUGES[item.name]] += item.value
    found["rss_mb"] /= 2**20
    found["pool_open"] = found["pool_idle"] + found["checked_out"]
    found["load1"] = os.getloadavg()[0]  # the machine's, shared with other work
    mine = psutil.Process().cpu_times()
    found["client_cpu_s"] = mine.user + mine.system  # this process: every client
    return found


async def query_loop(
    client: httpx.AsyncClient, tally: Tally, written: list[int], end: float, seed: int
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < end:
        if rng.random() < 0.2:
            name, document = "Written", WRITTEN
            variables: dict[str, object] = {"id": str(rng.choice(written))}
        else:
            (name, document), variables = rng.choice(QUERIES), {}
        began = time.perf_counter()
        try:
            response = await client.post(
                "/graphql", json={"query": document, "variables": variables}
            )
            response.raise_for_status()
            if "errors" in response.json():
                tally.fail(f"{name}: {response.json()['errors']}")
        except Exception as exc:
            tally.fail(f"{name}: {exc!r}")
        tally.record(name, (time.perf_counter() - began) * 1000)


async def sampler(
    client: httpx.AsyncClient,
    samples: list[tuple[float, dict[str, float]]],
    start: float,
    end: float,
    every: float,
) -> None:
    while time.monotonic() < end:
        samples.append((time.monotonic() - start, await sample(client)))
        await asyncio.sleep(min(every, max(end - time.monotonic(), 0.0)))
    samples.append((time.monotonic() - start, await sample(client)))


async def load(
    args: argparse.Namespace,
    run: Run,
    http: tuple[httpx.AsyncClient, httpx.AsyncClient],
    url: str,
    tally: Tally,
    streams: list[Stream],
    end: float,
    extra: Sequence[Awaitable[None]],
) -> None:
    """Queries, writes and churn until ``end`` (plus ``extra``, e.g. the sampler)."""
    queries, writes = http
    per_writer = args.writes_per_s / len(run.writers)
    written = sorted(run.ledgers)
    await asyncio.gather(
        *extra,
        *(query_loop(queries, tally, written, end, seed=n) for n in range(args.clients)),
        *(
            write_loop(writes, w, tally.writes, tally.record, tally.fail, end, per_writer)
            for w in run.writers
        ),
        *(
            churn(
                url,
                run.write_key,
                run.ledgers,
                run.first_seq,
                streams,
                tally.churn,
                tally.record,
                tally.fail,
                end,
                seed=n,
            )
            for n in range(args.churn)
        ),
    )


async def until(condition: Callable[[], Awaitable[bool] | bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return True
        await asyncio.sleep(0.1)
    return False


async def numsub(resources: Resources, channels: list[str]) -> list[int]:
    """Subscribers of each channel, as Redis counts them."""
    return [int(n) for _, n in await resources.redis.pubsub_numsub(*channels)]


async def _attached(
    probe: httpx.AsyncClient, resources: Resources, channels: list[str], subscriptions: int
) -> bool:
    """Every subscription open on the server and every channel confirmed by Redis."""
    if (await sample(probe))["subscriptions"] < subscriptions:
        return False
    return all(await numsub(resources, channels))


async def _idle(probe: httpx.AsyncClient, before: dict[str, float]) -> bool:
    """Subscriptions and channels back to what they were before the load."""
    now = await sample(probe)
    return all(now[k] <= before[k] for k in ("subscriptions", "channels", "listeners"))


@dataclass
class Outcome:
    tally: Tally
    samples: list[tuple[float, dict[str, float]]]
    idle: list[dict[str, float]]
    reconciliation: Reconciliation
    steady: Steady
    final_seq: dict[int, int]
    channels_after: int
    server_log: dict[str, list[str]] = field(default_factory=dict)  # level -> messages

    @property
    def comparisons_final(self) -> bool:
        """Each liveComparison ended on the strategy's last change."""
        return all(c.last_seq == self.final_seq[c.strategy_id] for c in self.steady.comparisons)

    @property
    def errors(self) -> int:
        """Client-side failures, reconciliation faults and server log lines above WARNING."""
        r = self.reconciliation
        faults = r.lost + r.duplicated + r.out_of_order + r.gaps + r.unexpected + r.mismatched
        comparisons = sum(c.went_back for c in self.steady.comparisons)
        comparisons += 0 if self.comparisons_final else 1
        logged = sum(len(v) for level, v in self.server_log.items() if level != "WARNING")
        return len(self.tally.errors) + faults + comparisons + logged


def server_log() -> dict[str, list[str]]:
    """The server's log lines (JSON, WARNING and above) by level."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in SERVER_LOG.read_text(errors="replace").splitlines():
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            found["UNPARSED"].append(line)
            continue
        found[str(entry.get("level"))].append(str(entry.get("message")))
    return found


async def soak(args: argparse.Namespace) -> Outcome:
    resources = await open_bench_resources()
    database_url = resources.settings.database_url or resources.embedded.database_url
    redis_url = resources.settings.redis_url or resources.embedded.redis_url
    assert database_url is not None
    assert redis_url is not None
    run = await prepare(resources, args.strategies)
    channels = [keys.performance_channel(i) for i in run.ledgers]
    channels += [keys.benchmark_channel(s) for s in ("SPX", "UST10Y_TR")]
    port = free_port()
    server = start_server(database_url, redis_url, port)
    base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql"
    limits = httpx.Limits(max_connections=args.clients + len(run.writers) + 2)
    try:
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as probe,
            httpx.AsyncClient(
                base_url=base, timeout=30, limits=limits, headers={"X-API-Key": run.query_key}
            ) as queries,
            httpx.AsyncClient(
                base_url=base, timeout=30, limits=limits, headers={"X-API-Key": run.write_key}
            ) as writes,
        ):
            await wait_ready(probe)
            warm_up = Tally()
            await load(
                args, run, (queries, writes), url, warm_up, [], time.monotonic() + args.warm_up, []
            )
            if warm_up.errors:
                raise RuntimeError(f"errors during the warm-up: {warm_up.errors[:3]}")
            await asyncio.sleep(1)
            idle = [await sample(probe)]

            tally, streams = Tally(), list[Stream]()
            steady = await open_steady(
                url,
                run.write_key,
                run.ledgers,
                BENCHMARKS,
                args.subscriber_connections,
                tally.record,
                tally.fail,
            )
            subscriptions = len(steady.streams) - len(run.ledgers) + 1 + len(steady.comparisons)
            attached = await until(lambda: _attached(probe, resources, channels, subscriptions), 20)
            if not attached:
                raise RuntimeError("the steady subscriptions did not start within 20 s")
            start = time.monotonic()
            tally.start = start
            end = start + args.seconds
            samples: list[tuple[float, dict[str, float]]] = []
            extra = [sampler(probe, samples, start, end, args.sample_s)]
            await load(args, run, (queries, writes), url, tally, streams, end, extra)

            # Drain: every steady subscriber up to the last acknowledged change.
            final = {sid: ledger.last_seq for sid, ledger in run.ledgers.items()}
            caught_up = await until(
                lambda: (
                    all(s.last >= final[s.strategy_id] for s in steady.streams)
                    and all(c.last_seq >= final[c.strategy_id] for c in steady.comparisons)
                ),
                15,
            )
            if not caught_up:
                tally.fail("steady subscribers had not caught up 15 s after the last write")
            reconciliation = reconcile([*steady.streams, *streams], run.ledgers)
            for conn in steady.connections:
                await conn.close()
            await until(lambda: _idle(probe, idle[0]), 10)
            await asyncio.sleep(1)
            idle.append(await sample(probe))
            channels_after = sum(await numsub(resources, channels))
    finally:
        server.terminate()
        server.wait(30)
        await resources.close()
    outcome = Outcome(tally, samples, idle, reconciliation, steady, final, channels_after)
    outcome.server_log = server_log()
    return outcome


def median(values: array[float]) -> float:
    return statistics.median(values)


def p99(values: array[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


Sample = tuple[float, dict[str, float]]


def cpu_percent(before: Sample, after: Sample, key: str = "cpu_s") -> float:
    """A process's CPU use between two samples (100 = one core): the server's, or with
    ``client_cpu_s`` the clients'."""
    return (after[1][key] - before[1][key]) / (after[0] - before[0]) * 100


def by_minute(out: Outcome, minutes: int) -> list[str]:
    """Each whole minute's pace next to its latency: the server shares the machine's cores
    with PostgreSQL, Redis, the clients and whatever else runs there."""
    lines = [
        "| minute | queries/s | server CPU % | clients' CPU % | machine load avg |"
        " query p50 ms | write p50 ms | delivery p50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for minute in range(minutes):
        window = [s for s in out.samples if minute * 60 - 1 <= s[0] <= (minute + 1) * 60 + 1]
        if len(window) < 2:
            continue

        def of(operations: set[str], minute: int = minute) -> list[float]:
            return [
                ms
                for (m, op), values in out.tally.latencies.items()
                if m == minute and op in operations
                for ms in values
            ]

        queries, writes, deliveries = of(QUERY_OPS), of({"write"}), of({"delivery"})
        lines.append(
            f"| {minute} | {len(queries) / 60:.0f} | {cpu_percent(window[0], window[-1]):.0f} |"
            f" {cpu_percent(window[0], window[-1], 'client_cpu_s'):.0f} |"
            f" {statistics.mean(s[1]['load1'] for s in window):.1f} |"
            f" {statistics.median(queries) if queries else float('nan'):.1f} |"
            f" {statistics.median(writes) if writes else float('nan'):.1f} |"
            f" {statistics.median(deliveries) if deliveries else float('nan'):.1f} |"
        )
    return [
        *lines,
        "",
        "The queries run in a closed loop, the writes and events at fixed rates. A server"
        " slowing down by itself would keep its CPU % while its latency rose; one crowded out"
        " by other work on the machine gets less CPU as the machine's load rises, and"
        " everything it does slows alike.",
    ]


def command(args: argparse.Namespace) -> str:
    return (
        f"uv run python bench/soak.py --seconds {args.seconds:.0f}"
        f" --clients {args.clients} --writes-per-s {args.writes_per_s:g}"
        f" --strategies {args.strategies} --subscriber-connections"
        f" {args.subscriber_connections} --churn {args.churn}"
    )


def report(args: argparse.Namespace, out: Outcome) -> str:
    tally, r, steady = out.tally, out.reconciliation, out.steady
    writes, churned = tally.writes, tally.churn
    queries = sum(tally.count(name) for name in dict.fromkeys(n for n, _ in QUERIES))
    queries += tally.count("Written")
    comparison_events = sum(c.events for c in steady.comparisons)
    comparisons_final = out.comparisons_final
    went_back = sum(c.went_back for c in steady.comparisons)
    errors = out.errors
    logged = {level: len(lines) for level, lines in sorted(out.server_log.items())}
    lines = [
        "# Soak: queries, writes and subscriptions on one server process",
        "",
        f"{args.seconds:.0f} s after a {args.warm_up:.0f} s warm-up, one `perfgraph serve` process"
        " (production settings, API keys) on 127.0.0.1, embedded PostgreSQL and Redis; the"
        " clients in one asyncio process on the same machine.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}.",
        f"Command: `{command(args)}`",
        "",
        "## Load",
        "",
        f"- queries: {args.clients} clients in a loop, {queries} requests"
        f" ({queries / args.seconds:.0f}/s);",
        f"- writes: {args.strategies} strategies, one writer each, {args.writes_per_s:g}"
        f" mutations/s in all: {writes.writes} mutations, {writes.rows} rows, {writes.changes}"
        f" changes committed, {writes.rejected} rows rejected by validation as intended"
        " (expected outcomes, not errors);",
        f"- steady subscriptions: {args.subscriber_connections} connections x"
        f" {args.strategies} `performance` subscriptions, 1 to all {args.strategies}"
        f" strategies, {len(steady.comparisons)} `liveComparison` (the strategy's benchmark,"
        f" a blend): {r.delivered} events delivered to steady and resumed subscriptions,"
        f" {comparison_events} comparison states;",
        f"- churn: {args.churn} clients, {churned.cycles} subscribe/leave cycles"
        f" ({churned.comparisons} of them `liveComparison`) on {churned.connections}"
        f" connections; left by `complete` {churned.completed}, by closing the connection"
        f" {churned.closed}, by dropping it without a close frame {churned.dropped}.",
        "",
        f"**Errors: {errors}.** (Client-side failures, reconciliation faults, and the"
        f" server's log lines above WARNING. Server log lines by level: {logged or 'none'}.)",
        "",
        "## Reconciliation (every acknowledged change against every subscriber)",
        "",
        "| subscriber streams | changes expected | delivered | lost | duplicated |"
        " out of order | gaps | not written | wrong values |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r.streams} | {r.expected} | {r.delivered} | {r.lost} | {r.duplicated} |"
        f" {r.out_of_order} | {r.gaps} | {r.unexpected} | {r.mismatched} |",
        "",
        "A stream is one subscription's events for one strategy. Steady streams expect every"
        " change after their cursor up to the last write; resumed (churn) ones every change"
        " after their cursor up to the last they received, except those a later revision"
        " rewrote (a replay sends a point once, at its latest change).",
        f"liveComparison: the last state of each subscription has the strategy's final data"
        f" version: {'yes' if comparisons_final else 'NO'}; a state older than the previous"
        f" one: {went_back}.",
        "",
        "## Server process over time (its own /metrics)",
        "",
        "| t (s) | RSS MB | asyncio tasks | open fds | DB connections open (out) |"
        " subscriptions | pub/sub channels | server CPU % | machine load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    previous: tuple[float, dict[str, float]] | None = None
    for at, values in out.samples:
        cpu = f"{cpu_percent(previous, (at, values)):.0f}" if previous else "-"
        lines.append(
            f"| {at:.0f} | {values['rss_mb']:.1f} | {values['tasks']:.0f} | {values['fds']:.0f}"
            f" | {values['pool_open']:.0f} ({values['checked_out']:.0f}) |"
            f" {values['subscriptions']:.0f} | {values['channels']:.0f} | {cpu} |"
            f" {values['load1']:.1f} |"
        )
        previous = (at, values)
    baseline_at, baseline = min(out.samples, key=lambda s: abs(s[0] - 60))
    end = out.samples[-1][1]
    before, after = out.idle

    def idle(key: str) -> str:
        return f"{before[key]:.0f} -> {after[key]:.0f}"

    lines += [
        "",
        f"RSS at the end against t={baseline_at:.0f} s (baseline, after warm-up):"
        f" {end['rss_mb'] / baseline['rss_mb']:.3f}x ({end['rss_mb'] - baseline['rss_mb']:+.1f}"
        " MB).",
        "",
        "With nothing in flight, before the load and after it (subscribers gone):",
        "",
        "| asyncio tasks | open fds | DB connections open (out) | subscriptions |"
        " pub/sub channels | pub/sub listeners | pub/sub reconnects |",
        "|---|---|---|---|---|---|---|",
        f"| {idle('tasks')} | {idle('fds')} | {idle('pool_open')} ({idle('checked_out')}) |"
        f" {idle('subscriptions')} | {idle('channels')} | {idle('listeners')} |"
        f" {idle('reconnects')} |",
        "",
        f"Redis's own count of subscribers to the run's channels afterwards: {out.channels_after}."
        " Open fds include the connections the pools open on demand and keep (PostgreSQL's up"
        " to PERFGRAPH_DB_POOL_SIZE, Redis's): they grow with the peak concurrency reached.",
    ]
    # The last whole minute (what is recorded after the end, while draining, is not one).
    first, last = 0, max(int(args.seconds // 60) - 1, 0)
    lines += [
        "",
        f"## Latency by operation: minute {last} against minute {first} (baseline)",
        "",
        "`delivery`: from sending a write to a steady subscriber receiving one of its"
        " changes (`delivery-bulk`: of a bulk write's 100, the later ones waiting for the"
        " earlier ones); `resume`: from subscribing with `afterSeq` to the first replayed"
        " change; `comparison-first`: from subscribing to liveComparison's first state."
        " Counts are over the whole run. Latencies are as the clients saw them, waits in their"
        " own event loop included (one Python process runs them all: its CPU below).",
        "",
        *by_minute(out, max(int(args.seconds // 60), 1)),
        "",
        "| operation | count | first p50 ms | first p99 ms | last p50 ms | last p99 ms |"
        " p50 ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for operation in OPERATIONS:
        early, late = tally.latencies[(first, operation)], tally.latencies[(last, operation)]
        if not early or not late:
            continue
        lines.append(
            f"| {operation} | {tally.count(operation)} | {median(early):.1f} | {p99(early):.1f} |"
            f" {median(late):.1f} | {p99(late):.1f} | {median(late) / median(early):.2f}x |"
        )
    problems = tally.errors[:10] + r.problems[:10]
    problems += [
        f"server {level}: {m}"
        for level, ms in out.server_log.items()
        if level != "WARNING"
        for m in ms[:5]
    ]
    if problems:
        lines += ["", "## First errors", "", *(f"- `{e}`" for e in problems)]
    warnings = out.server_log.get("WARNING", [])
    if warnings:
        lines += [
            "",
            "## Server warnings",
            "",
            "`Redis restarted ... forgot N cache versions` on the first request is expected:"
            " each run starts the benchmark's embedded Redis anew.",
            "",
            *(f"- `{m}`" for m in warnings[:10]),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--warm-up", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4, help="query clients")
    parser.add_argument("--strategies", type=int, default=4, help="strategies written")
    parser.add_argument("--writes-per-s", type=float, default=8, help="mutations, in all")
    parser.add_argument("--subscriber-connections", type=int, default=4, help="steady connections")
    parser.add_argument("--churn", type=int, default=3, help="churn clients")
    parser.add_argument("--sample-s", type=float, default=15)
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.md")
    args = parser.parse_args()
    outcome = asyncio.run(soak(args))
    text_ = report(args, outcome)
    print(text_)
    args.output.write_text(text_)
    if outcome.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
