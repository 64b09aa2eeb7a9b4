"""``/api/diagnostics`` (admin): breakers, session store, DB pool, slow queries, AI chain."""

from __future__ import annotations

from fastapi import APIRouter, Request

from erp_app.diagnostics.schemas import Diagnostics
from erp_app.diagnostics.service import diagnostics
from erp_app.platform.errors import error_responses
from erp_app.platform.security import GuardedRoute, require

__all__ = ["router"]

router = APIRouter(prefix="/api/diagnostics", tags=["diagnostics"], route_class=GuardedRoute)


@router.get(
    "",
    # No seeded role but admin ("*") holds it: this shows the inside of the service.
    dependencies=[require("diagnostics:read")],
    response_model=Diagnostics,
    summary="Every breaker, the session store, DB pool and slow queries, the AI chain",
    responses=error_responses(401, 403),
)
async def show_diagnostics(request: Request) -> Diagnostics:
    state = request.app.state
    return diagnostics(
        state.registry, state.sessions, state.db, state.ai, getattr(state, "auth", None)
    )
