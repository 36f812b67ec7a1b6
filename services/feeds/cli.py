"""``perfgraph feeds ...`` and ``perfgraph benchmarks ...``: import, configure, run, inspect."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.benchmarks import BenchmarkComponent, NewBenchmark, create_benchmark
from services.catalog import CATALOG
from services.cli import console, run_with_resources
from services.feeds import render
from services.feeds.files import import_levels
from services.feeds.registry import benchmark_for_feed, configure_feed, remove_feed
from services.feeds.status import feed_statuses
from services.feeds.store import FeedReport
from services.resources import Resources
from services.versions import CATALOG as CATALOG_VERSION

feeds_app = typer.Typer(
    help="Benchmark feeds: import, configure, run, status.", no_args_is_help=True
)
benchmarks_app = typer.Typer(help="Register benchmarks.", no_args_is_help=True)


class FormatChoice(StrEnum):
    auto = "auto"
    stooq = "stooq"
    fred = "fred"
    perfgraph = "perfgraph"
    json = "json"


class KindChoice(StrEnum):
    http = "http"
    stream = "stream"


@feeds_app.command("import")
def import_(
    symbol: Annotated[str, typer.Argument(help="A registered benchmark, e.g. SPX.")],
    location: Annotated[str, typer.Argument(help="A file (.csv, .json, .gz) or an http(s) URL.")],
    fmt: Annotated[FormatChoice, typer.Option("--format", help="Detected when auto.")] = (
        FormatChoice.auto
    ),
) -> None:
    """Import levels from a file or URL: validated, bad rows quarantined, the rest stored."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(f"{symbol.upper()} reading", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{symbol} storing")

        async def work(resources: Resources) -> FeedReport:
            return await import_levels(resources, symbol, location, fmt=fmt.value, progress=advance)

        result = run_with_resources(work)
    render.print_report(console, result)


@feeds_app.command("status")
def status() -> None:
    """Every feed: its benchmark's as-of, arrival, latency, staleness, and its last error."""
    statuses = run_with_resources(feed_statuses)
    console.print(render.status_table(statuses))


@feeds_app.command("add")
def add(
    symbol: Annotated[str, typer.Argument(help="A registered benchmark.")],
    kind: Annotated[KindChoice, typer.Argument(help="http (polled) or stream (market data).")],
    url: Annotated[str | None, typer.Option(help="The endpoint an http feed polls.")] = None,
    fmt: Annotated[FormatChoice, typer.Option("--format")] = FormatChoice.auto,
    every: Annotated[int | None, typer.Option(help="Seconds between polls.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer.")] = 10.0,
    stale_after: Annotated[
        int | None, typer.Option(help="The benchmark's stale limit in seconds (see docs).")
    ] = None,
    disabled: Annotated[bool, typer.Option(help="Configure without running it.")] = False,
) -> None:
    """Create or replace a benchmark's feed of this kind."""

    async def work(resources: Resources) -> int:
        async with resources.engine.begin() as conn:
            benchmark_id = await benchmark_for_feed(conn, symbol, stale_after_s=stale_after)
            return await configure_feed(
                conn,
                benchmark_id=benchmark_id,
                kind=kind.value,
                url=url,
                fmt=fmt.value,
                interval_s=every,
                timeout_s=timeout,
                enabled=not disabled,
            )

    feed_id = run_with_resources(work)
    console.print(f"[green]feed {feed_id}[/green]: {symbol.upper()} {kind.value}")


@feeds_app.command("remove")
def remove(symbol: str, kind: KindChoice) -> None:
    """Remove a benchmark's feed (its stored levels stay)."""

    async def work(resources: Resources) -> bool:
        async with resources.engine.begin() as conn:
            return await remove_feed(conn, await benchmark_for_feed(conn, symbol), kind.value)

    removed = run_with_resources(work)
    console.print("removed" if removed else f"{symbol.upper()} has no {kind.value} feed")


def _until_signalled(
    run: Callable[[Resources, asyncio.Event], Awaitable[None]],
) -> Callable[[Resources], Awaitable[None]]:
    async def work(resources: Resources) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(resources, stop)

    return work


@feeds_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option(help="Poll the feeds that are due, then exit.")] = False,
    symbol: Annotated[list[str] | None, typer.Option(help="Only these benchmarks.")] = None,
) -> None:
    """Poll the HTTP feeds on their schedules (until interrupted)."""
    from services.feeds.polling import poll_once, run_pollers

    symbols = {s.upper() for s in symbol} if symbol else None
    if once:
        results = run_with_resources(lambda r: poll_once(r, symbols))
        console.print(render.poll_table(results))
        return
    run_with_resources(_until_signalled(lambda r, stop: run_pollers(r, stop, symbols)))


@feeds_app.command("consume")
def consume() -> None:
    """Apply the market-data stream (until interrupted)."""
    from services.feeds.providers import run_providers

    run_with_resources(_until_signalled(lambda r, stop: run_providers(r, stop, ("stream",))))


@feeds_app.command("run")
def run() -> None:
    """Run every provider: the market-data stream and the HTTP pollers (until interrupted)."""
    from services.feeds.providers import run_providers

    run_with_resources(_until_signalled(run_providers))


@benchmarks_app.command("create")
def create(
    symbol: Annotated[str, typer.Argument(help=f"Known without options: {', '.join(CATALOG)}.")],
    name: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(help="EQUITY_INDEX, BOND_INDEX, CASH, BLEND")] = None,
    basis: Annotated[str | None, typer.Option(help="PRICE or TOTAL_RETURN")] = None,
    currency: Annotated[str, typer.Option()] = "USD",
    description: Annotated[str, typer.Option()] = "",
    component: Annotated[
        list[str] | None, typer.Option(help="A blend's SYMBOL=WEIGHT, repeated.")
    ] = None,
    rebalance: Annotated[str | None, typer.Option(help="A blend's rebalancing.")] = None,
    calendar: Annotated[str, typer.Option(help="Exchange calendar code.")] = "XNYS",
    cadence: Annotated[str, typer.Option(help="DAILY or INTRADAY")] = "DAILY",
    stale_after: Annotated[int, typer.Option(help="Stale limit, seconds.")] = 26 * 3600,
    jump_threshold: Annotated[float | None, typer.Option(help="Warn above this move.")] = None,
) -> None:
    """Register a benchmark; a feed then supplies its levels."""
    known = CATALOG.get(symbol.upper())
    data = NewBenchmark(
        symbol=symbol.upper(),
        name=name or (known.name if known else ""),
        kind=kind or (known.kind if known else ""),
        return_basis=basis or (known.return_basis if known else ""),
        currency=currency,
        description=description or (known.description if known else ""),
        components=tuple(_component(c) for c in component or ()),
        rebalance=rebalance,
        calendar=calendar,
        cadence=cadence,
        stale_after_s=stale_after,
        jump_threshold=jump_threshold,
    )

    async def work(resources: Resources) -> str:
        async with resources.cache.versions.writing([CATALOG_VERSION]) as write:
            async with resources.sessions() as session:
                created = await create_benchmark(session, data=data)
            write.committed(CATALOG_VERSION)
        return created.symbol

    console.print(f"[green]created[/green] {run_with_resources(work)}")


def _component(value: str) -> BenchmarkComponent:
    symbol, _, weight = value.partition("=")
    try:
        return BenchmarkComponent(symbol.strip().upper(), float(weight))
    except ValueError:
        raise typer.BadParameter(f"expected SYMBOL=WEIGHT, got {value!r}") from None
