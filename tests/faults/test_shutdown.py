"""SIGTERM to a real server process: it drains (readiness red, still serving), finishes the
request in flight, closes subscriptions with 1012, runs the shutdown hooks and exits 0.
The process logs JSON lines carrying the request id, operation, principal and duration."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests import servers as test_servers
from tests.conftest import GraphQLClient
from tests.faults.servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def server(
    servers: test_servers.TestServers, resources: Any, tmp_path: Path
) -> Iterator[tuple[int, Any]]:
    """``python -m tests.faults.serve`` on a free port, on the session's database."""
    port = free_port()
    env = {
        **os.environ,
        "PERFGRAPH_ENVIRONMENT": "test",
        "PERFGRAPH_DATABASE_URL": servers.database_url,
        "PERFGRAPH_REDIS_URL": servers.redis_url,
        "PERFGRAPH_LOG_FORMAT": "json",
        "PERFGRAPH_DRAIN_DELAY_S": "1",
        "PERFGRAPH_SHUTDOWN_TIMEOUT_S": "15",
        "PERFGRAPH_SLOW_OPERATION_MS": "500",
    }
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.serve", str(port)],
        cwd=test_servers.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, (process, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


async def wait_until_healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server never became healthy")


async def open_ticks(url: str) -> Any:
    ws = await websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    subscribe = {"query": "subscription { ticks(interval: 0.05) }"}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
    assert json.loads(await ws.recv())["payload"]["data"] == {"ticks": 0}
    return ws


async def close_code(ws: Any) -> int:
    """Reads (ticks keep coming) until the server closes; the code it closed with."""
    with contextlib.suppress(websockets.ConnectionClosed):
        async for _ in ws:
            pass
    code: int = ws.close_code
    return code


def log_lines(log: Any) -> list[dict[str, Any]]:
    log.seek(0)
    return [json.loads(line) for line in log if line.startswith("{")]


async def test_sigterm_drains_finishes_in_flight_work_and_exits_cleanly(
    server: tuple[int, Any],
) -> None:
    port, (process, log) = server
    base = f"http://127.0.0.1:{port}"
    await wait_until_healthy(base)
    ws = await open_ticks(f"ws://127.0.0.1:{port}/graphql")
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        assert (await client.get("/readyz")).status_code == 200
        gql = GraphQLClient(client)
        headers = {"x-request-id": "shutdown-test-1"}
        slow = asyncio.create_task(
            client.post(
                "/graphql", json={"query": "query Slow { sleep(seconds: 2) }"}, headers=headers
            )
        )
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.2)

        # Draining: still serving, but telling the load balancer to go elsewhere.
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()["status"]) == (503, "draining")
        assert await gql("{ benchmarks { symbol } }")

        response = await slow
        assert response.status_code == 200
        assert response.json() == {"data": {"sleep": 2.0}}
        assert await close_code(ws) == 1012  # service restart: reconnect elsewhere
    # uvicorn re-raises the signal it handled once it is done, so the parent sees SIGTERM.
    assert await asyncio.to_thread(process.wait, 20) in (0, -signal.SIGTERM)
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=base) as client:
            await client.get("/healthz")

    lines = log_lines(log)
    messages = [line["message"] for line in lines]
    assert "Application shutdown complete." in messages
    assert "shutdown hook 'marker' done" in messages
    assert "marker hook ran" in messages
    [access] = [line for line in lines if line.get("request_id") == "shutdown-test-1"]
    assert access["operation"] == "Slow"
    assert access["principal"] == "anonymous:anonymous"
    assert access["status"] == 200
    assert access["level"] == "WARNING"
    assert access["slow"] is True
    assert access["duration_ms"] >= 2000
