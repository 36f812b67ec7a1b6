"""The ``perfgraph`` command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from redis.exceptions import RedisError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from services import cli_keys
from services.config import Settings, get_settings
from services.errors import PerfgraphError, ServiceUnavailable
from services.logs import configure_logging
from services.reports.spec import (
    PageSize,
    ReportFormat,
    ReportSection,
    ReportSpec,
    parse_risk_free,
    parse_window,
)
from services.resources import Resources, open_resources
from services.serving import serve as serve_app
from services.serving import uvicorn_options
from services.windows import Interval

app = typer.Typer(help="perfgraph: strategy performance over GraphQL.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo data set (real market history).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(cli_keys.accounts_app, name="accounts")
app.add_typer(cli_keys.keys_app, name="keys")
app.add_typer(cli_keys.grants_app, name="grants")
app.add_typer(cli_keys.queries_app, name="queries")
cache_app = typer.Typer(help="The Redis cache (docs/caching.md).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


ingest_app = typer.Typer(help="Ingestion from Redis Streams.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
console = Console(stderr=True)
T = TypeVar("T")


def run_with_resources(work: Callable[[Resources], Awaitable[T]]) -> T:
    """Open the configured (or embedded) servers, run ``work``, close everything."""

    async def runner() -> T:
        resources = await open_resources(get_settings(), require_redis=False)
        try:
            return await work(resources)
        finally:
            await resources.close()

    try:
        return asyncio.run(runner())
    except PerfgraphError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (GraphiQL at /graphql in development) and the dashboard at /.

    With no PERFGRAPH_DATABASE_URL / PERFGRAPH_REDIS_URL, starts embedded PostgreSQL and
    Redis in PERFGRAPH_DATA_DIR and loads the demo data on first start.
    """
    from services.web import ensure_built

    settings: Settings = get_settings()
    configure_logging(settings)
    ensure_built()
    host, port = host or settings.host, port or settings.port
    if workers > 1:
        # Each worker keeps its own metrics and skips the drain delay: prefer one worker per
        # container and more replicas (docs/scaling.md).
        import uvicorn

        options = uvicorn_options(settings)
        uvicorn.run(
            "schema.app:create_app", factory=True, host=host, port=port, workers=workers, **options
        )
        return
    from schema.app import create_app

    serve_app(create_app(settings), settings, host=host, port=port)


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest revision."""
    from services.db.migrate import migrate as run_migrate

    async def work(resources: Resources) -> None:
        await run_migrate(resources.engine)

    run_with_resources(work)
    console.print("[green]database is at the newest revision[/green]")


@app.command()
def check() -> None:
    """Run the readiness checks from the command line; exit 1 if one that matters fails.

    For containers without an HTTP port (the ingest worker) and for operators.
    """
    import orjson

    from services.health import default_checks

    async def work(resources: Resources) -> dict[str, object]:
        readiness = await default_checks().run(resources, resources.settings.readiness_timeout_s)
        return {"ready": readiness.ready, **readiness.as_json()}

    report = run_with_resources(work)
    typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    if not report["ready"]:
        raise typer.Exit(1)


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo benchmarks and strategies (safe to repeat: adds only what is missing)."""
    from services.db.migrate import migrate as run_migrate
    from services.demo.build import demo_benchmarks, demo_strategies
    from services.demo.load import load_demo

    total = len(demo_benchmarks()) + len(demo_strategies())
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("demo data", total=total)

        def advance(name: str, rows: int) -> None:
            progress.update(task, advance=1, description=f"{name} ({rows} rows)")

        async def work(resources: Resources) -> int:
            await run_migrate(resources.engine)
            inserted = (await load_demo(resources.engine, advance)).rows_inserted
            await clear_cache(resources)  # the load bypassed the write path's versions
            return inserted

        inserted = run_with_resources(work)
    console.print(f"[green]demo data loaded[/green]: {inserted} new rows")


@app.command()
def report(
    strategy: Annotated[str, typer.Argument(help="The strategy's slug or id.")],
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="pdf or csv.")] = (
        ReportFormat.PDF
    ),
    benchmark: Annotated[
        str | None, typer.Option(help="Benchmark symbol (default: the strategy's).")
    ] = None,
    window: Annotated[
        str, typer.Option(help="A preset (1Y, 5Y, YTD, MAX ...) or FROM:TO, e.g. 2015-01-01:")
    ] = "MAX",
    interval: Annotated[Interval, typer.Option(help="Bucket of the returns.")] = Interval.DAY,
    risk_free: Annotated[
        str | None, typer.Option(help="An annual rate (0.02) or a cash benchmark (TBILL_3M).")
    ] = None,
    page_size: Annotated[PageSize, typer.Option(help="PDF paper size.")] = PageSize.A4,
    section: Annotated[
        list[ReportSection] | None, typer.Option(help="Only these sections (repeatable).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: its name).")
    ] = None,
) -> None:
    """Write a performance report of a strategy against a benchmark to a file."""
    from resolvers.reports import write_report  # the CLI composes every layer, like serve

    def spec(strategy_id: int) -> ReportSpec:
        rate, symbol = parse_risk_free(risk_free)
        return ReportSpec(
            strategy_id=strategy_id,
            format=format,
            benchmark=benchmark.upper() if benchmark else None,
            window=parse_window(window),
            interval=interval,
            risk_free_rate=rate,
            risk_free_symbol=symbol,
            sections=tuple(section or ()),
            page_size=page_size,
        )

    written = run_with_resources(lambda resources: write_report(resources, strategy, spec, out))
    console.print(f"[green]report written[/green]: {written} ({written.stat().st_size:,} bytes)")


async def clear_cache(resources: Resources) -> int:
    try:
        deleted = await resources.cache.clear()
    except RedisError as exc:
        raise ServiceUnavailable(
            f"Redis could not be cleared ({exc}): run 'perfgraph cache clear' when it is back"
        ) from exc
    console.print(f"[green]cache cleared[/green]: {deleted} keys")
    return deleted


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached value, data version and stored response.

    Needed only after data changed behind perfgraph's back: a database restored from a
    backup, rows edited by hand, or this Redis pointed at another database.
    """
    run_with_resources(clear_cache)


@ingest_app.command("run")
def ingest_run() -> None:
    """Consume the ingest streams until SIGINT or SIGTERM (the batch in hand is committed and
    acknowledged before exit)."""
    import signal

    from services.worker import run_ingest

    configure_logging(get_settings())

    async def work(resources: Resources) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print("[green]consuming the ingest streams[/green] (Ctrl-C stops)")
        await run_ingest(resources, stop)

    run_with_resources(work)
    console.print("stopped")


def main() -> None:
    app()


def _add_subcommands() -> None:
    # Imported here: the feeds commands use this module's runner and console.
    from services.feeds.cli import benchmarks_app, feeds_app

    app.add_typer(feeds_app, name="feeds")
    app.add_typer(benchmarks_app, name="benchmarks")


_add_subcommands()
