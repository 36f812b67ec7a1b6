"""Every Prometheus metric perfgraph exports, defined here and imported where it is updated.

``/metrics`` serves :data:`REGISTRY`. The values live in this process's memory: with several
worker processes each would report its own, so run one worker per container and scale with
replicas (Prometheus scrapes each replica). Multiprocess mode is deliberately not used.

Label values must come from small, fixed sets (never ids, symbols from clients, or error
messages): every distinct label set is a time series kept forever. Client-chosen GraphQL
operation names go through :func:`operation_label`, which caps how many are kept.
"""

from __future__ import annotations

import asyncio
import re
import threading
import weakref
from collections.abc import Iterable
from typing import Any, Protocol

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)  # process_resident_memory_bytes, open fds, GC: for the soak

# --- GraphQL and HTTP (schema/middleware.py, schema/metrics.py) ---
GRAPHQL_DURATION = Histogram(
    "perfgraph_graphql_operation_duration_seconds",
    "Time to execute a GraphQL query or mutation, by operation name and outcome.",
    ["operation", "type", "outcome"],  # outcome: ok | error
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "perfgraph_graphql_errors_total",
    "GraphQL errors returned to clients, by error code (INTERNAL = masked).",
    ["code"],
    registry=REGISTRY,
)
HTTP_IN_FLIGHT = Gauge(
    "perfgraph_http_requests_in_flight", "HTTP requests being handled.", registry=REGISTRY
)
HTTP_TIMEOUTS = Counter(
    "perfgraph_http_request_timeouts_total",
    "Requests cut off by PERFGRAPH_REQUEST_TIMEOUT_S.",
    registry=REGISTRY,
)

# --- Cache (Redis value cache): kind is the cached thing, e.g. "series", "metrics" ---
CACHE_HITS = Counter(
    "perfgraph_cache_hits_total", "Values served from the Redis cache.", ["kind"], registry=REGISTRY
)
CACHE_MISSES = Counter(
    "perfgraph_cache_misses_total",
    "Values computed because the cache did not have them.",
    ["kind"],
    registry=REGISTRY,
)
CACHE_ERRORS = Counter(
    "perfgraph_cache_errors_total",
    "Cache reads or writes that failed (Redis down or slow); the value came from PostgreSQL.",
    ["kind"],
    registry=REGISTRY,
)
CACHE_COMPUTED = Counter(
    "perfgraph_cache_computed_total",
    "Values computed from PostgreSQL after a miss (once per key, however many asked).",
    ["kind"],
    registry=REGISTRY,
)
CACHE_STATEMENTS_SAVED = Counter(
    "perfgraph_cache_statements_saved_total",
    "SQL statements not run thanks to the cache (a response hit: all its execution cost).",
    ["kind"],
    registry=REGISTRY,
)
CACHE_BYPASSED = Counter(
    "perfgraph_cache_bypassed_total",
    "Cache calls skipped, PostgreSQL used, while Redis is considered down (breaker open).",
    registry=REGISTRY,
)
CACHE_REDIS_AVAILABLE = Gauge(
    "perfgraph_cache_redis_available",
    "1 while cache calls go to Redis, 0 while they are bypassed after a failure.",
    registry=REGISTRY,
)
CACHE_REDIS_AVAILABLE.set(1)

# --- Live updates: kind is the subscription field, e.g. "performance", "benchmarkTicks" ---
# ACTIVE_SUBSCRIPTIONS is kept by schema.metrics.OperationObserver for every subscription.
ACTIVE_SUBSCRIPTIONS = Gauge(
    "perfgraph_subscriptions_active", "Open GraphQL subscriptions.", ["kind"], registry=REGISTRY
)
DELIVERIES = Counter(
    "perfgraph_subscription_deliveries_total",
    "Events delivered to subscribers.",
    ["kind"],
    registry=REGISTRY,
)
DROPS = Counter(
    "perfgraph_subscription_drops_total",
    "Events not delivered, by reason (e.g. slow_subscriber: the client was told to resync).",
    ["kind", "reason"],
    registry=REGISTRY,
)

# --- Feeds: timestamps, so alerts compute ages (time() - metric) at query time ---
# The gauges are read from feed_state by the readiness check (any process serving /readyz
# reports every feed, whichever process ingests); FEED_ROWS counts where rows are handled.
# ``feed`` is "SYMBOL:kind" of a registered benchmark: operator-defined, a small set.
FEED_LAST_RECEIVED = Gauge(
    "perfgraph_feed_last_received_timestamp_seconds",
    "Unix time the feed last delivered rows (new, revised or identical to those stored).",
    ["feed"],
    registry=REGISTRY,
)
FEED_STALE = Gauge(
    "perfgraph_feed_stale",
    "1 when the feed's benchmark is stale on its trading calendar (docs/feeds.md), else 0.",
    ["feed"],
    registry=REGISTRY,
)
FEED_AS_OF = Gauge(
    "perfgraph_feed_as_of_timestamp_seconds",
    "Unix time of the newest observation the feed has stored (market time).",
    ["feed"],
    registry=REGISTRY,
)
FEED_ROWS = Counter(
    "perfgraph_feed_rows_total",
    "Rows a feed handled, by result (stored | duplicate | quarantined).",
    ["feed", "result"],
    registry=REGISTRY,
)

_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
MAX_OPERATION_LABELS = 200
_operations: set[str] = set()
_operations_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """The label for a client-chosen operation name: the first 200 names kept, then "other"."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.match(name):
        return "other"
    with _operations_lock:
        if name in _operations:
            return name
        if len(_operations) >= MAX_OPERATION_LABELS:
            return "other"
        _operations.add(name)
        return name


class PoolCollector:
    """SQLAlchemy pool usage, read at scrape time (nothing to update on the hot path)."""

    def __init__(self) -> None:
        self._pools: dict[str, AsyncEngine] = {}

    def watch(self, engine: AsyncEngine, name: str = "primary") -> None:
        """Report ``engine``'s pool as ``name`` (a later engine with that name replaces it)."""
        self._pools[name] = engine

    def forget(self, engine: AsyncEngine) -> None:
        self._pools = {n: e for n, e in self._pools.items() if e is not engine}

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        families = self._families()
        for name, engine in list(self._pools.items()):
            pool = engine.pool
            if not isinstance(pool, QueuePool):
                continue
            families[0].add_metric([name], pool.size())
            families[1].add_metric([name], pool.checkedout())
            families[2].add_metric([name], max(pool.overflow(), 0))
            families[3].add_metric([name], pool.checkedin())
        return families

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        def family(suffix: str, text: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"perfgraph_db_pool_{suffix}", text, labels=["pool"])

        return [
            family("size", "Configured pool size (PERFGRAPH_DB_POOL_SIZE)."),
            family("checked_out", "Connections in use by requests right now."),
            family("overflow", "Connections open beyond the pool size."),
            family("idle", "Open connections waiting in the pool."),
        ]


class TaskCollector:
    """Live asyncio tasks in the serving loop: flat under steady load, or something leaks."""

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("perfgraph_asyncio_tasks", "Live asyncio tasks.")]

    def collect(self) -> Iterable[Metric]:
        try:
            count = len(asyncio.all_tasks())
        except RuntimeError:  # scraped outside the event loop: nothing to report
            return []
        return [GaugeMetricFamily("perfgraph_asyncio_tasks", "Live asyncio tasks.", value=count)]


class HasStats(Protocol):
    def stats(self) -> dict[str, Any]: ...


class PubSubCollector:
    """The process's Redis pub/sub connections (services/pubsub.py), read at scrape time.

    Channels should follow the live subscriptions down to zero when they end; a count that
    only grows means listeners are not released.
    """

    def __init__(self) -> None:
        # Weak: a bridge whose resources were never closed (a test's) is not kept alive.
        self._bridges: weakref.WeakSet[HasStats] = weakref.WeakSet()

    def watch(self, bridge: HasStats) -> None:
        self._bridges.add(bridge)

    def forget(self, bridge: HasStats) -> None:
        self._bridges.discard(bridge)

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        channels, listeners, reconnects = self._families()
        stats = [bridge.stats() for bridge in list(self._bridges)]
        channels.add_metric([], sum(s["channels"] for s in stats))
        listeners.add_metric([], sum(s["listeners"] for s in stats))
        reconnects.add_metric([], sum(s["reconnects"] for s in stats))
        return [channels, listeners, reconnects]

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, CounterMetricFamily]:
        return (
            GaugeMetricFamily(
                "perfgraph_pubsub_channels", "Redis channels this process is subscribed to."
            ),
            GaugeMetricFamily(
                "perfgraph_pubsub_listeners",
                "Local listeners (live topics) on those channels.",
            ),
            CounterMetricFamily(
                "perfgraph_pubsub_reconnects",
                "Times the pub/sub connection was lost (then re-established and resynced).",
            ),
        )


DB_POOL = PoolCollector()
REGISTRY.register(DB_POOL)
REGISTRY.register(TaskCollector())
PUBSUB = PubSubCollector()
REGISTRY.register(PUBSUB)
