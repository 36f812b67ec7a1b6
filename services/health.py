"""Readiness: may this process take traffic? A registry of named checks, run concurrently.

A check is an async function of the resources returning a :class:`CheckResult` (or raising:
that counts as a failure, with the error as its detail). Each check has a time limit.

``critical`` checks decide readiness: one failing makes ``/readyz`` answer 503, and the load
balancer stops sending this replica traffic. Non-critical checks are reported (status
``degraded``) without taking the replica out: use them for conditions every replica shares
and that serving still survives, such as Redis (reads fall back to PostgreSQL) or a stale
feed (the data is old, not wrong); failing all replicas for those would turn a degraded
service into an outage.

Add a check to :func:`default_checks`, or ``checks.register(...)`` on the app's registry
(``app.state.readiness``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from services.db.migrate import migration_state
from services.faults import translate
from services.feeds.status import describe_stale, export_metrics, feed_statuses, is_alarming
from services.resources import Resources


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = ""


Check = Callable[[Resources], Awaitable[CheckResult]]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    critical: bool
    detail: str
    duration_ms: float


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, Outcome]

    @property
    def ready(self) -> bool:
        return all(o.ok for o in self.checks.values() if o.critical)

    @property
    def status(self) -> str:
        if not self.ready:
            return "unavailable"
        return "ready" if all(o.ok for o in self.checks.values()) else "degraded"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checks": {
                name: {
                    "ok": o.ok,
                    "critical": o.critical,
                    "detail": o.detail,
                    "durationMs": round(o.duration_ms, 1),
                }
                for name, o in self.checks.items()
            },
        }


@dataclass
class ReadinessChecks:
    _checks: dict[str, tuple[Check, bool]] = field(default_factory=dict)

    def register(self, name: str, check: Check, *, critical: bool = True) -> None:
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = (check, critical)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run(self, resources: Resources, timeout_s: float) -> Readiness:
        names = list(self._checks)
        outcomes = await asyncio.gather(
            *(self._run_one(resources, *self._checks[n], timeout_s) for n in names)
        )
        return Readiness(dict(zip(names, outcomes, strict=True)))

    @staticmethod
    async def _run_one(
        resources: Resources, check: Check, critical: bool, timeout_s: float
    ) -> Outcome:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                result = await check(resources)
        except TimeoutError:
            result = CheckResult(False, f"no answer within {timeout_s:g}s")
        except Exception as exc:
            result = CheckResult(False, str(translate(exc) or f"{type(exc).__name__}: {exc}"))
        elapsed = (time.perf_counter() - start) * 1000
        return Outcome(result.ok, critical, result.detail, elapsed)


async def check_postgres(resources: Resources) -> CheckResult:
    async with resources.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return CheckResult(True)


async def check_redis(resources: Resources) -> CheckResult:
    await resources.redis.ping()
    return CheckResult(True)


async def check_migrations(resources: Resources) -> CheckResult:
    state = await migration_state(resources.engine)
    if state.status == "behind":
        return CheckResult(False, f"database at {state.current}, this release needs {state.head}")
    if state.status == "ahead":
        return CheckResult(True, f"database at {state.current}, newer than {state.head}")
    return CheckResult(True, f"at {state.head}")


async def check_feeds(resources: Resources) -> CheckResult:
    """Stale feeds (on their trading calendars); refreshes the feed gauges on the way."""
    statuses = await feed_statuses(resources)
    export_metrics(statuses)
    stale = [s for s in statuses if is_alarming(s)]
    if stale:
        return CheckResult(False, describe_stale(stale))
    return CheckResult(True, f"{len(statuses)} feed(s), none stale")


def default_checks() -> ReadinessChecks:
    checks = ReadinessChecks()
    checks.register("postgres", check_postgres)
    checks.register("migrations", check_migrations)
    # Non-critical: without Redis, queries are served from PostgreSQL (slower, not down).
    checks.register("redis", check_redis, critical=False)
    # Non-critical: stale data is served with its freshness; every replica shares it.
    checks.register("feeds", check_feeds, critical=False)
    return checks
