"""Connections opened once per process (in the app lifespan or a CLI command)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services import keys, metrics
from services.cache import Cache
from services.config import Settings
from services.embedded import EmbeddedServers, start_postgres, start_redis
from services.errors import ConfigurationError, ServiceUnavailable
from services.pubsub import PubSubBridge

log = logging.getLogger(__name__)


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    embedded: EmbeddedServers
    _pubsub: PubSubBridge | None = field(default=None, repr=False)
    cache: Cache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = Cache(self.settings, self.redis, self.sessions, self.engine)

    @property
    def pubsub(self) -> PubSubBridge:
        """The process's one pub/sub connection, opened on first use."""
        if self._pubsub is None:
            name = keys.pubsub_client_name(process_name())
            self._pubsub = PubSubBridge(lambda: dedicated_connection(self.redis, name))
            metrics.PUBSUB.watch(self._pubsub)
        return self._pubsub

    async def close(self) -> None:
        if self._pubsub is not None:
            await self._pubsub.close()
            metrics.PUBSUB.forget(self._pubsub)
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
    """The pool: pre-ping replaces connections a restart or failover broke while idle."""
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "timezone": "UTC",
                "application_name": "perfgraph",
            },
        },
    )
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable(url))
    return engine


def _connect_or_unavailable(url: str) -> Any:
    """A failed connect (refused, timed out, server starting or shutting down) is an outage.

    The driver raises bare ``OSError``s here, which would otherwise be masked as unexpected.
    """

    def connect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            raise ServiceUnavailable(
                f"PostgreSQL at {redact(url)} cannot be reached: {exc or type(exc).__name__}"
            ) from exc

    return connect


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


def process_name() -> str:
    """Names this process to Redis (pub/sub client name, stream consumer name)."""
    return f"{socket.gethostname()}-{os.getpid()}"


def dedicated_connection(redis: Redis, client_name: str) -> AbstractConnection:
    """A pub/sub connection outside the pool: no read timeout, and RESP2, whose pub/sub
    messages are plain replies (RESP3 delivers them as push messages to a callback)."""
    pool = redis.connection_pool
    kwargs = {
        **pool.connection_kwargs,
        "protocol": 2,
        "socket_timeout": None,
        "health_check_interval": 0,
        "client_name": client_name,
    }
    return pool.connection_class(**kwargs)


def dedicated_redis(redis: Redis, *, socket_timeout: float) -> Redis:
    """A client with its own small pool, for commands that block (XREADGROUP ... BLOCK)."""
    pool = redis.connection_pool
    kwargs = {**pool.connection_kwargs, "socket_timeout": socket_timeout}
    return Redis.from_pool(ConnectionPool(connection_class=pool.connection_class, **kwargs))


async def _check_database(engine: AsyncEngine, url: str) -> None:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except ServiceUnavailable:
        raise
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
    if settings.is_production and not (settings.database_url and settings.redis_url):
        raise ConfigurationError(
            "PERFGRAPH_DATABASE_URL and PERFGRAPH_REDIS_URL have no default in production:"
            " the embedded servers are for development and tests"
        )
    embedded = EmbeddedServers()
    try:
        db_url = settings.database_url or start_postgres(settings.data_dir, embedded)
        redis_url = settings.redis_url or start_redis(settings.data_dir, embedded)
        engine = create_engine(settings, db_url)
        redis = create_redis(settings, redis_url)
    except BaseException:
        embedded.close()
        raise
    try:
        await _check_database(engine, db_url)
        if require_redis:
            await _check_redis(redis, redis_url)
    except BaseException:
        await Resources(settings, engine, async_sessionmaker(engine), redis, embedded).close()
        raise
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    metrics.DB_POOL.watch(engine)
    return Resources(settings, engine, sessions, redis, embedded)
