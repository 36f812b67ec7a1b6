"""Data versions: what cached values and responses depend on, and whether they are current.

A strategy's or benchmark's version is its ``last_seq`` (bumped by every committed change);
the catalog's (which strategies and benchmarks exist, and their descriptions) is a random
token replaced on every change. Redis holds the current versions under
:func:`keys.version_key`; the reasoning behind the write protocol is in docs/caching.md:

- a write first counts itself in :func:`keys.pending_key` and deletes the version, then
  commits; the last of the writes in flight to end sets the newest version they committed;
- while a write is pending, or after Redis lost a version, the version is unknown: values
  use the version read from PostgreSQL, responses are recomputed;
- a write that could not reach Redis is remembered in the process and its versions are
  deleted as soon as Redis answers again;
- a Redis restart (which may restore older versions from disk) makes every version unknown.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import keys
from services._breaker import CacheUnavailable, Guard
from services._version_scripts import BEGIN, CATALOG_TOKEN, END, REMEMBER

log = logging.getLogger("perfgraph.cache")
DepKind = Literal["strategy", "benchmark", "catalog"]
VERSION_TTL_MS = 3_600_000  # bounds how long a version can outlive a lost update
CATALOG_TTL_MS = 86_400_000
PENDING_TTL_MS = 30_000  # longer than any write transaction
RESTART_CHECK_S = 5.0


@dataclass(frozen=True, order=True)
class Dep:
    """Something cached data depends on."""

    kind: DepKind
    id: int = 0

    @property
    def name(self) -> str:
        return self.kind if self.kind == "catalog" else f"{self.kind}:{self.id}"


CATALOG = Dep("catalog")


@dataclass
class Dependencies:
    """The versions one response was computed from, recorded while it executes."""

    versions: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # why the response must not be cached
    cost: int | None = None  # the query's cost, as the limits analysed it before executing

    def add(self, dep: Dep, version: int | str) -> None:
        value = str(version)
        if self.versions.setdefault(dep.name, value) != value:
            self.uncacheable(f"{dep.name} changed while the response was computed")

    def uncacheable(self, reason: str) -> None:
        self.reason = self.reason or reason

    @property
    def cacheable(self) -> bool:
        return self.reason is None and CATALOG.name in self.versions


_FROM_DATABASE = text(
    "SELECT 'strategy', id, last_seq FROM strategies WHERE id = ANY(CAST(:s AS int[])) "
    "UNION ALL SELECT 'benchmark', id, last_seq FROM benchmarks WHERE id = ANY(CAST(:b AS int[]))"
)


def _keys(name: str) -> list[str]:
    return [keys.pending_key(name), keys.version_key(name)]


class Write:
    """One write's part in the protocol: :meth:`depend` before its commit (several times,
    for writes in several transactions, or once their targets are known), :meth:`committed`
    after it. Created by :meth:`VersionStore.writing`."""

    def __init__(self, store: VersionStore) -> None:
        self.store = store
        self.id = uuid.uuid4().hex
        self.names: list[str] = []  # registered as pending
        self.versions: dict[str, str] = {}

    async def depend(self, deps: Sequence[Dep]) -> None:
        """Mark ``deps`` as being written (again: refreshes the mark before each commit)."""
        names = [dep.name for dep in deps]
        if await self.store._begin_write(self.id, names):
            self.names += [name for name in names if name not in self.names]
        else:
            self.store._lost(names)

    def committed(self, dep: Dep, version: int | None = None) -> None:
        self.versions[dep.name] = uuid.uuid4().hex if dep == CATALOG else str(version)


class VersionStore:
    def __init__(
        self, redis: Redis, guard: Guard, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        self.redis = redis
        self.guard = guard
        self.sessions = sessions
        self.dirty: set[str] = set()  # versions that may be stale in Redis
        self.pending_ttl_ms = PENDING_TTL_MS
        self.restart_check_s = RESTART_CHECK_S
        self._next_restart_check = 0.0
        self._begin = redis.register_script(BEGIN)
        self._end = redis.register_script(END)
        self._remember = redis.register_script(REMEMBER)
        self._catalog = redis.register_script(CATALOG_TOKEN)
        guard.recovery_hooks.append(self._forget_dirty)

    async def current(self, names: Sequence[str]) -> list[str | None]:
        """The versions Redis holds now (None: unknown). Raises CacheUnavailable."""

        async def read() -> list[Any]:
            await self._check_restart()
            return await self.redis.mget([keys.version_key(n) for n in names])

        raw = await self.guard("versions.read", read)
        return [value.decode() if isinstance(value, bytes) else value for value in raw]

    async def current_raw(self, version_keys: Sequence[bytes]) -> list[bytes | None]:
        """:meth:`current` for prepared version keys, the values as Redis returns them (the
        response cache's check on every hit). Raises CacheUnavailable."""

        async def read() -> list[bytes | None]:
            await self._check_restart()
            return await self.redis.mget(version_keys)  # type: ignore[return-value]

        return await self.guard("versions.read", read)

    async def _check_restart(self) -> None:
        """Every few seconds: has Redis restarted since the versions were written?

        A Redis that persists (AOF, snapshots) comes back from a crash without its last
        writes, so a version can be older than PostgreSQL's: after a restart every version
        is forgotten (then read from PostgreSQL again), never trusted.
        """
        now = time.monotonic()
        if now < self._next_restart_check:
            return
        self._next_restart_check = now + self.restart_check_s
        run_id = str((await self.redis.info("server"))["run_id"])
        previous = await self.redis.set(keys.redis_run_key(), run_id, get=True)
        if previous is None or previous == run_id.encode():
            return  # the same server, or one that has never held versions
        forgotten = 0
        async for name in self.redis.scan_iter(match=keys.version_key("*"), count=1000):
            forgotten += await self.redis.unlink(name)
        if forgotten:
            log.warning("Redis restarted (run %s): forgot %d cache versions", run_id, forgotten)

    async def entity_versions(self, deps: Sequence[Dep]) -> dict[Dep, int]:
        """Current versions from Redis, the unknown ones from PostgreSQL (one statement)."""
        try:
            found = {
                dep: int(value)
                for dep, value in zip(deps, await self.current([d.name for d in deps]), strict=True)
                if value is not None
            }
        except CacheUnavailable:
            found = {}
        missing = [dep for dep in deps if dep not in found and dep != CATALOG]
        if missing:
            loaded = await self._from_database(missing)
            found.update(loaded)
            await self.remember({dep.name: str(version) for dep, version in loaded.items()})
        return found

    async def _from_database(self, deps: Sequence[Dep]) -> dict[Dep, int]:
        params = {
            "s": [d.id for d in deps if d.kind == "strategy"],
            "b": [d.id for d in deps if d.kind == "benchmark"],
        }
        async with self.sessions() as session:
            rows = await session.execute(_FROM_DATABASE, params)
        return {Dep(kind, entity_id): int(seq) for kind, entity_id, seq in rows}

    async def remember(self, versions: Mapping[str, str]) -> None:
        """Store versions read from PostgreSQL, unless a write is pending or Redis is newer."""
        entries = [(n, v) for n, v in versions.items() if n != CATALOG.name]
        if not entries:
            return

        async def run() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name, version in entries:
                    await self._remember(_keys(name), [version, VERSION_TTL_MS], client=pipe)
                await pipe.execute()

        with contextlib.suppress(CacheUnavailable):  # the next reader reads PostgreSQL again
            await self.guard("versions.remember", run)

    async def catalog_token(self) -> str | None:
        """The catalog's version; None while a catalog change is pending or Redis is down."""
        fresh = uuid.uuid4().hex
        try:
            token = await self.guard(
                "versions.catalog",
                lambda: self._catalog(_keys(CATALOG.name), [fresh, CATALOG_TTL_MS]),
            )
        except CacheUnavailable:
            return None
        return None if token is None else bytes(token).decode()

    @asynccontextmanager
    async def writing(self, deps: Sequence[Dep] = ()) -> AsyncIterator[Write]:
        """Around a write transaction: ``write.committed(dep, last_seq)`` after the commit.

        Dependencies known only inside the transaction are added with ``write.depend``
        before it commits.
        """
        write = Write(self)
        await write.depend(deps)
        try:
            yield write
        finally:
            await self._end_write(write.id, write.names, write.versions)

    async def _begin_write(self, write_id: str, names: list[str]) -> bool:
        if not names:
            return True

        async def run() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in names:
                    await self._begin(_keys(name), [write_id, self.pending_ttl_ms], client=pipe)
                await pipe.execute()

        try:
            await self.guard("versions.begin", run)
        except CacheUnavailable:
            return False
        return True

    async def _end_write(
        self, write_id: str, names: list[str], versions: Mapping[str, str]
    ) -> None:
        if not names:
            return

        async def run() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in names:
                    mode, ttl = ("set", CATALOG_TTL_MS) if name == CATALOG.name else ("max", 0)
                    version = versions.get(name, "")
                    args: list[str | int] = [write_id, version, mode, ttl or VERSION_TTL_MS]
                    await self._end(_keys(name), args, client=pipe)
                await pipe.execute()

        try:
            await self.guard("versions.end", run)
        except CacheUnavailable:
            self._lost(names)

    def _lost(self, names: list[str]) -> None:
        if names:
            log.warning("could not update cache versions of %s: forgetting them on recovery", names)
            self.dirty.update(names)

    async def _forget_dirty(self) -> None:
        """Recovery hook: versions a failed write could not update are deleted, not trusted."""
        if self.dirty:
            names = sorted(self.dirty)
            await self.redis.delete(*(keys.version_key(name) for name in names))
            self.dirty.difference_update(names)
            log.info("forgot possibly stale cache versions of %s", names)
