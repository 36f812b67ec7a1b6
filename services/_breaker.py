"""Every cache call to Redis goes through :class:`Guard`: a short timeout and a breaker.

Closed: calls go to Redis, each bounded by ``timeout_s``. A failure or timeout opens the
breaker: for ``retry_s`` every call fails at once (callers use PostgreSQL), so a dead or
hung Redis costs one timeout, not one per request. A timeout while this process is too busy
to read replies (noticed well after it was due, or the event loop slow to come round) fails
only its own call: under CPU saturation, sending every request to PostgreSQL would make it
worse. After ``retry_s`` a single call probes Redis, running the recovery hooks before its
own command (the version store forgets the versions it could not update while Redis was
unreachable).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from services.cache_stats import CacheStats
from services.metrics import CACHE_REDIS_AVAILABLE

log = logging.getLogger("perfgraph.cache")
T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]
# A reply takes a few turns of the event loop to be read (the socket, the parser, the waiting
# coroutine): when this many turns would not fit in the timeout, the loop is the bottleneck.
BUSY_TURNS = 8


class CacheUnavailable(Exception):
    """Redis failed, timed out, or is being bypassed: use PostgreSQL."""


class Guard:
    def __init__(
        self,
        stats: CacheStats,
        *,
        timeout_s: float,
        retry_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stats = stats
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.clock = clock
        self.open_until: float | None = None
        self.probing = False
        self.recovery_hooks: list[Hook] = []

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    async def __call__(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` under the timeout; raises CacheUnavailable instead of any Redis failure."""
        probe = self._admit()
        started = self.clock()
        try:
            async with asyncio.timeout(self.timeout_s):
                if probe:
                    for hook in self.recovery_hooks:
                        await hook()
                result = await call()
        except TimeoutError as exc:
            if probe or not await self._loop_was_busy(started):
                self._failed(operation, exc)
            raise CacheUnavailable(operation) from exc
        except (RedisError, OSError) as exc:
            self._failed(operation, exc)
            raise CacheUnavailable(operation) from exc
        finally:
            if probe:
                self.probing = False
        if probe:
            self._recovered()
        return result

    def _admit(self) -> bool:
        """True when this call is the probe; raises while the breaker is open."""
        if self.open_until is None:
            return False
        if self.probing or self.clock() < self.open_until:
            self.stats.bypass()
            raise CacheUnavailable("Redis is bypassed after a failure")
        self.probing = True
        return True

    async def _loop_was_busy(self, started: float) -> bool:
        """A timeout that says nothing about Redis: this process was too busy to read the reply.

        Either the timeout was noticed well after it was due, or one turn of the event loop
        (everything else ready to run) takes so long that the few turns a reply needs to be
        read would not fit in the timeout. That call uses PostgreSQL; others carry on."""
        late = self.clock() - started > 2 * self.timeout_s
        if not late:
            before = self.clock()
            await asyncio.sleep(0)
            late = (self.clock() - before) * BUSY_TURNS > self.timeout_s
        if late:
            self.stats.redis_error("late")
            log.debug("cache call timed out while the event loop was busy")
        return late

    def _failed(self, operation: str, exc: BaseException) -> None:
        self.stats.redis_error(operation)
        if self.open_until is None:
            log.warning(
                "Redis cache call %s failed (%s: %s): serving from PostgreSQL, retrying in %.1fs",
                operation,
                type(exc).__name__,
                exc,
                self.retry_s,
            )
            CACHE_REDIS_AVAILABLE.set(0)
        self.open_until = self.clock() + self.retry_s

    def _recovered(self) -> None:
        self.open_until = None
        CACHE_REDIS_AVAILABLE.set(1)
        log.info("Redis cache is reachable again: cache calls resume")
