"""/healthz and /readyz: JSON detail per check, 200 or 503, draining."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from schema.app import create_app
from services.health import CheckResult, default_checks
from services.resources import Resources


async def test_healthz_answers_without_touching_the_servers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_every_check(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    body = response.json()
    checks = body["checks"]
    assert set(checks) == {"postgres", "redis", "migrations", "feeds"}
    assert all(checks[name]["ok"] for name in ("postgres", "redis", "migrations"))
    assert checks["migrations"]["detail"].startswith("at ")
    assert {name for name, check in checks.items() if not check["critical"]} == {"redis", "feeds"}
    # Feeds other tests left stale only degrade readiness: the data is served with its age.
    expected = "ready" if checks["feeds"]["ok"] else "degraded"
    assert (response.status_code, body["status"]) == (200, expected)


async def failing(resources: Resources) -> CheckResult:
    return CheckResult(False, "feed SPX is 3 days old")


async def broken(resources: Resources) -> CheckResult:
    raise RuntimeError("boom")


async def hanging(resources: Resources) -> CheckResult:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("check", "critical", "status", "code", "detail"),
    [
        (failing, True, "unavailable", 503, "feed SPX is 3 days old"),
        (failing, False, "degraded", 200, "feed SPX is 3 days old"),
        (broken, True, "unavailable", 503, "RuntimeError: boom"),
        (hanging, False, "degraded", 200, "no answer within 0.2s"),
    ],
)
async def test_a_registered_check_decides_readiness_only_when_critical(
    resources: Resources, check: object, critical: bool, status: str, code: int, detail: str
) -> None:
    readiness = default_checks()
    readiness.register("extra", check, critical=critical)  # type: ignore[arg-type]
    settings = resources.settings.model_copy(update={"readiness_timeout_s": 0.2})
    app = create_app(settings, resources=resources, readiness=readiness)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        response = await c.get("/readyz")
    body = response.json()
    assert (response.status_code, body["status"]) == (code, status)
    assert body["checks"]["extra"] == {
        "ok": False,
        "critical": critical,
        "detail": detail,
        "durationMs": body["checks"]["extra"]["durationMs"],
    }
    assert body["checks"]["postgres"]["ok"] is True


def test_a_check_name_is_registered_once() -> None:
    readiness = default_checks()
    with pytest.raises(ValueError, match="'postgres' is already registered"):
        readiness.register("postgres", failing)


async def test_draining_turns_readiness_red_but_not_liveness(resources: Resources) -> None:
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://perfgraph.test") as c:
        app.state.lifecycle.begin_draining()
        ready = await c.get("/readyz")
        assert (ready.status_code, ready.json()["status"]) == (503, "draining")
        assert (await c.get("/healthz")).status_code == 200
