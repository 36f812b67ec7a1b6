"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (it can serve traffic).

Liveness never looks at PostgreSQL or Redis: restarting a process does not bring a database
back, and a restart storm during an outage makes recovery slower. Readiness does (see
``services/health.py``) and reports each check, so the operator sees what is wrong.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.config import Settings
from services.health import ReadinessChecks
from services.lifecycle import Lifecycle
from services.resources import Resources


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    lifecycle: Lifecycle = request.app.state.lifecycle
    if lifecycle.draining:
        return JSONResponse({"status": "draining", "checks": {}}, status_code=503)
    resources: Resources | None = getattr(request.app.state, "resources", None)
    if resources is None:  # still starting: the lifespan has not opened the connections
        return JSONResponse({"status": "starting", "checks": {}}, status_code=503)
    checks: ReadinessChecks = request.app.state.readiness
    settings: Settings = request.app.state.settings
    readiness = await checks.run(resources, settings.readiness_timeout_s)
    return JSONResponse(readiness.as_json(), status_code=200 if readiness.ready else 503)
