"""Session store status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from erp_app.platform.sessions import Sessions

router = APIRouter(prefix="/api/session", tags=["session"])


@router.get("/stats", summary="The session store serving now and its fail-over counts")
async def session_stats(request: Request) -> dict[str, Any]:
    """`active` is `redis` or `memory`; `failovers`/`failbacks` count switches since start."""
    sessions: Sessions = request.app.state.sessions
    return sessions.stats()
