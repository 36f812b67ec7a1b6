"""Every Redis key, channel and stream name perfgraph uses, built here and nowhere else."""

from __future__ import annotations

PREFIX = "pg"


def performance_channel(strategy_id: int) -> str:
    """Pub/sub channel for committed changes to a strategy's performance."""
    return f"perf:{strategy_id}"


def benchmark_channel(symbol: str) -> str:
    """Pub/sub channel for committed benchmark prices."""
    return f"bench:{symbol}"


def performance_stream() -> str:
    """Redis Stream the strategy execution engine writes performance points to."""
    return f"{PREFIX}:stream:performance"


def market_data_stream() -> str:
    """Redis Stream the market-data pipeline writes benchmark prices to."""
    return f"{PREFIX}:stream:market-data"


def ingest_group() -> str:
    """Consumer group every perfgraph process reads the performance stream in."""
    return f"{PREFIX}:ingest"


def market_data_group() -> str:
    """Consumer group every perfgraph process reads the market-data stream in (its name
    predates the prefix; deployed groups keep their position under it)."""
    return "perfgraph-benchmarks"


def pubsub_client_name(consumer: str) -> str:
    """CLIENT SETNAME of a process's pub/sub connection, so operators can find it."""
    return f"{PREFIX}:pubsub:{consumer}"


def cache_key(kind: str, *parts: object) -> str:
    """A value-cache key; callers include the data versions the value depends on."""
    return ":".join((PREFIX, "cache", kind, *(str(p) for p in parts)))


def lock_key(key: str) -> str:
    """Short-lived lock guarding the computation of ``key`` across replicas."""
    return f"{PREFIX}:lock:{key}"


def version_key(dependency: str) -> str:
    """The current data version of ``dependency`` ("strategy:7", "benchmark:2", "catalog")."""
    return f"{PREFIX}:ver:{dependency}"


def pending_key(dependency: str) -> str:
    """Count of writes to ``dependency`` in flight: while set, its version is unknown."""
    return f"{PREFIX}:pend:{dependency}"


def redis_run_key() -> str:
    """The run id of the Redis server the cache versions were written to (restart detection)."""
    return f"{PREFIX}:redis-run"


def response_key(digest: str) -> str:
    """A whole-response cache entry: ``digest`` hashes document, variables and access scope."""
    return f"{PREFIX}:resp:{digest}"


def rate_limit_key(principal: str) -> str:
    return f"{PREFIX}:rate:{principal}"


def api_key_cache_key(key_hash: str) -> str:
    """A verified API key's principal (account, scopes, grants), cached briefly."""
    return f"{PREFIX}:auth:key:{key_hash}"


def account_cache_key(account: str) -> str:
    """An account's id and grants, for bearer-token principals, cached briefly."""
    return f"{PREFIX}:auth:account:{account}"


def persisted_query_key(sha256: str) -> str:
    """A document registered through automatic persisted queries, by its SHA-256."""
    return f"{PREFIX}:apq:{sha256}"
