"""Per-principal rate limits: GCRA (the generic cell rate algorithm) in one Redis script.

Each principal has a budget of ``rate_limit_per_minute`` units (a key may carry its own),
refilled continuously, of which up to ``rate_limit_burst`` can be spent at once. A request
costs ``ceil(query cost / rate_limit_cost_unit)`` units, at least one, so one expensive query
counts like many cheap ones. GCRA keeps one timestamp per principal (the "theoretical
arrival time") and answers "allowed" or "retry after N ms" exactly, in one atomic round trip;
the clock is Redis's, so replicas with skewed clocks agree.

Why not a library: ``limits`` (the most used Python one) opens its own connection pool from
a URL, prefixes keys its own way and, with costs, stores one list entry per unit in its
moving window; the algorithm here is a dozen lines of Lua run by the client we already have.

When Redis is down the limiter fails open to a per-process GCRA with the same parameters:
logged (at most once a minute) and counted in ``perfgraph_rate_limit_fallback_total``; after
a failure it stays local for ``RETRY_REDIS_AFTER_S`` seconds, so an outage does not add the
client's connection retries to every request. Each
replica then enforces the budget on its own, so a client spread over N replicas gets up to N
times its budget until Redis is back; refusing every request instead would turn a cache
outage into an API outage, which the design rules out ("Redis down means slower, not down").
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services import keys

log = logging.getLogger(__name__)

FALLBACKS = Counter(
    "perfgraph_rate_limit_fallback",
    "Rate-limit decisions taken in-process because Redis could not be reached",
)

# Times in microseconds: a key allowed more than 60,000 units a minute spends less than a
# millisecond per unit, which whole milliseconds would round up to one (and, past 7.2 million
# a minute, round a whole burst's worth above the capacity, refusing every request). Lua
# numbers are doubles: exact for integer microseconds since 1970 for another 250 years.
_GCRA = """
local emission = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local weight = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = clock[1] * 1000000 + clock[2]
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = math.ceil(tat + weight * emission)
local allow_at = new_tat - capacity
if allow_at > now then
  return {0, math.ceil(allow_at - now)}
end
local ttl_ms = math.max(1, math.ceil((new_tat - now) / 1000))
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
return {1, 0}
"""


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int

    @property
    def emission_ms(self) -> float:
        return 60_000 / self.per_minute

    @property
    def capacity_ms(self) -> float:
        return self.burst * self.emission_ms


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0


def weight(cost: int, unit: int, limit: Limit) -> int:
    """Units a query of ``cost`` spends: at least one, at most a full burst."""
    return max(1, min(limit.burst, math.ceil(cost / unit)))


class LocalLimiter:
    """The same GCRA in process memory, for when Redis is unreachable."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_entries = max_entries

    def hit(self, key: str, limit: Limit, units: int) -> Decision:
        now = time.monotonic() * 1000
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + units * limit.emission_ms
        allow_at = new_tat - limit.capacity_ms
        if allow_at > now:
            return Decision(False, (allow_at - now) / 1000)
        self._tat[key] = new_tat
        self._tat.move_to_end(key)
        while len(self._tat) > self._max_entries:
            self._tat.popitem(last=False)
        return Decision(True)


class RateLimiter:
    """One per process: Redis first, the local limiter when Redis fails."""

    RETRY_REDIS_AFTER_S = 5.0

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_GCRA)
        self._local = LocalLimiter()
        self._last_warning = -math.inf
        self._redis_down_until = -math.inf

    async def hit(self, principal: str, limit: Limit, units: int) -> Decision:
        key = keys.rate_limit_key(principal)
        if time.monotonic() < self._redis_down_until:
            FALLBACKS.inc()
            return self._local.hit(key, limit, units)
        try:
            allowed, retry_us = await self._script(
                keys=[key], args=[limit.emission_ms * 1000, limit.capacity_ms * 1000, units]
            )
        except RedisError as exc:
            self._redis_down_until = time.monotonic() + self.RETRY_REDIS_AFTER_S
            self._warn(exc)
            FALLBACKS.inc()
            return self._local.hit(key, limit, units)
        return Decision(bool(allowed), int(retry_us) / 1_000_000)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 60:
            self._last_warning = now
            log.warning("rate limits enforced per process: Redis unavailable (%s)", exc)
