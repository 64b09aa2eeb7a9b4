"""The status page ``/`` (public), the JSON it polls, and its script and stylesheet.

The page is rendered on the server from the same snapshot ``/api/status`` answers, so it
is complete before any script runs; the script then polls ``/api/status`` every 2 s and
updates the page in place. Script and stylesheet are files of this package, served here:
no CDN, no build step, and a Content-Security-Policy that allows nothing else.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from erp_app.platform.errors import NotFoundError, error_responses
from erp_app.platform.security import GuardedRoute, public
from erp_app.ui import service
from erp_app.ui.schemas import StatusOut

__all__ = ["POLL_INTERVAL_MS", "router"]

POLL_INTERVAL_MS = 2000
_HERE = Path(__file__).resolve().parent
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_ASSETS = {"status.js": "text/javascript; charset=utf-8", "status.css": "text/css; charset=utf-8"}

# An HTML route's error responses are JSON all the same: FastAPI would list them under the
# route's own media type, so they are spelled out (ErrorResponse is in the document anyway).
_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    500: {
        "description": "INTERNAL_SERVER_ERROR",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
}

templates = Jinja2Templates(directory=_HERE / "templates")
router = APIRouter(tags=["status"], route_class=GuardedRoute, dependencies=[public()])


async def _snapshot(request: Request) -> StatusOut:
    state = request.app.state
    return await service.snapshot(state.health, state.ai, state.sessions, state.registry)


@router.get(
    "/",
    response_class=HTMLResponse,
    summary="The status page: health, breakers, sessions, AI providers (refreshes itself)",
    responses=_PAGE_ERRORS,
)
async def status_page(request: Request) -> Response:
    status = await _snapshot(request)
    return templates.TemplateResponse(
        request,
        "status.html",
        {"status": status, "poll_ms": POLL_INTERVAL_MS},
        headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"},
    )


@router.get(
    "/api/status",
    response_model=StatusOut,
    summary="The status page's data: health, every breaker, the session store, AI providers",
    responses=error_responses(500),
)
async def status_json(request: Request, response: Response) -> StatusOut:
    response.headers["Cache-Control"] = "no-store"
    return await _snapshot(request)


@cache
def _asset(name: str) -> bytes:
    return resources.files("erp_app.ui").joinpath("static", name).read_bytes()


@router.get("/ui/{name}", include_in_schema=False, responses=error_responses(404))
async def asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFoundError(f"no asset {name!r}", details={"assets": sorted(_ASSETS)})
    return Response(
        _asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=300"}
    )
