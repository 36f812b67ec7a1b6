"""The feeds and benchmarks commands, run as a user would, against the test servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services.cli import app
from services.config import Settings, get_settings
from services.resources import Resources
from tests.services.feeds.conftest import Source, stored_levels

Perfgraph = Callable[..., Awaitable[Result]]


@pytest.fixture
def perfgraph(settings: Settings) -> Perfgraph:
    """Runs ``perfgraph ARGS`` in a thread (the command runs its own event loop)."""
    env = {
        "PERFGRAPH_DATABASE_URL": settings.database_url or "",
        "PERFGRAPH_REDIS_URL": settings.redis_url or "",
        "COLUMNS": "200",
    }

    async def run(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            return await asyncio.to_thread(lambda: CliRunner().invoke(app, list(args), env=env))
        finally:
            get_settings.cache_clear()

    return run


async def test_create_import_add_poll_and_status(
    perfgraph: Perfgraph, resources: Resources, source: Source, tmp_path: Path
) -> None:
    run = perfgraph
    symbol = f"AGG{uuid.uuid4().hex[:6].upper()}"
    created = await run("benchmarks", "create", symbol, "--name", "Agg", "--kind", "BOND_INDEX",
                        "--basis", "TOTAL_RETURN")  # fmt: skip
    assert created.exit_code == 0, created.output
    path = tmp_path / "agg.csv"
    path.write_text("DATE,VALUE\n2024-01-02,100\n2024-01-03,-1\n2024-01-04,.\n2024-01-05,100.2\n")

    imported = await run("feeds", "import", symbol, str(path))

    assert imported.exit_code == 0, imported.output
    assert "inserted" in imported.output
    assert "line 3 value: value must be above zero" in imported.output
    assert "2024-01-04" in imported.output  # a session without a level (FRED's ".")
    source.body = "ts,level\n2024-01-08,100.4\n"
    added = await run("feeds", "add", symbol, "http", "--url", source.url, "--every", "3600")
    assert added.exit_code == 0, added.output
    polled = await run("feeds", "poll", "--once", "--symbol", symbol)
    assert polled.exit_code == 0, polled.output
    assert "1 new, 0 revised" in polled.output
    status = await run("feeds", "status")
    assert status.exit_code == 0, status.output
    rows = [line for line in status.output.splitlines() if symbol in line]
    assert len(rows) == 2  # the file feed and the http feed
    assert all("STALE" in row for row in rows)  # January 2024 is long past
    benchmark_id = await _benchmark_id(resources, symbol)
    assert len(await stored_levels(resources, benchmark_id)) == 3


async def test_mistakes_are_explained(perfgraph: Perfgraph, tmp_path: Path) -> None:
    run = perfgraph
    missing = await run("feeds", "import", "NO_SUCH", str(tmp_path / "x.csv"))
    assert missing.exit_code == 1
    assert "benchmark NO_SUCH does not exist" in missing.output
    http = await run("feeds", "add", "SPX", "http", "--url", "ftp://x", "--every", "1")
    assert http.exit_code == 1
    assert "url: an http feed needs an http:// or https:// URL" in http.output
    assert "polls every 10 s or more" in http.output
    blend = await run("benchmarks", "create", "B" + uuid.uuid4().hex[:6].upper(), "--name", "b",
                      "--kind", "BLEND", "--basis", "PRICE", "--component", "SPX=0.5",
                      "--component", "TBILL_3M=0.4")  # fmt: skip
    assert blend.exit_code == 1
    assert "sum to 1" in blend.output


async def _benchmark_id(resources: Resources, symbol: str) -> int:
    from services.benchmarks import benchmarks_by_symbols

    async with resources.sessions() as session:
        return (await benchmarks_by_symbols(session, [symbol]))[symbol].id
