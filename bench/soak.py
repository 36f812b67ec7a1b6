"""Soak: mixed queries against one server process for a few minutes; memory and tasks flat?

The server is the real one (``perfgraph serve``, production settings, JSON logs) in a
subprocess on 127.0.0.1, on the benchmark's PostgreSQL and Redis. A few concurrent clients
loop over the workloads; every ``--sample-s`` seconds the server's own ``/metrics`` gives its
resident memory, live asyncio tasks, open files and checked-out connections. The baseline is
the same run's first minute (after a warm-up): latency ratios compare the last minute to it.

To add load (writes, subscriptions), append a :class:`Workload` to :data:`WORKLOADS`: an
async function given the HTTP client that raises on failure.

Run: uv run python bench/soak.py [--seconds 180] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench._setup import RESULTS, ROOT, median, open_bench_resources, p


@dataclass(frozen=True)
class Workload:
    name: str
    run: Callable[[httpx.AsyncClient], Awaitable[None]]
    weight: int = 1


def query(name: str, document: str) -> Workload:
    async def run(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json={"query": document})
        response.raise_for_status()
        if "errors" in response.json():
            raise RuntimeError(f"{name}: {response.json()['errors']}")

    return Workload(name, run)


SLUGS = ["stock-aapl", "stock-msft", "us-momentum-mtum", "us-value-vlue", "stock-ko"]
WORKLOADS: list[Workload] = [
    query(
        "StrategyList", "query StrategyList { strategies(first: 20) { nodes { id slug name } } }"
    ),
    query(
        "Latest",
        "query Latest { strategies(first: 20) { nodes { slug latest { timestamp value } } } }",
    ),
    *(
        query(
            "ChartColumns",
            f'query ChartColumns {{ strategy(slug: "{slug}") {{ performance(window: {{preset: '
            "ONE_YEAR}, interval: DAY) { columns { timestamps nav drawdown } } } }",
        )
        for slug in SLUGS
    ),
    query(
        "MonthlyPoints",
        'query MonthlyPoints { strategy(slug: "stock-jpm") { performance(window: {preset: MAX},'
        " interval: MONTH) { points { timestamp nav return drawdown } } } }",
    ),
    query(
        "BenchmarkSeries",
        'query BenchmarkSeries { benchmark(symbol: "SPX") { series(window: {preset:'
        " FIVE_YEARS}, interval: WEEK) { columns { timestamps level } } } }",
    ),
    query("Benchmarks", "query Benchmarks { benchmarks { symbol name } }"),
]

GAUGES = {
    "process_resident_memory_bytes": "rss_mb",
    "perfgraph_asyncio_tasks": "tasks",
    "process_open_fds": "fds",
    "perfgraph_db_pool_checked_out": "checked_out",
}


@dataclass
class Tally:
    latencies: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    requests: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    log = (ROOT / "bench" / "out").joinpath("soak-server.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
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
    text = (await client.get("/metrics")).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name in GAUGES:
                found[GAUGES[item.name]] = item.value
    found["rss_mb"] = found.get("rss_mb", 0.0) / 2**20
    return found


async def client_loop(client: httpx.AsyncClient, tally: Tally, start: float, end: float) -> None:
    weights = [w.weight for w in WORKLOADS]
    while (now := time.monotonic()) < end:
        workload = random.choices(WORKLOADS, weights)[0]
        began = time.perf_counter()
        try:
            await workload.run(client)
        except Exception as exc:
            tally.errors.append(f"{workload.name}: {exc!r}"[:300])
        minute = int((now - start) // 60)
        tally.latencies[(minute, workload.name)].append((time.perf_counter() - began) * 1000)
        tally.requests += 1


async def sampler(
    client: httpx.AsyncClient,
    samples: list[tuple[float, dict[str, float]]],
    start: float,
    end: float,
    every: float,
) -> None:
    while time.monotonic() < end:
        samples.append((time.monotonic() - start, await sample(client)))
        await asyncio.sleep(every)
    samples.append((time.monotonic() - start, await sample(client)))


def report(
    args: argparse.Namespace,
    tally: Tally,
    samples: list[tuple[float, dict[str, float]]],
    idle: list[dict[str, float]],
) -> str:
    minutes = sorted({m for m, _ in tally.latencies})
    first, last = minutes[0], minutes[-1]
    baseline_at, baseline = min(samples, key=lambda s: abs(s[0] - 60))
    end = samples[-1][1]
    lines = [
        "# Soak: mixed queries on one server process",
        "",
        f"{args.seconds:.0f} s, {args.clients} concurrent clients, one `perfgraph serve` process"
        " (production settings) on 127.0.0.1, embedded PostgreSQL and Redis.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}.",
        f"Command: `uv run python bench/soak.py --seconds {args.seconds:.0f}"
        f" --clients {args.clients}`",
        "",
        f"Requests: {tally.requests} ({tally.requests / args.seconds:.0f}/s), errors:"
        f" {len(tally.errors)}.",
        "",
        "## Server process over time (its own /metrics)",
        "",
        "| t (s) | RSS MB | asyncio tasks | open fds | connections checked out |",
        "|---|---|---|---|---|",
    ]
    for at, values in samples:
        lines.append(
            f"| {at:.0f} | {values.get('rss_mb', 0):.1f} | {values.get('tasks', 0):.0f} |"
            f" {values.get('fds', 0):.0f} | {values.get('checked_out', 0):.0f} |"
        )
    growth = end["rss_mb"] / baseline["rss_mb"]
    lines += [
        "",
        f"RSS at the end against t={baseline_at:.0f} s (baseline, after warm-up): {growth:.3f}x"
        f" ({end['rss_mb'] - baseline['rss_mb']:+.1f} MB).",
        f"Idle (no request in flight), before the load and 1 s after it: asyncio tasks"
        f" {idle[0]['tasks']:.0f} -> {idle[1]['tasks']:.0f}, open fds {idle[0]['fds']:.0f} ->"
        f" {idle[1]['fds']:.0f}, connections checked out {idle[0]['checked_out']:.0f} ->"
        f" {idle[1]['checked_out']:.0f}.",
        "",
        f"## Latency by operation: minute {last} against minute {first} (baseline)",
        "",
        "| operation | first p50 ms | first p99 ms | last p50 ms | last p99 ms | p50 ratio |",
        "|---|---|---|---|---|---|",
    ]
    for workload in sorted({w.name for w in WORKLOADS}):
        before, after = tally.latencies[(first, workload)], tally.latencies[(last, workload)]
        if not before or not after:
            continue
        lines.append(
            f"| {workload} | {median(before):.1f} | {p(before, 0.99):.1f} | {median(after):.1f} |"
            f" {p(after, 0.99):.1f} | {median(after) / median(before):.2f}x |"
        )
    if tally.errors:
        lines += ["", "## First errors", "", *(f"- `{e}`" for e in tally.errors[:10])]
    return "\n".join(lines) + "\n"


async def soak(args: argparse.Namespace) -> str:
    resources = await open_bench_resources()
    database_url = resources.settings.database_url or resources.embedded.database_url
    redis_url = resources.settings.redis_url or resources.embedded.redis_url
    assert database_url is not None
    assert redis_url is not None
    port = free_port()
    server = start_server(database_url, redis_url, port)
    tally, samples = Tally(), list[tuple[float, dict[str, float]]]()
    idle: list[dict[str, float]] = []
    try:
        limits = httpx.Limits(max_connections=args.clients + 2)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            await wait_ready(client)
            warm = time.monotonic() + 10
            await asyncio.gather(*(client_loop(client, Tally(), 0, warm) for _ in range(4)))
            idle.append(await sample(client))
            start = time.monotonic()
            end = start + args.seconds
            await asyncio.gather(
                sampler(client, samples, start, end, args.sample_s),
                *(client_loop(client, tally, start, end) for _ in range(args.clients)),
            )
            await asyncio.sleep(1)
            idle.append(await sample(client))
    finally:
        server.terminate()
        server.wait(30)
        await resources.close()
    return report(args, tally, samples, idle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample-s", type=float, default=15)
    args = parser.parse_args()
    text = asyncio.run(soak(args))
    print(text)
    (RESULTS / "soak.md").write_text(text)


if __name__ == "__main__":
    main()
