"""Helpers for feed tests: what a benchmark has stored, quarantined and been warned about."""

from __future__ import annotations

import asyncio
import csv
import gzip
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services import keys
from services.resources import Resources

SPX_CSV = files("services.demo") / "data" / "sp500_index_daily.csv.gz"


async def stored_levels(resources: Resources, benchmark_id: int) -> list[tuple[datetime, float]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT ts, level FROM benchmark_prices WHERE benchmark_id = :id ORDER BY ts"),
            {"id": benchmark_id},
        )
        return [(ts, level) for ts, level in rows]


async def quarantined(resources: Resources, symbol: str) -> list[tuple[str, dict[str, Any]]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT reason, payload FROM quarantine WHERE kind = 'benchmark' AND entity = :e "
                "ORDER BY id"
            ),
            {"e": symbol},
        )
        return [(reason, payload) for reason, payload in rows]


async def recorded_warnings(resources: Resources, benchmark_id: int) -> list[tuple[str, str]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, message FROM feed_warnings WHERE benchmark_id = :id ORDER BY id"),
            {"id": benchmark_id},
        )
        return [(kind, message) for kind, message in rows]


def write_spx_as_stooq(path: Path) -> int:
    """The S&P 500 daily closes since 1990 (shipped test data) as a Stooq CSV; returns rows."""
    with SPX_CSV.open("rb") as raw, gzip.open(raw, "rt") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Date", "Open", "High", "Low", "Close", "Volume"])
        for row in rows:
            close = row["close"]
            writer.writerow([row["date"], close, close, close, close, 0])
    return len(rows)


@dataclass
class Source:
    """A third-party HTTP source, served for real on 127.0.0.1, whose answers tests set."""

    body: str = "ts,level\n"
    content_type: str = "text/csv"
    etag: str | None = None
    last_modified: str | None = None
    failures: list[int] = field(default_factory=list)  # statuses to answer first, in order
    delay_s: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        if self.failures:
            return Response(status_code=self.failures.pop(0))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        validators = {"ETag": self.etag, "Last-Modified": self.last_modified}
        headers = {k: v for k, v in validators.items() if v}
        if self._unchanged(request):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.content_type, headers=headers)

    def _unchanged(self, request: Request) -> bool:
        if self.etag and "if-none-match" in request.headers:
            return request.headers["if-none-match"] == self.etag
        return bool(self.last_modified) and (
            request.headers.get("if-modified-since") == self.last_modified
        )


@pytest.fixture(autouse=True)
async def disable_new_feeds(resources: Resources) -> AsyncIterator[None]:
    """Feeds a test configures (on old data: stale) are switched off when it ends, so that
    they are not polled, and readiness elsewhere does not report them."""
    async with resources.engine.connect() as conn:
        before = (await conn.execute(text("SELECT coalesce(max(id), 0) FROM feeds"))).scalar()
    yield
    async with resources.engine.begin() as conn:
        await conn.execute(text("UPDATE feeds SET enabled = false WHERE id > :id"), {"id": before})


@pytest.fixture
def stream() -> str:
    """A stream of this test's own: the group reads a stream from its start."""
    return f"{keys.market_data_stream()}:test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def source() -> AsyncIterator[Source]:
    src = Source()
    app = Starlette(routes=[Route("/levels", src.endpoint)])
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    src.url = f"http://127.0.0.1:{sock.getsockname()[1]}/levels"
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):  # until it listens (uvicorn offers no event for it)
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield src
    finally:
        server.should_exit = True
        await task
        sock.close()
