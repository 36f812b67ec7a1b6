"""``GET /reports/{token}``: download the report a signed link describes.

In order: the signature and expiry (nothing is looked up for a forged or stale link), the
request's credentials (authenticated as for GraphQL; they must be those that created the
link), the principal's rate limit (a report spends units of the same budget as queries),
access to the strategy as of now (a withdrawn grant stops the download), then the file.
Refusals have the shape of the other HTTP refusals, ``{"errors": [{"message", "extensions":
{"code"}}]}``: 401 without valid credentials, 403 for a forged, altered or foreign link and
for lost access, 410 once expired, 404 if the strategy is gone, 429 over the rate limit.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from loaders import Loaders
from resolvers.reports import ReportFile, build_report, report_inputs
from schema.http import authenticate_request, error_response
from services import access
from services.access import Principal
from services.errors import (
    InvalidInput,
    NotFound,
    PerfgraphError,
    PermissionDenied,
    ServiceUnavailable,
)
from services.ratelimit import Limit, RateLimiter
from services.reports.links import (
    ExpiredLink,
    SignedReport,
    check_principal,
    report_key,
    verify_link,
)
from services.reports.spec import ReportFormat
from services.resources import Resources

_STATUS: tuple[tuple[type[PerfgraphError], int], ...] = (
    (ExpiredLink, 410),
    (PermissionDenied, 403),
    (NotFound, 404),
    (InvalidInput, 400),
    (ServiceUnavailable, 503),
    (PerfgraphError, 500),
)
# Rate-limit units a download spends (a GraphQL request spends one per cost unit): a PDF
# is about a second of CPU, a CSV mostly I/O.
UNITS = {ReportFormat.CSV: 5, ReportFormat.PDF: 20}


def refusal(exc: PerfgraphError) -> Response:
    status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    return error_response(status, str(exc), exc.code)


def disposition(filename: str) -> str:
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


async def over_limit(request: Request, principal: Principal, fmt: ReportFormat) -> Response | None:
    """The 429 refusing a download over the principal's budget (anonymous: no budget)."""
    if principal.kind == "anonymous":
        return None
    settings = request.app.state.resources.settings
    per_minute = principal.rate_limit_per_minute or settings.rate_limit_per_minute
    limit = Limit(per_minute=per_minute, burst=min(settings.rate_limit_burst, per_minute))
    units = max(1, min(limit.burst, UNITS[fmt]))
    if getattr(request.app.state, "report_limiter", None) is None:
        request.app.state.report_limiter = RateLimiter(request.app.state.resources.redis)
    decision = await request.app.state.report_limiter.hit(principal.scope_key, limit, units)
    if decision.allowed:
        return None
    retry_after = max(1, math.ceil(decision.retry_after_s))
    message = (
        f"Rate limit exceeded for {principal.name}: {per_minute} units per minute (this "
        f"report costs {units}); retry after {retry_after} s."
    )
    return error_response(429, message, "RATE_LIMITED", {"Retry-After": str(retry_after)})


async def build(resources: Resources, principal: Principal, signed: SignedReport) -> ReportFile:
    loaders = Loaders.create(resources)
    record = await loaders.strategy_by_id.load(signed.spec.strategy_id)
    if record is None:
        raise NotFound(f"strategy {signed.spec.strategy_id} no longer exists")
    access.check_strategy(principal, record)
    return await build_report(loaders, await report_inputs(loaders, record, signed.spec))


async def download_report(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    token = request.path_params["token"]
    try:
        signed = verify_link(report_key(resources.settings), token, now=datetime.now(UTC))
        principal = await authenticate_request(resources, request)
        if isinstance(principal, Response):
            return principal
        check_principal(signed, principal)
        if refused := await over_limit(request, principal, signed.spec.format):
            return refused
        report = await build(resources, principal, signed)
    except PerfgraphError as exc:
        return refusal(exc)
    headers = {
        "Content-Disposition": disposition(report.filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if isinstance(report.body, bytes):
        return Response(report.body, media_type=report.media_type, headers=headers)
    return StreamingResponse(report.body, media_type=report.media_type, headers=headers)
