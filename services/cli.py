"""The ``perfgraph`` command line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from services import cli_keys
from services.config import Settings, get_settings
from services.errors import PerfgraphError
from services.resources import Resources, open_resources

app = typer.Typer(help="perfgraph: strategy performance over GraphQL.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo data set (real market history).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(cli_keys.accounts_app, name="accounts")
app.add_typer(cli_keys.keys_app, name="keys")
app.add_typer(cli_keys.grants_app, name="grants")
app.add_typer(cli_keys.queries_app, name="queries")
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
    """Serve the API (GraphiQL at /graphql in development).

    With no PERFGRAPH_DATABASE_URL / PERFGRAPH_REDIS_URL, starts embedded PostgreSQL and
    Redis in PERFGRAPH_DATA_DIR and loads the demo data on first start.
    """
    import uvicorn

    settings: Settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "schema.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_message_bytes,  # also checked by the app (schema/ws.py)
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest revision."""
    from services.db.migrate import migrate as run_migrate

    async def work(resources: Resources) -> None:
        await run_migrate(resources.engine)

    run_with_resources(work)
    console.print("[green]database is at the newest revision[/green]")


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
            return (await load_demo(resources.engine, advance)).rows_inserted

        inserted = run_with_resources(work)
    console.print(f"[green]demo data loaded[/green]: {inserted} new rows")


def main() -> None:
    app()
