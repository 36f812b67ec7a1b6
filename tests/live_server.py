"""Real uvicorn servers for WebSocket tests: in this process, or as subprocesses."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serve_in_process(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on this event loop; yields its WebSocket URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


@dataclass
class ServerProcess:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def server_env(database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a perfgraph process on the given servers (``PERFGRAPH_*`` extras)."""
    return {
        **os.environ,
        "PERFGRAPH_ENVIRONMENT": "test",
        "PERFGRAPH_DATABASE_URL": database_url,
        "PERFGRAPH_REDIS_URL": redis_url,
        "PERFGRAPH_LOAD_DEMO": "false",
        **{f"PERFGRAPH_{name.upper()}": value for name, value in settings.items()},
    }


async def start_server_process(database_url: str, redis_url: str, **settings: str) -> ServerProcess:
    """``uvicorn schema.app:create_app`` in a subprocess, on the given servers."""
    port = free_port()
    env = server_env(database_url, redis_url, **settings)
    command = [
        sys.executable, "-m", "uvicorn", "schema.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: ASYNC220 (runs in background)
    server = ServerProcess(port, process)
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.terminate()
    raise RuntimeError("server did not start within 30 s")


def stop_server_process(server: ServerProcess) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
