"""``GET /reports/{token}``: download the report a signed link describes.

In order: the signature and expiry (nothing is looked up for a forged or stale link), the
principal (the request's own credentials must be those that created the link), access to
the strategy as of now (a withdrawn grant stops the download), then the file, streamed.
Refusals are JSON ``{"error": {"code", "message"}}``: 403 for a forged, altered or foreign
link and for lost access, 410 once expired, 404 if the strategy is gone, 503 when PostgreSQL
cannot be reached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from loaders import Loaders
from resolvers.reports import build_report, report_inputs
from services import access
from services.access import ANONYMOUS, Principal
from services.errors import (
    InvalidInput,
    NotFound,
    PerfgraphError,
    PermissionDenied,
    ServiceUnavailable,
)
from services.reports.links import ExpiredLink, check_principal, report_key, verify_link
from services.resources import Resources

_STATUS: tuple[tuple[type[PerfgraphError], int], ...] = (
    (ExpiredLink, 410),
    (PermissionDenied, 403),
    (NotFound, 404),
    (InvalidInput, 400),  # the link's benchmark or risk-free index was removed since
    (ServiceUnavailable, 503),
    (PerfgraphError, 500),
)


async def request_principal(request: Request) -> Principal:
    """Who is downloading: authenticated as the GraphQL endpoint authenticates requests."""
    return ANONYMOUS


def refusal(exc: PerfgraphError) -> Response:
    status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    body = {"error": {"code": exc.code, "message": str(exc)}}
    return Response(orjson.dumps(body), status, media_type="application/json")


def disposition(filename: str) -> str:
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


async def download_report(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    try:
        signed = verify_link(
            report_key(resources.settings), request.path_params["token"], now=datetime.now(UTC)
        )
        principal = await request_principal(request)
        check_principal(signed, principal)
        loaders = Loaders.create(resources)
        record = await loaders.strategy_by_id.load(signed.spec.strategy_id)
        if record is None:
            raise NotFound(f"strategy {signed.spec.strategy_id} no longer exists")
        access.check_strategy(principal, record)
        report = await build_report(loaders, await report_inputs(loaders, record, signed.spec))
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
