"""Cache-aside on a real Redis: batching, single flight, locks across replicas, failures."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from services import keys
from services.cache import Cache
from services.metrics import REGISTRY
from services.resources import Resources
from tests.redis_server import RedisServer


def replica(resources: Resources, redis: Redis | None = None, **settings: object) -> Cache:
    """The cache as one process has it: its own statistics, flights and breaker."""
    updated = resources.settings.model_copy(update=settings)
    return Cache(updated, redis or resources.redis, resources.sessions, resources.engine)


class Computation:
    """Stands for a loader's SQL statement: records every batch of keys it computes."""

    def __init__(self, pause: float = 0.0, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.pause = pause
        self.fail = fail
        self.started = asyncio.Event()

    async def __call__(self, ks: list[int]) -> list[dict[str, Any]]:
        self.batches.append(list(ks))
        self.started.set()
        await asyncio.sleep(self.pause)
        if self.fail:
            raise ConnectionError("database went away")
        return [{"key": k, "value": k * 1.5} for k in ks]

    @property
    def computed(self) -> list[int]:
        return sorted(k for batch in self.batches for k in batch)


def items(cache: Cache, kind: str, ks: list[int]) -> list[tuple[str | None, int]]:
    return [(cache.key(kind, k), k) for k in ks]


async def command_calls(redis: Redis, command: str) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_one_read_per_batch_and_one_computation_for_the_misses(
    resources: Resources,
) -> None:
    cache, kind, compute = replica(resources), f"t-{uuid.uuid4().hex}", Computation()
    first = await cache.load_many(kind, items(cache, kind, [1, 2, 3]), compute)
    assert first == [{"key": k, "value": k * 1.5} for k in (1, 2, 3)]
    assert compute.batches == [[1, 2, 3]]
    scripts = await command_calls(cache.redis, "evalsha")
    sets = await command_calls(cache.redis, "set")
    again = await cache.load_many(kind, items(cache, kind, [3, 1, 2, 5, 4, 1]), compute)
    assert [v["key"] for v in again] == [3, 1, 2, 5, 4, 1]
    assert compute.batches == [[1, 2, 3], [5, 4]]  # the misses only, once each, together
    assert await command_calls(cache.redis, "evalsha") == scripts + 2  # one read, one write
    assert await command_calls(cache.redis, "set") == sets + 4  # 2 locks, 2 values
    stats = cache.stats.kind(kind)
    assert (stats.hits, stats.misses, stats.computed, stats.statements) == (3, 5, 5, 2)
    await cache.load_many(kind, items(cache, kind, [1, 4]), compute)
    assert cache.stats.kind(kind).saved == 1
    ttl = await cache.redis.ttl(cache.key(kind, 1))
    assert 0 < ttl <= resources.settings.cache_ttl_s


async def test_uncached_keys_join_the_same_computation(resources: Resources) -> None:
    cache, kind, compute = replica(resources), f"t-{uuid.uuid4().hex}", Computation()
    wanted = [(cache.key(kind, 1), 1), (None, 2), (cache.key(kind, 3), 3)]
    values = await cache.load_many(kind, wanted, compute)
    assert [v["key"] for v in values] == [1, 2, 3]
    await cache.load_many(kind, wanted, compute)
    assert compute.batches == [[1, 3, 2], [2]]


async def test_concurrent_misses_in_one_process_compute_once(resources: Resources) -> None:
    cache, kind, compute = replica(resources), f"t-{uuid.uuid4().hex}", Computation(pause=0.05)
    results = await asyncio.gather(
        *(cache.load_many(kind, items(cache, kind, [1, 2, 3]), compute) for _ in range(50))
    )
    assert compute.computed == [1, 2, 3]
    assert all(r == results[0] for r in results)
    assert cache.stats.kind(kind).coalesced == 49 * 3


async def test_concurrent_misses_on_two_replicas_compute_once(resources: Resources) -> None:
    kind, compute = f"t-{uuid.uuid4().hex}", Computation(pause=0.1)
    replicas = [replica(resources), replica(resources)]
    results = await asyncio.gather(
        *(c.load_many(kind, items(c, kind, [7, 8]), compute) for c in replicas * 10)
    )
    assert compute.computed == [7, 8]
    assert all(r == results[0] for r in results)


async def test_a_lock_left_by_a_dead_replica_delays_but_never_blocks(
    resources: Resources,
) -> None:
    cache, kind, compute = replica(resources), f"t-{uuid.uuid4().hex}", Computation()
    await cache.redis.set(keys.lock_key(cache.key(kind, 1)), b"1", px=60_000)
    values = await cache.load_many(kind, items(cache, kind, [1]), compute)
    assert values == [{"key": 1, "value": 1.5}]
    assert compute.batches == [[1]]


async def test_a_failed_computation_fails_its_waiters_and_caches_nothing(
    resources: Resources,
) -> None:
    cache, kind = replica(resources), f"t-{uuid.uuid4().hex}"
    failing = Computation(pause=0.05, fail=True)
    results = await asyncio.gather(
        *(cache.load_many(kind, items(cache, kind, [1]), failing) for _ in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert failing.batches == [[1]]
    assert not await cache.redis.exists(keys.lock_key(cache.key(kind, 1)))
    working = Computation()
    assert await cache.load_many(kind, items(cache, kind, [1]), working) == [
        {"key": 1, "value": 1.5}
    ]
    assert working.batches == [[1]]


async def test_a_cancelled_computation_leaves_its_waiters_to_compute(
    resources: Resources,
) -> None:
    """A client that goes away cancels its request; whoever waited on its computation still
    gets the value (computed again), not the cancellation."""
    cache, kind = replica(resources), f"t-{uuid.uuid4().hex}"
    abandoned, working = Computation(pause=60), Computation()
    leader = asyncio.create_task(cache.load_many(kind, items(cache, kind, [1]), abandoned))
    await abandoned.started.wait()
    follower = asyncio.create_task(cache.load_many(kind, items(cache, kind, [1]), working))
    await asyncio.sleep(0)  # the follower finds the computation in flight and waits for it
    leader.cancel()
    assert await follower == [{"key": 1, "value": 1.5}]
    assert working.batches == [[1]]
    assert leader.cancelled()


async def test_an_undecodable_entry_is_recomputed(resources: Resources) -> None:
    cache, kind, compute = replica(resources), f"t-{uuid.uuid4().hex}", Computation()
    await cache.redis.set(cache.key(kind, 1), b"\xc1garbage")
    assert await cache.load_many(kind, items(cache, kind, [1]), compute) == [
        {"key": 1, "value": 1.5}
    ]
    assert compute.batches == [[1]]
    assert await cache.load_many(kind, items(cache, kind, [1]), compute)
    assert compute.batches == [[1]]  # the bad entry was replaced


def late_errors() -> float:
    return REGISTRY.get_sample_value("perfgraph_cache_errors_total", {"kind": "late"}) or 0.0


def available() -> float | None:
    return REGISTRY.get_sample_value("perfgraph_cache_redis_available")


async def test_redis_down_then_back(resources: Resources, caplog: pytest.LogCaptureFixture) -> None:
    """Down: values come from the computation, one failure opens the breaker, a log line and
    the metrics say so. Back: the first call after the retry interval resumes caching."""
    server = RedisServer()  # not started yet: nothing listens on its port
    redis = Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
    cache = replica(resources, redis, cache_retry_s=0.2)
    kind, compute = f"t-{uuid.uuid4().hex}", Computation()
    try:
        with caplog.at_level(logging.WARNING, logger="perfgraph.cache"):
            for _ in range(3):
                assert len(await cache.load_many(kind, items(cache, kind, [1, 2]), compute)) == 2
        assert compute.batches == [[1, 2]] * 3
        assert cache.stats.redis_errors == 1  # then bypassed, not retried per request
        assert cache.stats.bypassed >= 2
        assert available() == 0
        said = [r.getMessage() for r in caplog.records if "from PostgreSQL" in r.getMessage()]
        assert len(said) == 1
        server.start()
        await asyncio.sleep(0.25)
        await cache.load_many(kind, items(cache, kind, [1, 2]), compute)
        await cache.load_many(kind, items(cache, kind, [1, 2]), compute)
        assert compute.batches == [[1, 2]] * 4  # the fourth was stored, the fifth a hit
        assert cache.stats.kind(kind).hits == 2
        assert available() == 1
    finally:
        await redis.aclose()
        server.stop()


async def test_a_hung_redis_costs_one_bounded_wait(resources: Resources) -> None:
    server = RedisServer()
    server.start()
    redis = Redis.from_url(server.url, socket_timeout=5)
    cache = replica(resources, redis, cache_timeout_s=0.2, cache_retry_s=60)
    kind, compute = f"t-{uuid.uuid4().hex}", Computation()
    try:
        await cache.load_many(kind, items(cache, kind, [1]), compute)
        server.pause()
        loads = (cache.load_many(kind, items(cache, kind, [1, 2]), compute) for _ in range(3))
        results = await asyncio.wait_for(asyncio.gather(*loads), timeout=3)
        assert all(len(r) == 2 for r in results)
        assert cache.stats.redis_errors == 1
        assert cache.guard.is_open
    finally:
        await redis.aclose()
        server.stop()


async def test_a_timeout_while_this_process_is_saturated_does_not_open_the_breaker(
    resources: Resources,
) -> None:
    """CPU-bound work holds the event loop in 30 ms turns, as a saturated process does: the
    call that times out meanwhile uses PostgreSQL, but the breaker stays closed (sending every
    request to PostgreSQL would only add load). The same hang on an idle loop opens it."""
    server = RedisServer()
    server.start()
    redis = Redis.from_url(server.url, socket_timeout=5)
    cache = replica(resources, redis, cache_timeout_s=0.2, cache_retry_s=60)
    kind, compute = f"t-{uuid.uuid4().hex}", Computation()
    stop = asyncio.Event()

    async def saturate() -> None:
        while not stop.is_set():
            time.sleep(0.03)  # noqa: ASYNC251 - the point: a turn of the loop spent computing
            await asyncio.sleep(0)

    try:
        await cache.load_many(kind, items(cache, kind, [1]), compute)
        late_before = late_errors()
        server.pause()
        hog = asyncio.create_task(saturate())
        try:
            assert len(await cache.load_many(kind, items(cache, kind, [1, 2]), compute)) == 2
        finally:
            stop.set()
            await hog
        assert cache.stats.redis_errors >= 1  # the read timed out (and the write after it)
        assert late_errors() - late_before == cache.stats.redis_errors  # each one "late"
        assert not cache.guard.is_open
        await cache.load_many(kind, items(cache, kind, [3]), compute)  # idle loop, still hung
        assert cache.guard.is_open
    finally:
        await redis.aclose()
        server.stop()
