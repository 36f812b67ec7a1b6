"""Live API fixtures: the app served by a real uvicorn, and helpers to write through it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from schema.multiplex import TopicRegistry
from services.ingest import record_performance
from services.resources import Resources
from services.validation import IncomingRow
from tests.live_server import serve_in_process

DAY = datetime(2024, 1, 1, tzinfo=UTC)

PERFORMANCE = """
subscription($ids: [ID!]!, $afterSeq: Int, $after: [StrategySeqInput!]) {
  performance(strategyIds: $ids, afterSeq: $afterSeq, after: $after) {
    strategyId seq kind point { timestamp nav cashFlow }
  }
}
"""


@pytest.fixture(scope="session")
async def live_url(app: Starlette) -> AsyncIterator[str]:
    """The session's app on a real uvicorn (WebSockets need a real server)."""
    async with serve_in_process(app) as url:
        yield url


def topics(app: Starlette) -> TopicRegistry:
    registry: TopicRegistry = app.state.live_topics
    return registry


async def record(
    resources: Resources, sid: int, *points: tuple[int, float], unit: timedelta = timedelta(days=1)
) -> int:
    """Record (day, nav) points through the ingest path; returns the new last seq.

    With ``unit``, the first number counts other periods than days (timestamps in the
    future are rejected, so long series use minutes).
    """
    rows = [IncomingRow(DAY + step * unit, nav) for step, nav in points]
    return (await record_performance(resources, sid, rows, source="tests")).last_seq
