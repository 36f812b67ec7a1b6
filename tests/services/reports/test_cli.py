"""``perfgraph report``: a report written to a file from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.config import get_settings
from services.resources import Resources
from tests.api.reports import sections


@pytest.fixture
def environment(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    """The CLI reads its settings from the environment: point it at the test database."""
    settings = resources.settings
    assert settings.database_url is not None
    assert settings.redis_url is not None
    monkeypatch.setenv("PERFGRAPH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFGRAPH_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("PERFGRAPH_ENVIRONMENT", "test")
    monkeypatch.setenv("PERFGRAPH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_report_writes_a_csv_file(environment: None, tmp_path: Path) -> None:
    out = tmp_path / "ko.csv"
    result = CliRunner().invoke(
        app,
        ["report", "stock-ko", "--format", "csv", "--benchmark", "spx",
         "--window", "2020-01-01:2020-12-31", "--section", "metrics", "--section", "series",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "report written" in result.output
    report = sections(out.read_text())
    assert list(report) == ["report", "metrics", "series"]
    assert report["series"][0]["date"] == "2020-01-02"
    assert report["series"][-1]["date"] == "2020-12-31"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_report_names_an_unknown_strategy_and_leaves_no_file(
    environment: None, tmp_path: Path
) -> None:
    out = tmp_path / "nope.pdf"
    result = CliRunner().invoke(app, ["report", "no-such-strategy", "--out", str(out)])
    assert result.exit_code == 1
    assert "unknown strategy 'no-such-strategy'" in result.output
    assert not out.exists()


def test_report_explains_a_bad_window(environment: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "stock-ko", "--window", "2Y"])
    assert result.exit_code == 1
    assert "unknown window '2Y'" in result.output
