"""Health routes: the full report, HEAD for cheap probes, liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from erp_app.platform.errors import ServiceUnavailableError, error_responses
from erp_app.platform.health import Health
from erp_app.platform.lifecycle import shutting_down
from erp_app.platform.security import public

# Open to everyone by design (probes, Prometheus, the status page, visitors); declared so.
router = APIRouter(prefix="/api/health", tags=["health"], dependencies=[public()])


def _health(request: Request) -> Health:
    health: Health = request.app.state.health
    return health


@router.get(
    "",
    summary="Overall health from real checks",
    response_model=dict[str, Any],
    responses=error_responses(500),
)
async def health_report(request: Request) -> Response:
    """`healthy`, `degraded` or `unhealthy`, each check with its latency and reason."""
    # Plain JSON out: the report is JSON-ready already, and probes call this a lot.
    return JSONResponse(await _health(request).report())


@router.head("", status_code=204, summary="Health probe without a body")
async def health_head() -> Response:
    return Response(status_code=204)


@router.get("/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/ready", summary="Ready for traffic", responses=error_responses(503))
async def ready(request: Request) -> dict[str, str]:
    """503 before start-up finished, while shutting down, and while the database is down."""
    health = _health(request)
    if shutting_down() or health.shutting_down:
        raise ServiceUnavailableError("shutting down", headers={"Retry-After": "5"})
    if not health.ready:
        raise ServiceUnavailableError("starting up", headers={"Retry-After": "1"})
    report = await health.report()
    database = report["checks"].get("database", {})
    if database.get("status") == "unhealthy":
        raise ServiceUnavailableError(
            "the database is unavailable",
            details={"database": database.get("error")},
            headers={"Retry-After": "5"},
        )
    return {"status": "ready"}
