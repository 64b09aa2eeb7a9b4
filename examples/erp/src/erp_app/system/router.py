"""``/api/system``: version, uptime, platform and the configuration with secrets masked."""

from __future__ import annotations

from fastapi import APIRouter, Request

from erp_app.platform.errors import error_responses
from erp_app.platform.security import GuardedRoute, require
from erp_app.system.schemas import SystemInfo
from erp_app.system.service import system_info

__all__ = ["router"]

router = APIRouter(prefix="/api/system", tags=["system"], route_class=GuardedRoute)


@router.get(
    "",
    dependencies=[require("system:read")],
    response_model=SystemInfo,
    summary="Version, uptime, platform and configuration (secrets masked)",
    responses=error_responses(401, 403),
)
async def system(request: Request) -> SystemInfo:
    state = request.app.state
    return system_info(state.settings, state.health, state.sessions)
