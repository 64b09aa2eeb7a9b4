"""``/api/dashboard``: the company at a glance, from the other modules' data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from erp_app.dashboard.schemas import DashboardOut
from erp_app.dashboard.service import DashboardService
from erp_app.platform.errors import error_responses
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"], route_class=GuardedRoute)


def dashboard_service(request: Request) -> DashboardService:
    """The app's dashboard, made on first use (its cache lives as long as the app)."""
    state = request.app.state
    service: DashboardService | None = getattr(state, "dashboard", None)
    if service is None:
        service = state.dashboard = DashboardService(state.db)
    return service


@router.get(
    "",
    summary="KPIs: open invoices, headcount per department, upcoming events, top ideas",
    description="Computed from the other modules' data; cached for a few seconds per process.",
    responses=error_responses(401, 403),
)
async def dashboard(
    _: Annotated[Principal, require("dashboard:read")], request: Request
) -> DashboardOut:
    return await dashboard_service(request).kpis()
