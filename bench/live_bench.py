"""Live fan-out: publish-to-client latency and server CPU per delivered message.

100 strategies, 2 events/s each (200 events/s), N subscribers on one server process, each
subscribed to one strategy (so N/100 subscribers per strategy, 2N deliveries/s), 20
subscriptions per WebSocket connection. The server runs in one subprocess, the clients and
the publisher in another (one asyncio process, so publish and receive share a clock).
Events are published on Redis exactly as the ingest path publishes them after a commit.

Servers compared in the same run:
- raw: bench/live_raw_app.py, a bare Starlette fan-out of the same Redis messages (the
  baseline);
- perfgraph: the API (graphql-transport-ws, shared topics, one execution per event);
- strawberry: the API with PERFGRAPH_LIVE_SHARED=false (one strawberry execution and
  serialisation per subscriber and event), to show what sharing buys.

Run: uv run python bench/live_bench.py [--subscribers 1000 3000] [--seconds 20] [--rounds 3]
(rounds: the whole set repeated, raw and perfgraph side by side each time, and the
medians reported: the machine's load moves the CPU ratio by a few tenths between runs)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._live_client import ClientResult
from bench._setup import RESULTS, ROOT, open_bench_resources
from services.resources import Resources
from tests.factories import create_strategy
from tests.live_server import free_port

STRATEGIES = 100
SERVERS = ("raw", "perfgraph", "strawberry")
# The live-updates targets: p99 at 3,000 subscribers, and CPU per delivery against raw.
P99_TARGET = (3000, 250.0)
CPU_RATIO_TARGET = 1.5


@dataclass
class Run:
    server: str
    subscribers: int
    result: ClientResult | None  # None: the run failed
    failure: str = ""
    round: int = 0


async def bench_strategies(resources: Resources) -> list[int]:
    tag = uuid.uuid4().hex[:8]
    return [
        await create_strategy(resources, slug=f"bench-live-{tag}-{i}", account="bench")
        for i in range(STRATEGIES)
    ]


def start_server(
    kind: str, database_url: str, redis_url: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    app = "bench.live_raw_app:app" if kind == "raw" else "schema.app:create_app"
    env = {
        **os.environ,
        "PERFGRAPH_ENVIRONMENT": "test",
        "PERFGRAPH_DATABASE_URL": database_url,
        "PERFGRAPH_REDIS_URL": redis_url,
        "PERFGRAPH_LOAD_DEMO": "false",
        "PERFGRAPH_LIVE_SHARED": "false" if kind == "strawberry" else "true",
    }
    profile = (
        ["-m", "cProfile", "-o", os.environ["LIVE_BENCH_PROFILE"]]
        if os.environ.get("LIVE_BENCH_PROFILE")
        else []
    )
    runner = (
        [os.environ["LIVE_BENCH_SERVER"]]
        if os.environ.get("LIVE_BENCH_SERVER")
        else ["-m", "uvicorn"]
    )
    command = [sys.executable, *profile, *runner, app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--ws", "websockets-sansio", "--log-level", "warning"]
    if kind != "raw":
        command.append("--factory")
    return subprocess.Popen(command, cwd=ROOT, env=env), port


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if any(c.laddr.port == port for c in psutil.Process(process.pid).net_connections()):
            return
        time.sleep(0.2)
    raise RuntimeError("server did not listen within 60 s")


def measure(
    kind: str, n: int, seconds: float, ids: list[int], database_url: str, redis_url: str
) -> Run:
    process, port = start_server(kind, database_url, redis_url)
    try:
        wait_listening(port, process)
        path = "ws" if kind == "raw" else "graphql"
        args = {
            "url": f"ws://127.0.0.1:{port}/{path}",
            "raw": kind == "raw",
            "server_pid": process.pid,
            "redis_url": redis_url,
            "ids": ids,
            "subscribers": n,
            "seconds": seconds,
        }
        output = subprocess.run(
            [sys.executable, "-m", "bench._live_client", orjson.dumps(args).decode()],
            cwd=ROOT,
            capture_output=True,
        )
        if output.returncode != 0:
            last = output.stderr.decode(errors="replace").strip().splitlines()[-1:]
            return Run(kind, n, None, last[0] if last else f"exit {output.returncode}")
        return Run(kind, n, ClientResult(**orjson.loads(output.stdout)))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # an overloaded server may not drain in time
            process.kill()
            process.wait()


def table(runs: list[Run]) -> list[str]:
    lines = [
        "| subscribers | server | p50 ms | p99 ms | deliveries/s | lost | server CPU µs/delivery "
        "| CPU vs raw | server RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        raw = next(r for r in runs if r.server == "raw" and r.subscribers == run.subscribers)
        name = f"{run.server} (baseline)" if run.server == "raw" else run.server
        r = run.result
        if r is None or raw.result is None:
            lines.append(f"| {run.subscribers} | {name} | failed: {run.failure} |||||||")
            continue
        ratio = r.cpu_us_per_delivery / raw.result.cpu_us_per_delivery
        lines.append(
            f"| {run.subscribers} | {name} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.deliveries / r.seconds:.0f} | {r.lost} | {r.cpu_us_per_delivery:.1f} | "
            f"{ratio:.2f}x | {r.server_rss_mb:.0f} |"
        )
    return lines


def _median(results: list[ClientResult]) -> ClientResult:
    """Field by field; ``lost`` and ``errors`` are the worst round's."""
    values = {k: statistics.median(getattr(r, k) for r in results) for k in asdict(results[0])}
    values["lost"] = max(r.lost for r in results)
    values["errors"] = max(r.errors for r in results)
    return ClientResult(**values)


def summarise(runs: list[Run]) -> list[Run]:
    """One run per size and server: the median of its rounds (failed if any round failed)."""
    summary = []
    for n, server in dict.fromkeys((r.subscribers, r.server) for r in runs):
        rounds = [r for r in runs if (r.subscribers, r.server) == (n, server)]
        failed = [r for r in rounds if r.result is None]
        if failed:
            summary.append(Run(server, n, None, failed[0].failure))
        else:
            summary.append(Run(server, n, _median([r.result for r in rounds if r.result])))
    return summary


def _ratio(runs: list[Run], n: int, round_: int | None = None) -> float | None:
    """perfgraph's CPU per delivery over raw's, at ``n`` subscribers (in one round)."""
    found = {
        r.server: r.result
        for r in runs
        if r.subscribers == n and (round_ is None or r.round == round_)
    }
    raw, pg = found.get("raw"), found.get("perfgraph")
    return pg.cpu_us_per_delivery / raw.cpu_us_per_delivery if raw and pg else None


def targets(runs: list[Run], summary: list[Run]) -> list[str]:
    """Each target, met or missed on the medians, with the ratio of every round."""
    lines = []
    for n in dict.fromkeys(r.subscribers for r in summary):
        ratio = _ratio(summary, n)
        if ratio is None:
            continue
        rounds = sorted({r.round for r in runs})
        each = ", ".join(f"{x:.2f}x" for i in rounds if (x := _ratio(runs, n, i)) is not None)
        verdict = "met" if ratio <= CPU_RATIO_TARGET else "**missed**"
        lines.append(
            f"- {n} subscribers, CPU per delivery <= {CPU_RATIO_TARGET}x raw: {verdict} "
            f"({ratio:.2f}x; rounds: {each})"
        )
        pg = next(r.result for r in summary if (r.subscribers, r.server) == (n, "perfgraph"))
        if n == P99_TARGET[0] and pg is not None:
            verdict = "met" if pg.p99_ms <= P99_TARGET[1] else "**missed**"
            lines.append(
                f"- {n} subscribers, p99 <= {P99_TARGET[1]:.0f} ms: {verdict} ({pg.p99_ms:.1f} ms)"
            )
    return lines


def write(runs: list[Run], command: str, seconds: float) -> None:
    summary = summarise(runs)
    rounds = len({r.round for r in runs})
    lines = [
        "# Live fan-out: latency and CPU per delivery against a raw fan-out",
        "",
        f"{STRATEGIES} strategies x 2 events/s, each subscriber on one strategy, 20 "
        f"subscriptions per connection, {seconds:.0f} s measured after a warm-up. Server and "
        "clients in separate processes on one machine. "
        f"{rounds} round(s), each measuring every size and server in turn; the table gives "
        "the median of the rounds.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}.",
        f"Command: `{command}`",
        "",
        *table(summary),
        "",
        "Targets:",
        "",
        *targets(runs, summary),
        "",
    ]
    (RESULTS / "live.md").write_text("\n".join(lines))


async def prepare() -> tuple[list[int], str, str, Resources]:
    resources = await open_bench_resources()
    ids = await bench_strategies(resources)
    database_url = resources.settings.database_url or resources.embedded.database_url
    redis_url = resources.settings.redis_url or resources.embedded.redis_url
    assert database_url is not None
    assert redis_url is not None
    return ids, database_url, redis_url, resources


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    parser.add_argument("--rounds", type=int, default=1, help="repeat everything; medians")
    options = parser.parse_args()
    loop = asyncio.new_event_loop()
    ids, database_url, redis_url, resources = loop.run_until_complete(prepare())
    runs = []
    try:
        for round_ in range(options.rounds):
            for n in options.subscribers:
                for kind in options.servers:
                    run = measure(kind, n, options.seconds, ids, database_url, redis_url)
                    run.round = round_
                    print(round_, kind, n, run.result, flush=True)
                    runs.append(run)
    finally:
        loop.run_until_complete(resources.close())
    command = "uv run python bench/live_bench.py " + " ".join(sys.argv[1:])
    write(runs, command.strip(), options.seconds)
    print("\n".join(table(summarise(runs))))


if __name__ == "__main__":
    main()
