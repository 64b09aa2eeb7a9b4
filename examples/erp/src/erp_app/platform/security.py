"""Who is calling, and may they? Sessions to principals, permissions on every route.

A route declares its permission with ``dependencies=[require("hr:write")]`` (or
``public()`` for open routes such as health). Routers are built with
``route_class=GuardedRoute``, which checks those permissions **before** the request body
is read or validated and before any look-up: an unauthenticated write is a 401 even with
a malformed body or an unknown id, and a viewer's write is a 403.

Permissions are ``"<area>:read"`` / ``"<area>:write"`` (or ``"<area>:*"``); the admin role
holds ``"*"``. The session (``erp_session`` cookie, server-side store) holds the user's
id, name, roles and permissions, written at login.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute

from erp_app.platform.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from erp_app.platform.sessions import COOKIE, Sessions

__all__ = [
    "GuardedRoute",
    "Permission",
    "Principal",
    "authenticated",
    "current_principal",
    "public",
    "require",
]

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "admin": ("*",),
    "user": (
        "dashboard:read",
        "hr:read",
        "hr:write",
        "finance:read",
        "finance:write",
        "calendar:read",
        "calendar:write",
        "innovation:read",
        "innovation:write",
        "quickchat:read",
        "quickchat:write",
        "search:read",
        "functions:read",
        "ai:read",
        "ai:write",
        "system:read",
    ),
    "viewer": (
        "dashboard:read",
        "hr:read",
        "finance:read",
        "calendar:read",
        "innovation:read",
        "quickchat:read",
        "search:read",
        "functions:read",
        "ai:read",
        "system:read",
    ),
}
"""The seeded roles and what each may do (stored in the ``roles`` table at first start)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The logged-in user, as the session remembers them."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    session_id: str

    def can(self, permission: str) -> bool:
        if "*" in self.permissions or permission in self.permissions:
            return True
        area, _, _ = permission.partition(":")
        return f"{area}:*" in self.permissions

    def as_session_data(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "roles": list(self.roles),
            "permissions": sorted(self.permissions),
        }


async def current_principal(request: Request) -> Principal | None:
    """The caller, or ``None``; looked up once per request and kept on ``request.state``."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    sid = request.cookies.get(COOKIE)
    if sid:
        sessions: Sessions = request.app.state.sessions
        data = await sessions.get(sid)
        if data is not None and "user_id" in data:
            principal = Principal(
                user_id=int(data["user_id"]),
                username=str(data["username"]),
                roles=tuple(data.get("roles", ())),
                permissions=frozenset(data.get("permissions", ())),
                session_id=sid,
            )
    request.state.principal = principal
    return principal


class Permission:
    """A route's permission; as a dependency it returns the principal (or raises)."""

    def __init__(self, permission: str | None) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal | None:
        if self.permission is None:  # public
            return await current_principal(request)
        principal = await current_principal(request)
        if principal is None:
            raise UnauthorizedError("log in first: this needs a session")
        if self.permission and not principal.can(self.permission):
            raise ForbiddenError(
                f"your roles ({', '.join(principal.roles) or 'none'}) do not allow "
                f"{self.permission}",
                details={"permission": self.permission},
            )
        return principal

    def __repr__(self) -> str:
        return f"Permission({self.permission!r})"


def require(permission: str) -> DependsParam:
    """``dependencies=[require("hr:write")]``: only callers with that permission."""
    marker: DependsParam = Depends(Permission(permission))
    return marker


def authenticated() -> DependsParam:
    """Any logged-in user, whatever their roles (``/api/auth/me``, logout)."""
    marker: DependsParam = Depends(Permission(""))
    return marker


def public() -> DependsParam:
    """``dependencies=[public()]``: anyone, logged in or not (says so explicitly)."""
    marker: DependsParam = Depends(Permission(None))
    return marker


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class GuardedRoute(APIRoute):
    """Checks the route's permissions before FastAPI reads and validates the body.

    Permissions are found in ``dependencies=[require(...)]`` and in parameters declared
    as ``principal: Annotated[Principal, require(...)]``. A write that sends a body must
    send it as ``application/json`` (415 otherwise): with SameSite cookies, that is the
    defence against cross-site form posts.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = [
            dependency.call
            for dependency in self.dependant.dependencies
            if isinstance(dependency.call, Permission)
        ]

        async def guarded(request: Request) -> Response:
            for check in checks:
                await check(request)
            if request.method in _WRITES and _has_body(request):
                kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind != "application/json":
                    raise UnsupportedMediaTypeError(
                        "send the body as application/json",
                        details={"contentType": kind or None},
                    )
            return await handler(request)

        return guarded


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(length and length != "0") or "transfer-encoding" in request.headers
