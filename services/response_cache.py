"""Whole responses of identical queries, valid while the versions they depend on are current.

An entry holds the response bytes, the versions of everything the response read (the
strategies, benchmarks and the catalog) and the SQL statements it cost. It is served only
after reading the current versions from Redis (one MGET) and finding every one unchanged.
Each process also keeps recently served entries in memory (bounded in bytes), so a hit
costs that one small MGET rather than fetching the body from Redis again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import msgpack
import orjson
from redis.asyncio import Redis

from services import keys
from services._breaker import CacheUnavailable, Guard
from services.cache_stats import CacheStats
from services.versions import VersionStore

KIND = "response"
LOCAL_BYTES = 64 * 1024 * 1024


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


class ResponseStore:
    def __init__(
        self, redis: Redis, guard: Guard, versions: VersionStore, stats: CacheStats, *, ttl_s: int
    ) -> None:
        self.redis = redis
        self.guard = guard
        self.versions = versions
        self.stats = stats
        self.ttl_s = ttl_s
        self._local: OrderedDict[str, StoredResponse] = OrderedDict()
        self._local_bytes = 0

    async def fetch(self, key: str) -> StoredResponse | None:
        """The stored response if every version it depends on is still current."""
        try:
            local = self._local.get(key)
            if local is not None:
                if await self._current(local):
                    self._local.move_to_end(key)
                    return self._hit(local)
                self._drop(key)
            raw = await self.guard("responses.get", lambda: self.redis.get(key))
            stored = StoredResponse.decode(raw) if raw is not None else None
            if stored is None or stored == local or not await self._current(stored):
                self.stats.miss(KIND)
                return None
        except CacheUnavailable:
            return None
        self._keep(key, stored)
        return self._hit(stored)

    def _hit(self, stored: StoredResponse) -> StoredResponse:
        self.stats.hit(KIND)
        self.stats.saved(KIND, stored.statements)
        return stored

    async def _current(self, stored: StoredResponse) -> bool:
        names = list(stored.versions)
        current = await self.versions.current(names)
        return all(stored.versions[n] == c for n, c in zip(names, current, strict=True))

    async def store(self, key: str, stored: StoredResponse) -> None:
        data = stored.encode()
        try:
            await self.guard("responses.set", lambda: self.redis.set(key, data, ex=self.ttl_s))
        except CacheUnavailable:
            return
        await self.versions.remember(stored.versions)
        self._keep(key, stored)

    def _drop(self, key: str) -> None:
        old = self._local.pop(key, None)
        if old is not None:
            self._local_bytes -= len(old.body)

    def _keep(self, key: str, stored: StoredResponse) -> None:
        self._drop(key)
        if len(stored.body) > LOCAL_BYTES // 16:
            return
        self._local[key] = stored
        self._local_bytes += len(stored.body)
        while self._local_bytes > LOCAL_BYTES:
            _, evicted = self._local.popitem(last=False)
            self._local_bytes -= len(evicted.body)

    def forget_local(self) -> None:
        self._local.clear()
        self._local_bytes = 0
