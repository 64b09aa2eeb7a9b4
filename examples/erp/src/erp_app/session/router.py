"""The visitor's server-side session, and which session store serves.

``GET /api/session`` returns the caller's session, starting one (and setting the
``erp_session`` cookie) when there is none; login (auth) stores the user in it.
``DELETE /api/session`` ends it. ``GET /api/session/stats`` shows the store serving
now and its fail-over history.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import APIRouter, Request, Response

from erp_app.platform.errors import error_responses
from erp_app.platform.security import public
from erp_app.platform.sessions import COOKIE, Sessions

# Open to everyone by design (probes, Prometheus, the status page, visitors); declared so.
router = APIRouter(prefix="/api/session", tags=["session"], dependencies=[public()])


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def set_session_cookie(response: Response, sessions: Sessions, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        max_age=int(sessions.ttl),
        httponly=True,
        samesite="lax",
        secure=sessions.secure_cookie,
        path="/",
    )


def _public(sid: str, data: dict[str, Any], store: str) -> dict[str, Any]:
    # The id itself never appears in a body: only a short digest, to tell sessions apart.
    return {
        "session": hashlib.sha256(sid.encode()).hexdigest()[:16],
        "created_at": data.get("created_at"),
        "user": data.get("username"),
        "store": store,
    }


@router.get("", summary="The caller's session, started when there is none")
async def current_session(request: Request, response: Response) -> dict[str, Any]:
    sessions = _sessions(request)
    sid = request.cookies.get(COOKIE)
    data = await sessions.get(sid) if sid else None
    if sid is None or data is None:
        data = {"created_at": time.time()}
        sid = await sessions.create(data)
        set_session_cookie(response, sessions, sid)
    else:
        await sessions.touch(sid)
    return _public(sid, data, sessions.active)


@router.delete("", status_code=204, summary="End the caller's session", responses=error_responses())
async def end_session(request: Request) -> Response:
    sessions = _sessions(request)
    sid = request.cookies.get(COOKIE)
    if sid:
        await sessions.delete(sid)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/stats", summary="The session store serving now and its fail-over counts")
async def session_stats(request: Request) -> dict[str, Any]:
    """`active` is `redis` or `memory`; `failovers`/`failbacks` count switches since start."""
    return _sessions(request).stats()
