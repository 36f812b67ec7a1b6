"""Cache-aside in Redis for loader values, with single flight and cross-replica locks.

A loader batch becomes one call of a Lua script that reads every key and locks the missing
ones; the misses become one computation (the loader's one SQL statement) and one script
call that writes them with a TTL and releases the locks. Keys carry the data versions the value
depends on (:mod:`services.versions`), so entries never go stale: they become unreachable.
Concurrent misses on one key compute it once: within a process the first caller leads and
the others await its result; across replicas a short ``SET NX PX`` lock makes the others
poll for the value, computing it themselves only if it does not appear in time.
Redis failing or slow never fails a request (:mod:`services._breaker`). See docs/caching.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services import _codec, _tally, keys
from services._breaker import CacheUnavailable, Guard
from services._cache_scripts import GET_OR_LOCK, STORE
from services.cache_stats import CacheStats
from services.config import Settings
from services.response_cache import ResponseStore
from services.versions import VersionStore

log = logging.getLogger("perfgraph.cache")
K = TypeVar("K")
V = TypeVar("V")
Compute = Callable[[list[K]], Awaitable[list[V]]]
FORMAT = "v1"  # bump when a cached value's meaning or encoding changes
LOCK_MS = 2_000
LOCK_WAIT_S = 1.0
POLL_S = 0.01


class Cache:
    """The cache of one process: values, versions, responses, statistics."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.stats = CacheStats()
        self.guard = Guard(
            self.stats, timeout_s=settings.cache_timeout_s, retry_s=settings.cache_retry_s
        )
        self.versions = VersionStore(redis, self.guard, sessions)
        self.responses = ResponseStore(
            redis, self.guard, self.versions, self.stats, ttl_s=settings.response_cache_ttl_s
        )
        self._flights: dict[str, asyncio.Future[Any]] = {}
        self._get_or_lock_script = redis.register_script(GET_OR_LOCK)
        self._store_script = redis.register_script(STORE)
        _tally.install(engine)

    @property
    def enabled(self) -> bool:
        return self.settings.cache_enabled

    def key(self, kind: str, *parts: object) -> str:
        return keys.cache_key(kind, FORMAT, *parts)

    async def load_many(
        self, kind: str, items: Sequence[tuple[str | None, K]], compute: Compute[K, V]
    ) -> list[V]:
        """Values for ``(cache key, loader key)`` items, in order; a None key is not cached."""
        batch = _Batch(self, kind, compute)
        return await batch.run(items)

    async def clear(self) -> int:
        """Delete every cache entry, version and lock (after restoring PostgreSQL)."""
        deleted = 0
        for pattern in ("cache", "ver", "pend", "resp", "lock"):
            async for name in self.redis.scan_iter(match=f"{keys.PREFIX}:{pattern}:*", count=500):
                deleted += await self.redis.unlink(name)
        self.responses.forget_local()
        return deleted


class _Batch(Generic[K, V]):
    """One loader batch through the cache."""

    def __init__(self, cache: Cache, kind: str, compute: Compute[K, V]) -> None:
        self.cache = cache
        self.kind = kind
        self.compute = compute
        self.stats = cache.stats
        self.ran_statement = False

    async def run(self, items: Sequence[tuple[str | None, K]]) -> list[V]:
        if not self.cache.enabled:
            values = await self._compute([k for _, k in items])
            return values
        wanted: dict[str, K] = {}
        for key, k in items:
            if key is not None:
                wanted.setdefault(key, k)
        uncached = [k for key, k in items if key is None]
        leading, following = self._claim(wanted)
        found, extra = await self._lead(leading, wanted, uncached)
        for key, flight in following.items():
            found[key] = await self._follow(key, wanted[key], flight)
        if following:
            self.stats.coalesce(self.kind, len(following))
        if not self.ran_statement:
            self.stats.saved(self.kind)
        rest = iter(extra)
        return [found[key] if key is not None else next(rest) for key, _ in items]

    def _claim(
        self, wanted: dict[str, K]
    ) -> tuple[dict[str, asyncio.Future[Any]], dict[str, asyncio.Future[Any]]]:
        flights = self.cache._flights
        loop = asyncio.get_running_loop()
        leading: dict[str, asyncio.Future[Any]] = {}
        following: dict[str, asyncio.Future[Any]] = {}
        for key in wanted:
            if key in flights:
                following[key] = flights[key]
            else:
                leading[key] = flights[key] = loop.create_future()
        return leading, following

    async def _lead(
        self, leading: dict[str, asyncio.Future[Any]], wanted: dict[str, K], uncached: list[K]
    ) -> tuple[dict[str, V], list[V]]:
        try:
            found, extra = await self._fetch({key: wanted[key] for key in leading}, uncached)
        except BaseException as exc:
            _fail(leading.values(), exc)
            raise
        else:
            for key, flight in leading.items():
                if not flight.done():
                    flight.set_result(found[key])
        finally:
            for key in leading:
                self.cache._flights.pop(key, None)
        return found, extra

    async def _follow(self, key: str, k: K, flight: asyncio.Future[Any]) -> V:
        try:
            value: V = await asyncio.shield(flight)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not flight.cancelled() or (task is not None and task.cancelling()):
                raise
            return (await _Batch(self.cache, self.kind, self.compute).run([(key, k)]))[0]
        return value

    async def _fetch(self, wanted: dict[str, K], uncached: list[K]) -> tuple[dict[str, V], list[V]]:
        found, mine, busy = await self._get_or_lock(list(wanted))
        self.stats.hit(self.kind, len(found))
        self.stats.miss(self.kind, len(mine) + len(busy))
        computed, extra = await self._compute_and_store(mine, wanted, uncached)
        found.update(computed)
        if busy:
            found.update(await self._wait_for(busy))
            late = [key for key in busy if key not in found]
            found.update((await self._compute_and_store(late, wanted, []))[0])
        return found, extra

    async def _get_or_lock(self, names: list[str]) -> tuple[dict[str, V], list[str], list[str]]:
        """One script call: (values found, names this call computes, names another replica
        is computing). Redis unavailable: nothing found, everything computed here."""
        if not names:
            return {}, [], []
        locks = [keys.lock_key(name) for name in names]
        try:
            raw = await self.cache.guard(
                "cache.get", lambda: self.cache._get_or_lock_script([*names, *locks], [LOCK_MS])
            )
        except CacheUnavailable:
            return {}, names, []
        found: dict[str, V] = {}
        mine: list[str] = []
        busy: list[str] = []
        for name, data in zip(names, raw, strict=True):
            if isinstance(data, int):
                (mine if data else busy).append(name)
                continue
            try:
                found[name] = _codec.decode(data)
            except _codec.DecodeError as exc:
                log.warning("ignoring cache entry %s: %s", name, exc)
                mine.append(name)
        return found, mine, busy

    async def _get(self, names: list[str]) -> dict[str, V]:
        if not names:
            return {}
        try:
            raw = await self.cache.guard("cache.get", lambda: self.cache.redis.mget(names))
        except CacheUnavailable:
            return {}
        found: dict[str, V] = {}
        for name, data in zip(names, raw, strict=True):
            if data is not None:
                try:
                    found[name] = _codec.decode(data)
                except _codec.DecodeError as exc:
                    log.warning("ignoring cache entry %s: %s", name, exc)
        return found

    async def _wait_for(self, names: list[str]) -> dict[str, V]:
        found: dict[str, V] = {}
        deadline = asyncio.get_running_loop().time() + LOCK_WAIT_S
        pending = list(names)
        while pending and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(POLL_S)
            found.update(await self._get(pending))
            pending = [name for name in pending if name not in found]
            if self.cache.guard.is_open:
                break
        return found

    async def _compute(self, ks: list[K]) -> list[V]:
        values = await self.compute(ks)
        self.ran_statement = True
        self.stats.computed(self.kind, len(values))
        return values

    async def _compute_and_store(
        self, names: list[str], wanted: dict[str, K], uncached: list[K]
    ) -> tuple[dict[str, V], list[V]]:
        if not names and not uncached:
            return {}, []
        try:
            values = await self._compute([wanted[name] for name in names] + uncached)
        except BaseException:
            await self._unlock(names)
            raise
        computed = dict(zip(names, values[: len(names)], strict=True))
        await self._store(computed)
        return computed, values[len(names) :]

    async def _store(self, values: dict[str, V]) -> None:
        if not values:
            return
        encoded: list[tuple[str, bytes]] = []
        for name, value in values.items():
            if isinstance(value, BaseException):
                continue  # a key that failed on its own: computed again next time
            try:
                encoded.append((name, _codec.encode(value)))
            except TypeError as exc:
                log.error("cannot cache %s: %s", name, exc)
        ttl = self.cache.settings.cache_ttl_s
        names = [name for name, _ in encoded] + [keys.lock_key(name) for name in values]
        args: list[bytes | int] = [ttl, *(data for _, data in encoded)]

        # On failure the computed values are still returned; the next request computes again.
        with contextlib.suppress(CacheUnavailable):
            await self.cache.guard("cache.set", lambda: self.cache._store_script(names, args))

    async def _unlock(self, names: list[str]) -> None:
        if not names:
            return
        with contextlib.suppress(CacheUnavailable):  # the locks expire
            await self.cache.guard(
                "cache.unlock", lambda: self.cache.redis.delete(*map(keys.lock_key, names))
            )


def _fail(flights: Iterable[asyncio.Future[Any]], exc: BaseException) -> None:
    """Followers of a failed computation get its error; of a cancelled one, compute again."""
    for flight in flights:
        if flight.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            flight.cancel()
        else:
            flight.set_exception(exc)
            flight.exception()  # marks it retrieved: the followers re-raise it
