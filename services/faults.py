"""Driver errors from PostgreSQL and Redis, translated into the error tree at one boundary.

An outage or a broken connection is an expected event in production: the client gets a
clear ``SERVICE_UNAVAILABLE`` (or ``TIMEOUT``) error it can retry, not a masked crash, and
the operator gets one warning line instead of a stack trace. PostgreSQL errors are matched
on SQLSTATE, never on message text.
"""

from __future__ import annotations

import asyncio

from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from services.errors import PerfgraphError, ServiceUnavailable, Timeout

# Server going away, or refusing new work until it is back (admin/crash shutdown, starting
# up, too many connections, out of resources, a standby that cannot take writes).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "53400", "25006"})
_QUERY_CANCELED = "57014"  # statement_timeout


def translate(exc: BaseException) -> PerfgraphError | None:
    """The :class:`PerfgraphError` an infrastructure failure stands for; None for the rest."""
    if isinstance(exc, PerfgraphError):
        return exc
    if isinstance(exc, sa_errors.TimeoutError):
        return ServiceUnavailable("no PostgreSQL connection became free in time; retry later")
    if isinstance(exc, sa_errors.DBAPIError):
        return _translate_database(exc)
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return ServiceUnavailable(f"Redis is unavailable ({type(exc).__name__}); retry later")
    if isinstance(exc, ConnectionError | asyncio.TimeoutError):
        return ServiceUnavailable(f"a server connection failed ({type(exc).__name__})")
    return None


def _translate_database(exc: sa_errors.DBAPIError) -> PerfgraphError | None:
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate == _QUERY_CANCELED:
        return Timeout("the database statement was cancelled: it ran past the statement timeout")
    if exc.connection_invalidated or sqlstate.startswith("08"):
        return ServiceUnavailable("the PostgreSQL connection was lost; retry the request")
    if sqlstate in _UNAVAILABLE_SQLSTATES:
        return ServiceUnavailable(f"PostgreSQL is unavailable (SQLSTATE {sqlstate}); retry later")
    return None
