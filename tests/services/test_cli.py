"""``perfgraph check``: the readiness checks from the command line, for workers without HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from typer.testing import CliRunner

from services import keys
from services.cli import app
from services.config import get_settings
from services.resources import Resources


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_check_reports_ready(resources: Resources, environment: pytest.MonkeyPatch) -> None:
    environment.setenv("PERFGRAPH_DATABASE_URL", resources.settings.database_url or "")
    environment.setenv("PERFGRAPH_REDIS_URL", resources.settings.redis_url or "")
    environment.setenv("PERFGRAPH_READINESS_TIMEOUT_S", "15")  # a busy machine is not "down"
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["ready"], report["status"]) == (True, "ready")
    assert set(report["checks"]) == {"postgres", "migrations", "redis", "feeds"}


def test_check_fails_when_postgres_is_unreachable(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("PERFGRAPH_DATABASE_URL", "postgresql://perfgraph@127.0.0.1:1/perfgraph")
    environment.setenv("PERFGRAPH_REDIS_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "PostgreSQL at postgresql+asyncpg://perfgraph@127.0.0.1:1/perfgraph" in output
    assert "cannot be reached" in output


def test_cache_clear_deletes_cache_keys_only(
    resources: Resources, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("PERFGRAPH_DATABASE_URL", resources.settings.database_url or "")
    environment.setenv("PERFGRAPH_REDIS_URL", resources.settings.redis_url or "")
    cached = [keys.cache_key("cli-test", 1), keys.version_key("strategy:999999")]
    kept = keys.rate_limit_key("cli-test")
    client = redis.Redis.from_url(resources.settings.redis_url or "")
    try:
        for name in [*cached, kept]:
            client.set(name, b"1")
        result = CliRunner().invoke(app, ["cache", "clear"])
        assert result.exit_code == 0, result.output
        assert "cache cleared" in result.output
        assert client.exists(*cached) == 0
        assert client.exists(kept) == 1
    finally:
        client.delete(kept)
        client.close()
