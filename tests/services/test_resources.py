"""Production never starts embedded servers; a configured server that is down is named."""

from __future__ import annotations

import pytest

from services.config import load_settings
from services.errors import ConfigurationError, ServiceUnavailable
from services.resources import open_resources


async def test_production_requires_configured_servers() -> None:
    settings = load_settings(
        environment="production",
        database_url=None,
        redis_url="redis://127.0.0.1:1/0",
        report_secret="r" * 32,
    )
    with pytest.raises(ConfigurationError, match="PERFGRAPH_DATABASE_URL and PERFGRAPH_REDIS_URL"):
        await open_resources(settings)


async def test_an_unreachable_database_is_named_without_its_password() -> None:
    settings = load_settings(
        database_url="postgresql://perfgraph:hunter2@127.0.0.1:1/perfgraph",
        redis_url="redis://127.0.0.1:1/0",
    )
    with pytest.raises(ServiceUnavailable) as raised:
        await open_resources(settings, require_redis=False)
    assert "PostgreSQL at postgresql+asyncpg://perfgraph:***@127.0.0.1:1/perfgraph" in str(
        raised.value
    )
    assert "hunter2" not in str(raised.value)
