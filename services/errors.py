"""Errors raised below the GraphQL layer.

    PerfgraphError
    ├── ConfigurationError      a setting is missing or invalid (start-up)
    ├── ServiceUnavailable      PostgreSQL or Redis cannot be reached, or a connection broke
    ├── Timeout                 a statement or request ran past its time limit
    ├── UpstreamError           a third-party source (an HTTP feed) failed or timed out
    ├── NotFound                a named entity does not exist
    ├── Unauthenticated         credentials are missing, malformed, unknown, expired or revoked
    ├── PermissionDenied        the principal may not see or change it
    ├── RateLimited             the principal spent its request budget; retry after a delay
    └── InvalidInput            arguments are malformed or inconsistent
        └── InvalidWindow       a performance window cannot be resolved

Resolvers map these to GraphQL errors with a stable ``code`` extension; anything else is
unexpected and is masked.
"""

from __future__ import annotations


class PerfgraphError(Exception):
    code = "INTERNAL"


class ConfigurationError(PerfgraphError):
    code = "CONFIGURATION"


class ServiceUnavailable(PerfgraphError):
    code = "SERVICE_UNAVAILABLE"


class Timeout(PerfgraphError):
    code = "TIMEOUT"


class UpstreamError(PerfgraphError):
    code = "UPSTREAM_ERROR"


class NotFound(PerfgraphError):
    code = "NOT_FOUND"


class Unauthenticated(PerfgraphError):
    code = "UNAUTHENTICATED"


class PermissionDenied(PerfgraphError):
    code = "FORBIDDEN"


class RateLimited(PerfgraphError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidInput(PerfgraphError):
    code = "BAD_USER_INPUT"


class InvalidWindow(InvalidInput):
    pass
