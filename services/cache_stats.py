"""Cache statistics: plain counters for tests and benchmarks, and the Prometheus counters
of services.metrics for operators (kind: the cached thing; errors: the failed operation).

"Statements saved" counts SQL statements a request did not run: a loader batch served wholly
from Redis saves the one statement it would have run; a whole-response hit saves every
statement the response cost when it was computed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from services.metrics import (
    CACHE_BYPASSED,
    CACHE_COMPUTED,
    CACHE_ERRORS,
    CACHE_HITS,
    CACHE_MISSES,
    CACHE_STATEMENTS_SAVED,
)


@dataclass
class KindStats:
    hits: int = 0  # found in Redis
    misses: int = 0  # not in Redis (then computed here, by a waiter, or another replica)
    coalesced: int = 0  # served by a computation already in flight in this process
    computed: int = 0  # values computed from PostgreSQL
    statements: int = 0  # computations run (one SQL statement each)
    saved: int = 0  # statements avoided


@dataclass
class CacheStats:
    """Counters since start (or :meth:`reset`), by kind of value."""

    kinds: dict[str, KindStats] = field(default_factory=dict)
    redis_errors: int = 0
    bypassed: int = 0

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    def hit(self, kind: str, count: int = 1) -> None:
        self.kind(kind).hits += count
        CACHE_HITS.labels(kind).inc(count)

    def miss(self, kind: str, count: int = 1) -> None:
        self.kind(kind).misses += count
        CACHE_MISSES.labels(kind).inc(count)

    def coalesce(self, kind: str, count: int = 1) -> None:
        self.kind(kind).coalesced += count

    def computed(self, kind: str, values: int) -> None:
        stats = self.kind(kind)
        stats.computed += values
        stats.statements += 1
        CACHE_COMPUTED.labels(kind).inc(values)

    def saved(self, kind: str, statements: int = 1) -> None:
        self.kind(kind).saved += statements
        CACHE_STATEMENTS_SAVED.labels(kind).inc(statements)

    def redis_error(self, operation: str) -> None:
        self.redis_errors += 1
        CACHE_ERRORS.labels(operation).inc()

    def bypass(self) -> None:
        self.bypassed += 1
        CACHE_BYPASSED.inc()

    def total(self) -> KindStats:
        total = KindStats()
        for stats in self.kinds.values():
            for name, value in asdict(stats).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def reset(self) -> None:
        self.kinds.clear()
        self.redis_errors = 0
        self.bypassed = 0

    def table(self) -> list[tuple[str, KindStats]]:
        return sorted(self.kinds.items())
