"""The real PostgreSQL and Redis the tests run against.

``PERFGRAPH_DATABASE_URL`` / ``PERFGRAPH_REDIS_URL`` when set (a fresh database is created on
that PostgreSQL server for the session and dropped after; the Redis database is flushed),
otherwise embedded servers kept in ``.perfgraph/test``.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
from sqlalchemy.engine import make_url

from services.embedded import EmbeddedServers, start_postgres, start_redis

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TestServers:
    admin_url: str  # asyncpg DSN of a maintenance database on the server
    database_url: str  # SQLAlchemy URL of this session's database
    redis_url: str
    embedded: EmbeddedServers
    database: str
    claims: list[IO[bytes]] = field(default_factory=list)

    def close(self) -> None:
        for claim in self.claims:
            claim.close()  # releases its lock
        self.embedded.close()

    async def create_database(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await conn.close()

    async def drop_database(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await conn.close()


def _asyncpg_dsn(sqlalchemy_url: str, database: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def start_test_servers() -> TestServers:
    embedded = EmbeddedServers()
    base = os.environ.get("PERFGRAPH_DATABASE_URL") or start_postgres(
        ROOT / ".perfgraph" / "test", embedded
    )
    if base.startswith("postgresql://"):
        base = "postgresql+asyncpg://" + base.split("://", 1)[1]
    claims: list[IO[bytes]] = []
    redis_url = os.environ.get("PERFGRAPH_REDIS_URL")
    if not redis_url:
        data_dir = ROOT / ".perfgraph" / "test"
        redis_url = start_redis(data_dir, embedded)
        db, claim = _claim_redis_db(data_dir)
        redis_url, claims = f"{redis_url}?db={db}", [claim]
    database = f"perfgraph_test_{uuid.uuid4().hex[:10]}"
    database_url = make_url(base).set(database=database).render_as_string(hide_password=False)
    return TestServers(
        admin_url=_asyncpg_dsn(base, "postgres"),
        database_url=database_url,
        redis_url=redis_url,
        embedded=embedded,
        database=database,
        claims=claims,
    )


def _claim_redis_db(data_dir: Path) -> tuple[int, IO[bytes]]:
    """A Redis database number no other test session of this checkout is using.

    Test sessions run at once from one checkout share its embedded Redis; each flushes its
    database at start, and their PostgreSQL databases reuse the same ids: on one Redis
    database they would read each other's cache entries. The claim is a lock held by the
    returned open file until it is closed (or the process ends)."""
    for db in range(16):
        claim = (data_dir / f"redis-db-{db}.lock").open("wb")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.close()
            continue
        return db, claim
    raise RuntimeError("sixteen test sessions already use this checkout's embedded Redis")
