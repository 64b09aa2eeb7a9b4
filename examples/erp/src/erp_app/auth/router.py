"""``/api/auth``: log in (sets the ``erp_session`` cookie), log out, who am I.

The router's lifespan makes the app's ``AuthService`` (``app.state.auth``) after the app's
own start-up (database ready, users seeded) and closes its Redis connections first at
shutdown.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from erp_app.auth.schemas import LoginRequest, MeResponse, UserCreate, UserOut
from erp_app.auth.service import AuthService
from erp_app.platform.errors import error_responses
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import (
    GuardedRoute,
    Principal,
    authenticated,
    public,
    require,
)
from erp_app.platform.sessions import COOKIE, Sessions
from erp_app.session.router import set_session_cookie

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["router"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    service = await AuthService.start(app.state.settings, app.state.db, app.state.sessions)
    app.state.auth = service
    try:
        yield
    finally:
        service.close()


router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=GuardedRoute, lifespan=_lifespan)


def _login_responses() -> dict[int | str, dict[str, Any]]:
    responses = error_responses(400, 401, 413, 415, 422, 429)
    responses[429]["description"] = "locked account or too many failures from the address"
    responses[429]["headers"] = {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
    }
    return responses


def _auth(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth
    return service


def _client_address(request: Request) -> str:
    # uvicorn sets this from X-Forwarded-For only for trusted proxies (--forwarded-allow-ips).
    return request.client.host if request.client is not None else "unknown"


@router.post(
    "/login",
    dependencies=[public()],
    response_model=MeResponse,
    summary="Log in: starts a new session (the erp_session cookie)",
    responses=_login_responses(),
)
async def login(body: LoginRequest, request: Request, response: Response) -> MeResponse:
    """Wrong name or password: 401, one message for both. Too many failures: 429."""
    service = _auth(request)
    principal, sid = await service.login(
        body.username,
        body.password.get_secret_value(),
        address=_client_address(request),
        previous_sid=request.cookies.get(COOKIE),
    )
    set_session_cookie(response, service.sessions, sid)
    return MeResponse.of(principal)


@router.post(
    "/logout",
    status_code=204,
    summary="Log out: ends the session on the server and clears the cookie",
    responses=error_responses(401),
)
async def logout(request: Request, principal: Annotated[Principal, authenticated()]) -> Response:
    await _auth(request).logout(principal)
    sessions: Sessions = request.app.state.sessions
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=sessions.secure_cookie
    )
    return response


@router.get(
    "/me",
    response_model=MeResponse,
    summary="The logged-in user, their roles and permissions",
    responses=error_responses(401),
)
async def me(principal: Annotated[Principal, authenticated()]) -> MeResponse:
    return MeResponse.of(principal)


@router.get(
    "/users",
    dependencies=[require("users:read")],
    response_model=Page[UserOut],
    summary="The users and their roles (admin)",
    responses=error_responses(401, 403, 422),
)
async def list_users(
    request: Request, params: Annotated[PageParams, Depends(page_params)]
) -> Page[UserOut]:
    return await _auth(request).list_users(params)


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    summary="Create a user with roles (admin)",
    responses=error_responses(400, 401, 403, 409, 413, 415, 422),
)
async def create_user(
    body: UserCreate, request: Request, principal: Annotated[Principal, require("users:write")]
) -> UserOut:
    return await _auth(request).create_user(principal, body)
