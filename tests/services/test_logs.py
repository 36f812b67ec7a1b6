"""Log lines: JSON objects (production) or readable text, with the bound request context."""

from __future__ import annotations

import asyncio
import json
import logging

from services import logs
from services.config import LogFormat, load_settings
from services.logs import ContextFilter, JsonFormatter, TextFormatter

SECRET = "s" * 32  # production needs a report secret


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "perfgraph.test", "levelname": "INFO", "msg": message})
    made.__dict__.update(extra)
    ContextFilter().filter(made)
    return made


def test_json_lines_carry_context_and_extra_fields() -> None:
    with logs.bind(request_id="r-1"):
        logs.annotate(operation="Probe", principal=None)
        line = json.loads(JsonFormatter().format(record("hello %s", duration_ms=1.5)))
    assert line["message"] == "hello %s"
    assert (line["level"], line["logger"]) == ("INFO", "perfgraph.test")
    assert (line["request_id"], line["operation"], line["duration_ms"]) == ("r-1", "Probe", 1.5)
    assert "principal" not in line


def test_text_lines_are_readable() -> None:
    with logs.bind(request_id="r-2"):
        text = TextFormatter().format(record("served", status=200))
    assert text.endswith("INFO    perfgraph.test: served  [request_id=r-2 status=200]")


async def test_context_reaches_tasks_and_ends_with_the_block() -> None:
    async def child() -> str | None:
        return logs.current("request_id")

    with logs.bind(request_id="outer"):
        with logs.bind(request_id="inner"):
            assert await asyncio.create_task(child()) == "inner"
        assert logs.current("request_id") == "outer"
    assert logs.current("request_id") is None
    logs.annotate(operation="nowhere")  # outside any request: ignored
    assert logs.current("operation") is None


def test_format_follows_the_environment_unless_set() -> None:
    assert load_settings(environment="production", report_secret=SECRET).logs_as_json
    assert not load_settings(environment="development").logs_as_json
    assert load_settings(log_format=LogFormat.JSON).logs_as_json
    assert not load_settings(
        environment="production", log_format="text", report_secret=SECRET
    ).logs_as_json


def test_configure_logging_installs_one_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        logs.configure_logging(load_settings(log_level="warning"))
        logs.configure_logging(load_settings(log_level="debug"))
        ours = [h for h in root.handlers if h.get_name() == "perfgraph"]
        assert len(ours) == 1
        assert root.level == logging.DEBUG
    finally:
        for handler in [h for h in root.handlers if h not in before[0]]:
            root.removeHandler(handler)
        root.setLevel(before[1])
