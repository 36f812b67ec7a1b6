"""Driver errors become SERVICE_UNAVAILABLE or TIMEOUT by SQLSTATE; everything else is left
to be masked."""

from __future__ import annotations

import pytest
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from services.errors import InvalidInput, ServiceUnavailable, Timeout
from services.faults import translate


class DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


def dbapi_error(sqlstate: str | None, *, invalidated: bool = False) -> sa_errors.DBAPIError:
    return sa_errors.DBAPIError(
        "SELECT 1", {}, DriverError(sqlstate), connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (dbapi_error("57014"), Timeout, "statement timeout"),
        (dbapi_error("08006"), ServiceUnavailable, "connection was lost"),
        (dbapi_error(None, invalidated=True), ServiceUnavailable, "connection was lost"),
        (dbapi_error("57P01"), ServiceUnavailable, "SQLSTATE 57P01"),
        (dbapi_error("57P03"), ServiceUnavailable, "SQLSTATE 57P03"),
        (dbapi_error("53300"), ServiceUnavailable, "SQLSTATE 53300"),
        (sa_errors.TimeoutError("QueuePool limit"), ServiceUnavailable, "no PostgreSQL connection"),
        (redis_errors.ConnectionError("refused"), ServiceUnavailable, "Redis is unavailable"),
        (redis_errors.TimeoutError("slow"), ServiceUnavailable, "Redis is unavailable"),
        (ConnectionResetError(), ServiceUnavailable, "connection failed"),
    ],
)
def test_outages_are_translated(error: BaseException, kind: type, message: str) -> None:
    translated = translate(error)
    assert type(translated) is kind
    assert message in str(translated)


@pytest.mark.parametrize(
    "error",
    [
        dbapi_error("23505"),  # unique violation: a bug or a race, not an outage
        dbapi_error("42P01"),  # undefined table: a bug
        RuntimeError("bug"),
        KeyError("x"),
    ],
)
def test_other_errors_are_left_to_be_masked(error: BaseException) -> None:
    assert translate(error) is None


def test_our_own_errors_pass_through() -> None:
    error = InvalidInput("bad")
    assert translate(error) is error
