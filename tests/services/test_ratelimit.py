"""GCRA in Redis, and the per-process fallback when Redis cannot be reached."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from services.ratelimit import FALLBACKS, Limit, LocalLimiter, RateLimiter, weight
from services.resources import Resources


async def test_a_burst_then_a_precise_retry_after(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis)
    limit = Limit(per_minute=60, burst=3)  # one unit a second, three at once
    who = f"test:{uuid.uuid4().hex}"
    decisions = [await limiter.hit(who, limit, 1) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0.9 < decisions[-1].retry_after_s <= 1.0
    assert (await limiter.hit(f"other:{uuid.uuid4().hex}", limit, 1)).allowed


async def test_costly_requests_spend_more_units(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis)
    limit = Limit(per_minute=600, burst=10)
    who = f"test:{uuid.uuid4().hex}"
    assert (await limiter.hit(who, limit, 8)).allowed
    refused = await limiter.hit(who, limit, 3)
    assert not refused.allowed
    assert 0.05 < refused.retry_after_s <= 0.1  # one unit short, at 10 units a second
    assert (await limiter.hit(who, limit, 2)).allowed


async def test_a_whole_burst_at_once_under_a_high_limit(resources: Resources) -> None:
    """Under a millisecond per unit: the burst is still spent exactly, not rounded up."""
    limiter = RateLimiter(resources.redis)
    limit = Limit(per_minute=6_000_000, burst=120)  # 10 µs a unit, 1.2 ms of burst
    who = f"test:{uuid.uuid4().hex}"
    assert (await limiter.hit(who, limit, 120)).allowed
    refused = await limiter.hit(who, limit, 120)
    assert not refused.allowed
    assert 0 < refused.retry_after_s <= 0.0012


async def test_a_key_allowed_millions_of_units_a_minute_is_not_refused(
    resources: Resources,
) -> None:
    limiter = RateLimiter(resources.redis)
    limit = Limit(per_minute=10_000_000, burst=120)
    who = f"test:{uuid.uuid4().hex}"
    decisions = [await limiter.hit(who, limit, 1) for _ in range(200)]
    assert all(d.allowed for d in decisions)


@pytest.mark.parametrize(
    ("cost", "units"), [(0, 1), (1, 1), (1000, 1), (1001, 2), (50_000, 50), (10**9, 120)]
)
def test_weight_is_cost_in_units_within_one_burst(cost: int, units: int) -> None:
    assert weight(cost, 1000, Limit(per_minute=600, burst=120)) == units


async def test_redis_down_falls_back_to_a_local_limiter(unused_tcp_port: int) -> None:
    no_retries = Retry(NoBackoff(), retries=0)
    unreachable = Redis(host="127.0.0.1", port=unused_tcp_port, retry=no_retries)
    limiter = RateLimiter(unreachable)
    before = FALLBACKS._value.get()
    limit = Limit(per_minute=60, burst=2)
    decisions = [await limiter.hit("test:down", limit, 1) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert 0.9 < decisions[-1].retry_after_s <= 1.0
    assert FALLBACKS._value.get() == before + 3
    await unreachable.aclose()


def test_local_limiter_forgets_the_oldest_principals_first() -> None:
    local = LocalLimiter(max_entries=2)
    limit = Limit(per_minute=60, burst=1)
    for who in ("a", "b", "c"):
        assert local.hit(who, limit, 1).allowed
    assert local.hit("a", limit, 1).allowed  # "a" was evicted: a fresh budget
    assert not local.hit("c", limit, 1).allowed
