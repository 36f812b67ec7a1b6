"""Whole responses of identical queries, valid while the versions they depend on are current.

An entry holds the response bytes, the versions of everything the response read (the
strategies, benchmarks and the catalog) and the SQL statements it cost. It is served only
after reading the current versions from Redis (one MGET) and finding every one unchanged.

Each process also keeps the entries it stored or served in memory (least recently used
first out, bounded in bytes), so a hit costs that one small MGET rather than fetching the
body from Redis again. A local entry is checked exactly like one from Redis: the MGET of
its versions runs on every hit, so a write acknowledged anywhere (which has changed or
deleted the versions in Redis by then) is never answered from memory, nor is anything
while Redis cannot be read.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgpack
import orjson
from redis.asyncio import Redis

from services import keys
from services._breaker import CacheUnavailable, Guard
from services.cache_stats import CacheStats
from services.versions import VersionStore

KIND = "response"
LOCAL_BYTES = 64 * 1024 * 1024  # bodies kept in memory by each process


@dataclass(frozen=True)
class StoredResponse:
    body: bytes
    versions: dict[str, str]  # dependency name -> version the response was computed at
    statements: int  # SQL statements it cost
    cost: int  # the query's cost, charged to rate limits on every hit

    def encode(self) -> bytes:
        packed: bytes = msgpack.packb([self.versions, self.statements, self.cost, self.body])
        return packed

    @classmethod
    def decode(cls, data: bytes | str) -> StoredResponse | None:
        try:
            versions, statements, cost, body = msgpack.unpackb(data)
        except (ValueError, TypeError):
            return None
        return cls(body, versions, statements, cost)


def response_key(
    scope: str, query: str, variables: Mapping[str, object] | None, operation: str | None
) -> str:
    """Same document, variables (in any key order), operation and access scope: same key."""
    identity = orjson.dumps(
        [scope, query, variables or {}, operation or ""], option=orjson.OPT_SORT_KEYS
    )
    return keys.response_key(hashlib.blake2b(identity, digest_size=20).hexdigest())


@dataclass(frozen=True, eq=False)
class _Local:
    """A stored response held in memory, with its version check prepared: the version keys
    to read and the bytes Redis returns for them while the response is current."""

    stored: StoredResponse
    expires: float  # monotonic time; the Redis copy's TTL
    version_keys: list[bytes] = field(default_factory=list)
    expected: list[bytes] = field(default_factory=list)

    @classmethod
    def of(cls, stored: StoredResponse, ttl_s: float) -> _Local:
        names = list(stored.versions)
        return cls(
            stored,
            time.monotonic() + ttl_s,
            [keys.version_key(n).encode() for n in names],
            [stored.versions[n].encode() for n in names],
        )


class ResponseStore:
    def __init__(
        self,
        redis: Redis,
        guard: Guard,
        versions: VersionStore,
        stats: CacheStats,
        *,
        ttl_s: int,
        local_bytes: int = LOCAL_BYTES,
    ) -> None:
        self.redis = redis
        self.guard = guard
        self.versions = versions
        self.stats = stats
        self.ttl_s = ttl_s
        self.local_limit = local_bytes
        self._local: OrderedDict[str, _Local] = OrderedDict()
        self._local_bytes = 0

    async def fetch(self, key: str) -> StoredResponse | None:
        """The stored response if every version it depends on is still current."""
        try:
            local = self._local.get(key)
            if local is not None:
                if local.expires > time.monotonic() and await self._local_current(local):
                    self._local.move_to_end(key)
                    return self._hit(local.stored)
                self._drop(key)
            raw = await self.guard("responses.get", lambda: self.redis.get(key))
            stored = StoredResponse.decode(raw) if raw is not None else None
            if stored is None or (local and stored == local.stored):
                self.stats.miss(KIND)
                return None
            fetched = _Local.of(stored, self.ttl_s)
            if not await self._local_current(fetched):
                self.stats.miss(KIND)
                return None
        except CacheUnavailable:
            return None
        self._keep(key, fetched)
        return self._hit(stored)

    def _hit(self, stored: StoredResponse) -> StoredResponse:
        self.stats.hit(KIND)
        self.stats.saved(KIND, stored.statements)
        return stored

    async def _local_current(self, local: _Local) -> bool:
        """One MGET: is every version the response was computed at still the current one?
        (An unknown version, None, never matches.) Raises CacheUnavailable."""
        current = await self.versions.current_raw(local.version_keys)
        return current == local.expected

    async def store(self, key: str, stored: StoredResponse) -> None:
        data = stored.encode()
        try:
            await self.guard("responses.set", lambda: self.redis.set(key, data, ex=self.ttl_s))
        except CacheUnavailable:
            return
        await self.versions.remember(stored.versions)
        self._keep(key, _Local.of(stored, self.ttl_s))

    def _drop(self, key: str) -> None:
        old = self._local.pop(key, None)
        if old is not None:
            self._local_bytes -= len(old.stored.body)

    def _keep(self, key: str, local: _Local) -> None:
        self._drop(key)
        size = len(local.stored.body)
        if size > self.local_limit // 16:
            return  # a body that would crowd out the others stays in Redis only
        self._local[key] = local
        self._local_bytes += size
        while self._local_bytes > self.local_limit:
            _, evicted = self._local.popitem(last=False)
            self._local_bytes -= len(evicted.stored.body)

    @property
    def local_bytes(self) -> int:
        """Bytes of response bodies this process holds in memory."""
        return self._local_bytes

    def forget_local(self) -> None:
        self._local.clear()
        self._local_bytes = 0
