"""The real PostgreSQL and Redis the tests run against.

``PERFGRAPH_DATABASE_URL`` / ``PERFGRAPH_REDIS_URL`` when set (a fresh database is created on
that PostgreSQL server for the session and dropped after; the Redis database is flushed),
otherwise embedded servers kept in ``.perfgraph/test``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

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
    redis_url = os.environ.get("PERFGRAPH_REDIS_URL") or start_redis(
        ROOT / ".perfgraph" / "test", embedded
    )
    database = f"perfgraph_test_{uuid.uuid4().hex[:10]}"
    database_url = make_url(base).set(database=database).render_as_string(hide_password=False)
    return TestServers(
        admin_url=_asyncpg_dsn(base, "postgres"),
        database_url=database_url,
        redis_url=redis_url,
        embedded=embedded,
        database=database,
    )
