"""The dashboard (20 strategies: latest point, one-year daily series, metrics, comparison
with the S&P 500) cold, warm from the value cache, warm from the response cache, against a
bare Starlette route returning the same bytes and the plain implementation
(bench/plain_dashboard.py), all in one run, through two transports: in-process (httpx's
ASGI transport: no network, so the cache's own overhead shows in full) and real HTTP
(uvicorn in its own process on a loopback port, bench/_server.py: what a client sees).

Variants are interleaved (round after round) so that load on the machine affects them alike.
Cold: every cache entry, version and stored response deleted before the request (not timed).
Warm (value cache): ``Cache-Control: no-cache`` skips the stored response, so the request
executes with every value from Redis. Warm (response cache): the stored bytes.

Run: uv run python bench/cache_bench.py
"""

from __future__ import annotations

import asyncio
import copy
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd
from sqlalchemy import insert, select
from starlette.applications import Starlette

from bench._server import bare as bare_route
from bench._server import plain as plain_route
from bench._setup import RESULTS, ROOT, median, open_bench_resources, p
from bench.cache_profile import profile
from schema.app import create_app
from services.bulk import PERFORMANCE, copy_rows
from services.cache_stats import CacheStats
from services.db.models import Account, Benchmark, Strategy
from services.resources import Resources
from services.versions import CATALOG

COMMAND = "uv run python bench/cache_bench.py"
DASHBOARD = """
query Dashboard {
  strategies(first: 20) {
    nodes {
      id slug lastSeq
      latest { timestamp value return seq }
      performance(window: {preset: ONE_YEAR}, interval: DAY) {
        count columns { timestamps nav returns cumulativeReturn drawdown }
      }
      metrics(window: {preset: ONE_YEAR}) {
        totalReturn cagr annualVolatility sharpe sortino maxDrawdown
      }
      comparison(benchmark: {symbol: "SPX"}, window: {preset: ONE_YEAR}) {
        excessReturn alpha beta correlation trackingError informationRatio
        series { timestamps relative }
      }
    }
  }
}
"""
ROUNDS = {"slow": 40, "values": 100, "fast": 1000}
# The cold and plain requests keep two cores busy for hundreds of milliseconds: with the
# default 0.25 s a Redis reply can wait past the timeout, and the warm runs would measure
# PostgreSQL fallbacks instead of the cache.
CACHE_TIMEOUT_S = 1.0
Timed = Callable[[], Awaitable[httpx.Response]]


async def ensure_twenty_strategies(resources: Resources) -> None:
    """The demo set has ten; add ten synthetic ones (2014-2022 business days), once."""
    days = pd.bdate_range("2014-01-02", "2022-12-30", tz="UTC").to_pydatetime()
    async with resources.cache.versions.writing([CATALOG]) as write:
        async with resources.engine.begin() as conn:
            if await conn.scalar(select(Strategy.id).where(Strategy.slug == "bench-00")):
                return
            await conn.execute(insert(Account).values(name="bench"))
            account = await conn.scalar(select(Account.id).where(Account.name == "bench"))
            spx = await conn.scalar(select(Benchmark.id).where(Benchmark.symbol == "SPX"))
            for n in range(10):
                navs = 100 * np.cumprod(1 + np.random.default_rng(n).normal(3e-4, 0.01, len(days)))
                created = await conn.scalar(
                    insert(Strategy)
                    .values(
                        slug=f"bench-{n:02d}",
                        name=f"Bench {n}",
                        asset_class="EQUITY",
                        base_currency="USD",
                        account_id=account,
                        benchmark_id=spx,
                    )
                    .returning(Strategy.id)
                )
                rows = [(d, float(v), 0.0) for d, v in zip(days, navs, strict=True)]
                assert created is not None
                await copy_rows(conn, PERFORMANCE, created, rows)
        write.committed(CATALOG)


def check_same_numbers(api: Any, plain: Any) -> None:
    """The plain implementation computes the same dashboard: same strategies and numbers."""
    a, b = api["data"]["strategies"]["nodes"], plain["data"]["strategies"]["nodes"]
    assert [n["slug"] for n in a] == [n["slug"] for n in b]
    assert len(a) == 20
    for x, y in zip(a, b, strict=True):
        assert x["latest"]["value"] == y["latest"]["value"]
        assert x["performance"]["columns"]["nav"] == y["performance"]["columns"]["nav"]
        for group in ("metrics", "comparison"):
            for name, value in x[group].items():
                if isinstance(value, float):
                    assert math.isclose(value, y[group][name], rel_tol=1e-9), (group, name)


async def timed(request: Timed) -> float:
    """Milliseconds of one request; its response is checked after the clock stops, the same
    way for every variant (scanning 750 KB for an error costs 0.3 ms, as much as the bare
    route: inside the clock for some variants only, it would skew the ratios)."""
    start = time.perf_counter()
    response = await request()
    elapsed = (time.perf_counter() - start) * 1000
    check(response)
    return elapsed


def check(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text[:500]
    assert response.content.startswith(b'{"data":')
    assert b'"errors"' not in response.content


async def measure(
    variants: dict[str, Timed], rounds: int, before: Callable[[], Awaitable[object]] | None = None
) -> dict[str, list[float]]:
    """Milliseconds per request, the variants interleaved round after round."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, request in variants.items():
            if before is not None:
                await before()
            times[name].append(await timed(request))
    return times


async def run(resources: Resources, http: httpx.AsyncClient) -> dict[str, list[float]]:
    """Every variant through one transport."""

    async def post(headers: dict[str, str] | None = None) -> httpx.Response:
        return await http.post("/graphql", json={"query": DASHBOARD}, headers=headers)

    async def clear() -> None:
        await resources.cache.clear()

    async def plain() -> httpx.Response:
        return await http.post("/plain")

    async def bare() -> httpx.Response:
        return await http.post("/bare", json={"query": DASHBOARD})

    async def warm_values() -> httpx.Response:
        return await post({"cache-control": "no-cache"})

    first = await post()
    check(first)
    check_same_numbers(orjson.loads(first.content), orjson.loads((await plain()).content))
    assert (await bare()).content == first.content
    times = await measure({"cold": post, "plain implementation": plain}, ROUNDS["slow"], clear)
    await post()
    times |= await measure({"warm (value cache)": warm_values}, ROUNDS["values"])
    times |= await measure({"warm (response cache)": post, "bare route": bare}, ROUNDS["fast"])
    hit = await post()
    assert hit.headers["x-cache"] == "hit"
    assert hit.content == first.content
    return times


def server(resources: Resources, body: Path) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving bench/_server.py on a free loopback port, on the same servers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PERFGRAPH_DATABASE_URL": resources.embedded.database_url or "",
        "PERFGRAPH_REDIS_URL": resources.embedded.redis_url or "",
        "PERFGRAPH_ENVIRONMENT": "test",
        "PERFGRAPH_LOAD_DEMO": "false",
        "PERFGRAPH_BENCH_BODY": str(body),
        "PERFGRAPH_CACHE_TIMEOUT_S": str(CACHE_TIMEOUT_S),
        "PERFGRAPH_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench._server:create_bench_app"]
    options = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen([*command, *options, "--no-access-log"], env=env, cwd=ROOT)
    return process, f"http://127.0.0.1:{port}"


async def until_up(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as probe:
        for _ in range(600):
            try:
                if (await probe.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"the benchmark server at {url} did not start")


async def main() -> None:
    resources = await open_bench_resources()
    resources.cache.guard.timeout_s = CACHE_TIMEOUT_S
    await ensure_twenty_strategies(resources)
    app = create_bench_app_in_process(resources)
    body = Path(tempfile.mkdtemp(prefix="perfgraph-bench-")) / "dashboard.json"
    os.environ["PERFGRAPH_BENCH_BODY"] = str(body)
    transport = httpx.ASGITransport(app=app)
    # The app's own start-up, as uvicorn runs it (httpx's transport does not): among other
    # things it exempts what lives as long as the process from the garbage collector.
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://b") as c,
    ):
        body.write_bytes((await c.post("/graphql", json={"query": DASHBOARD})).content)
        results = {"in-process (ASGI)": await run(resources, c)}
        profiles = await profiles_of(resources, c)
    stats = copy.deepcopy(resources.cache.stats)
    process, url = server(resources, body)
    try:
        await until_up(url)
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            results["HTTP (uvicorn, loopback)"] = await run(resources, c)
    finally:
        process.terminate()
        process.wait(timeout=30)
    write(results, body.stat().st_size, stats, profiles)
    await resources.close()


async def profiles_of(
    resources: Resources, http: httpx.AsyncClient
) -> dict[str, list[tuple[str, float]]]:
    """Where the time of a cold request and of the plain one goes (in-process)."""

    async def cold() -> None:
        check(await http.post("/graphql", json={"query": DASHBOARD}))

    async def plain() -> None:
        check(await http.post("/plain"))

    async def clear() -> None:
        await resources.cache.clear()

    async def nothing() -> None:
        return None

    rounds = ROUNDS["slow"]
    return {
        "cold": await profile(cold, clear, rounds),
        "plain": await profile(plain, nothing, rounds),
    }


def create_bench_app_in_process(resources: Resources) -> Starlette:
    app = create_app(resources=resources)
    app.add_route("/bare", bare_route, methods=["POST"])
    app.add_route("/plain", plain_route, methods=["POST"])
    return app


def write(
    results: dict[str, dict[str, list[float]]],
    size: int,
    stats: CacheStats,
    profiles: dict[str, list[tuple[str, float]]],
) -> None:
    lines = [
        "# Cache: the dashboard cold, warm and against a bare route",
        "",
        "20 strategies: latest point, one-year daily series (columns), six metrics and the",
        f"comparison with the S&P 500 (relative line). Response: {size:,} bytes.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; embedded PostgreSQL and Redis on the same machine.",
        "Each variant through the same transport, interleaved round after round.",
        f"Cache call timeout {CACHE_TIMEOUT_S:g} s (default 0.25 s: see the script).",
        f"Command: `{COMMAND}`",
    ]
    for transport, times in results.items():
        lines += table(transport, times)
    lines += [
        "",
        "Cache statistics of the in-process run (the HTTP server keeps its own). Statements",
        "saved: SQL statements not run; a response hit saves every statement its execution",
        "cost (here a warm-values execution, which ran only the two metadata statements):",
        "",
        "| kind | hits | misses | coalesced | computed | statements | saved |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, s in stats.table():
        lines.append(
            f"| {kind} | {s.hits} | {s.misses} | {s.coalesced} | {s.computed} | "
            f"{s.statements} | {s.saved} |"
        )
    lines += profile_table(profiles)
    text = "\n".join(lines) + "\n"
    print(text)
    (RESULTS / "cache.md").write_text(text)


def profile_table(profiles: dict[str, list[tuple[str, float]]]) -> list[str]:
    cold, plain = profiles["cold"], dict(profiles["plain"])
    lines = [
        "",
        f"Where the time goes, in-process, {ROUNDS['slow']} requests each (bench/cache_profile.py;",
        "milliseconds per request; a part is CPU time spent in the named functions):",
        "",
        "| | cold | plain implementation |",
        "|---|---|---|",
    ]
    for label, ms in cold:
        other = plain.get(label)
        shown = (
            "" if other is None or (label.startswith("- ") and other < 0.005) else f"{other:.2f}"
        )
        lines.append(f"| {label} | {ms:.2f} | {shown} |")
    return [
        *lines,
        "",
        "The rest: for the API, the GraphQL execution (strawberry and graphql-core resolving",
        "the fields), the loaders, the event loop, asyncpg, redis-py and the middleware; for",
        "the plain implementation, SQLAlchemy's ORM (its statements and a mapped object per",
        "row) and its Python loops. Wall minus CPU: waiting for PostgreSQL and Redis.",
    ]


def table(transport: str, times: dict[str, list[float]]) -> list[str]:
    p50 = {name: median(t) for name, t in times.items()}
    lines = [
        "",
        f"## {transport}",
        "",
        "| variant | requests | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for name, t in times.items():
        lines.append(f"| {name} | {len(t)} | {p50[name]:.2f} | {p(t, 0.99):.2f} |")
    plain = p50["plain implementation"]
    hit = p50["warm (response cache)"] / p50["bare route"]
    cold = plain / p50["cold"]
    return [
        *lines,
        "",
        f"- warm (response cache) / bare route, p50: **{hit:.2f}x** "
        f"(target: at most 2x: {'met' if hit <= 2 else 'MISSED'})",
        f"- plain implementation / cold, p50: **{cold:.2f}x** "
        f"(target: at least 8x: {'met' if cold >= 8 else 'MISSED'}; see below and docs/caching.md)",
        f"- plain implementation / warm (value cache), p50: "
        f"**{plain / p50['warm (value cache)']:.1f}x**",
        f"- plain implementation / warm (response cache), p50: "
        f"**{plain / p50['warm (response cache)']:.0f}x**",
    ]


if __name__ == "__main__":
    asyncio.run(main())
