"""Connections opened once per process (in the app lifespan or a CLI command)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.cache import Cache
from services.config import Settings
from services.embedded import EmbeddedServers, start_postgres, start_redis
from services.errors import ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    embedded: EmbeddedServers
    cache: Cache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = Cache(self.settings, self.redis, self.sessions, self.engine)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
        self.embedded.close()


def redact(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={
            "timeout": 10,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "timezone": "UTC",
                "application_name": "perfgraph",
            },
        },
    )


def create_redis(settings: Settings, url: str) -> Redis:
    # One immediate retry on a broken connection: after a Redis restart every pooled
    # connection is dead, and a backoff would outlast the cache's short call timeout.
    return Redis.from_url(
        url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 1),
    )


async def _check_database(engine: AsyncEngine, url: str) -> None:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable(f"PostgreSQL at {redact(url)} is unreachable: {exc}") from exc


async def _check_redis(redis: Redis, url: str) -> None:
    try:
        await redis.ping()
    except Exception as exc:
        raise ServiceUnavailable(f"Redis at {redact(url)} is unreachable: {exc}") from exc


async def open_resources(settings: Settings, *, require_redis: bool = True) -> Resources:
    """Connect to the configured servers, or start the embedded ones when none is configured.

    A configured URL that cannot be reached is an error naming it: perfgraph never switches
    to an embedded server behind the operator's back.
    """
    embedded = EmbeddedServers()
    try:
        db_url = settings.database_url or start_postgres(settings.data_dir, embedded)
        redis_url = settings.redis_url or start_redis(settings.data_dir, embedded)
        engine = create_engine(settings, db_url)
        redis = create_redis(settings, redis_url)
        await _check_database(engine, db_url)
        if require_redis:
            await _check_redis(redis, redis_url)
    except BaseException:
        embedded.close()
        raise
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return Resources(settings, engine, sessions, redis, embedded)
