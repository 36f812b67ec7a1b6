"""``perfgraph accounts|keys|grants|queries`` against the test database."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.config import Settings, get_settings
from services.resources import Resources


@pytest.fixture
def perfgraph(
    settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A CLI runner on the session's (migrated) database."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    monkeypatch.setenv("PERFGRAPH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFGRAPH_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_create_list_grant_revoke(perfgraph: CliRunner) -> None:
    account = f"cli-{uuid.uuid4().hex[:8]}"
    run(perfgraph, "accounts", "create", account)
    created = run(
        perfgraph, "keys", "create", "--account", account, "--name", "feed", "--scope", "read"
    )
    key = re.search(r"pgk_([0-9a-f]{8})_\S+", created)
    assert key is not None
    prefix = key.group(1)
    listed = run(perfgraph, "keys", "list", "--account", account)
    assert prefix in listed
    assert "active" in listed
    assert key.group(0) not in listed  # the secret is shown once only

    run(perfgraph, "grants", "add", account, "stock-ko")
    assert run(perfgraph, "grants", "list", account).split() == ["stock-ko"]
    run(perfgraph, "grants", "remove", account, "stock-ko")
    assert run(perfgraph, "grants", "list", account).split() == []

    assert f"revoked {prefix}" in run(perfgraph, "keys", "revoke", prefix)
    assert "revoked" in run(perfgraph, "keys", "list", "--account", account)


def test_clear_errors(perfgraph: CliRunner) -> None:
    out = run(
        perfgraph,
        "keys",
        "create",
        "--account",
        "nobody-here",
        "--name",
        "x",
        "--scope",
        "read",
        code=1,
    )
    assert "unknown account 'nobody-here'" in out
    account = f"cli-{uuid.uuid4().hex[:8]}"
    run(perfgraph, "accounts", "create", account)
    out = run(
        perfgraph,
        "keys",
        "create",
        "--account",
        account,
        "--name",
        "x",
        "--scope",
        "write:everything",
        code=1,
    )
    assert "unknown scope(s) ['write:everything']" in out
    assert "unknown API key prefix 'ffffffff'" in run(
        perfgraph, "keys", "revoke", "ffffffff", code=1
    )


def test_register_queries(perfgraph: CliRunner, tmp_path: Path) -> None:
    document = tmp_path / "spx.graphql"
    document.write_text(f'query Spx{uuid.uuid4().hex} {{ benchmark(symbol: "SPX") {{ name }} }}\n')
    added = run(perfgraph, "queries", "add", str(document))
    sha = added.split()[0]
    assert len(sha) == 64
    assert sha in run(perfgraph, "queries", "list")
