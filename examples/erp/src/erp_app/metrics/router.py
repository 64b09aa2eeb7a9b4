"""The Prometheus scrape endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from erp_app.platform.metrics import CONTENT_TYPE_LATEST, Metrics
from erp_app.platform.security import public
from erp_app.platform.sessions import Sessions

# Open to everyone by design (probes, Prometheus, the status page, visitors); declared so.
router = APIRouter(prefix="/api", tags=["metrics"], dependencies=[public()])


@router.get(
    "/metrics",
    summary="Prometheus metrics (prefix erp_steinmetz_)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(request: Request) -> Response:
    exported: Metrics = request.app.state.metrics
    sessions: Sessions = request.app.state.sessions
    # Read at scrape time: what the store serving now holds.
    exported.session_store_fallback.set(1 if sessions.on_fallback else 0)
    count = sessions.stats().get("sessions")
    if isinstance(count, int):
        exported.sessions_active.set(count)
    return Response(exported.exposition(), media_type=CONTENT_TYPE_LATEST)
