"""The ingest worker as operators run it: ``perfgraph ingest run``, and inside ``serve``."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from services import keys
from services.config import Settings
from services.resources import Resources
from tests.factories import create_strategy
from tests.live_server import ROOT, server_env, start_server_process, stop_server_process
from tests.waiting import until

pytestmark = pytest.mark.slow
DAY = datetime(2024, 5, 1, tzinfo=UTC)
PERFGRAPH = Path(sys.executable).parent / "perfgraph"


async def stored(resources: Resources, sid: int) -> int:
    async with resources.engine.connect() as conn:
        query = text("SELECT count(*) FROM performance_points WHERE strategy_id = :s")
        return int((await conn.execute(query, {"s": sid})).scalar_one())


async def group_exists(resources: Resources) -> bool:
    try:
        groups = await resources.redis.xinfo_groups(keys.performance_stream())
    except Exception:  # the stream does not exist yet
        return False
    return any(g["name"].decode() == keys.ingest_group() for g in groups)


async def add_points(resources: Resources, sid: int, count: int) -> None:
    for i in range(count):
        stamp = (DAY + timedelta(hours=i)).isoformat()
        fields = {"strategy_id": str(sid), "ts": stamp, "nav": str(100.0 + i)}
        await resources.redis.xadd(keys.performance_stream(), fields)  # type: ignore[arg-type]


async def test_ingest_run_consumes_the_stream_and_stops_cleanly(
    settings: Settings, resources: Resources, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    sid = await create_strategy(resources)
    env = server_env(settings.database_url, settings.redis_url)
    log = tmp_path / "ingest.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 (runs in the background)
            [str(PERFGRAPH), "ingest", "run"], cwd=ROOT, env=env, stderr=output
        )
        try:
            await until(lambda: group_exists(resources), "the consumer group", 30)
            await add_points(resources, sid, 5)
            await until(lambda: _count_is(resources, sid, 5), "the points", 30)
        finally:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(process.wait, 15)
    assert code == 0, log.read_text()
    pending = await resources.redis.xpending(keys.performance_stream(), keys.ingest_group())
    assert pending["pending"] == 0


async def test_serve_runs_the_consumers_when_configured(
    settings: Settings, resources: Resources
) -> None:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    sid = await create_strategy(resources)
    server = await start_server_process(
        settings.database_url, settings.redis_url, ingest_in_serve="true"
    )
    try:
        await until(lambda: group_exists(resources), "the consumer group", 30)
        await add_points(resources, sid, 3)
        await until(lambda: _count_is(resources, sid, 3), "the points", 30)
    finally:
        stop_server_process(server)
    assert server.process.returncode is not None


async def _count_is(resources: Resources, sid: int, count: int) -> bool:
    return await stored(resources, sid) == count
