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
    ├── InvalidInput            arguments are malformed or inconsistent
    │   └── InvalidWindow       a performance window cannot be resolved
    └── ResyncRequired          a live subscriber fell behind; it resumes from its cursors

Resolvers map these to GraphQL errors with a stable ``code`` extension; anything else is
unexpected and is masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PerfgraphError(Exception):
    code = "INTERNAL"

    def extensions(self) -> dict[str, Any]:
        """Extra GraphQL error extensions (besides ``code``) a client can act on."""
        return {}


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


class ResyncRequired(PerfgraphError):
    """A live subscriber could not keep up (or asked for too much history).

    ``after`` holds the last sequence number delivered per entity: subscribing again with
    those cursors resumes with nothing lost and nothing doubled.
    """

    code = "RESYNC_REQUIRED"

    SLOW_CONSUMER = "SLOW_CONSUMER"  # resume with ``after``
    REPLAY_LIMIT = "REPLAY_LIMIT"  # too far behind: reload with a query, then subscribe

    def __init__(
        self, message: str, after: Mapping[str, int], key_name: str, reason: str = SLOW_CONSUMER
    ) -> None:
        super().__init__(message)
        self.after = dict(after)
        self.key_name = key_name
        self.reason = reason

    def extensions(self) -> dict[str, Any]:
        cursors = [{self.key_name: key, "seq": seq} for key, seq in sorted(self.after.items())]
        last = next(iter(self.after.values())) if len(self.after) == 1 else None
        return {"reason": self.reason, "lastSeq": last, "after": cursors}
