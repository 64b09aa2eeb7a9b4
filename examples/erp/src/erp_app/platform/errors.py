"""One error contract for every route: the APIError family and the handlers that render it.

Every error leaves the server in one JSON shape::

    {"success": false,
     "error": {"code", "message", "statusCode", "details"?, "timestamp", "path", "requestId"}}

That includes what FastAPI and Starlette raise themselves (404 for unknown routes, 405,
malformed JSON, 422 validation) and unexpected exceptions, which become a 500 whose
message never carries a stack trace or an exception text outside development. Each error
is logged once, structured, with the request id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from steinresil.adapters.db import DatabaseUnavailableError, is_transient

if TYPE_CHECKING:
    from fastapi import FastAPI

log = structlog.get_logger("erp.errors")


class APIError(Exception):
    """An error the API answers with on purpose: a code, a message, a status, details."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequestError(APIError):
    status_code = 400
    code = "BAD_REQUEST"


class UnauthorizedError(APIError):
    status_code = 401
    code = "UNAUTHORIZED"


class ForbiddenError(APIError):
    status_code = 403
    code = "FORBIDDEN"


class NotFoundError(APIError):
    status_code = 404
    code = "NOT_FOUND"


class ConflictError(APIError):
    status_code = 409
    code = "CONFLICT"


class PayloadTooLargeError(APIError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(APIError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class ValidationError(APIError):
    status_code = 422
    code = "VALIDATION_ERROR"


class RateLimitError(APIError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"


class InternalServerError(APIError):
    status_code = 500
    code = "INTERNAL_SERVER_ERROR"


class DatabaseError(APIError):
    status_code = 500
    code = "DATABASE_ERROR"


class AIProviderError(APIError):
    status_code = 502
    code = "AI_PROVIDER_ERROR"


class ExternalAPIError(APIError):
    status_code = 502
    code = "EXTERNAL_API_ERROR"


class ServiceUnavailableError(APIError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"


_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


# ---- the shape, for the OpenAPI document ---------------------------------------------------


class ErrorBody(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str
    statusCode: int  # noqa: N815 - the documented JSON name
    details: dict[str, Any] | None = None
    timestamp: str
    path: str
    requestId: str  # noqa: N815 - the documented JSON name


class ErrorResponse(BaseModel):
    """What every error looks like."""

    success: bool = False
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status it can answer with, in the error shape."""
    return {
        status: {"model": ErrorResponse, "description": _CODES_BY_STATUS.get(status, "error")}
        for status in statuses
    }


# ---- rendering -----------------------------------------------------------------------------


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


def error_response(
    request: Request,
    *,
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    exception: BaseException | None = None,
) -> JSONResponse:
    """The error in the one shape, logged once (with the traceback for unexpected ones)."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "statusCode": status_code,
        "timestamp": datetime.now(UTC).isoformat(),
        "path": request.url.path,
        "requestId": request_id_of(request),
    }
    if details:
        error["details"] = details
    log.log(
        40 if status_code >= 500 else 30,
        "request failed",
        status_code=status_code,
        code=code,
        error_message=message,
        path=request.url.path,
        method=request.method,
        request_id=error["requestId"],
        exc_info=exception,
    )
    request.state.error_code = code
    return JSONResponse(
        {"success": False, "error": error}, status_code=status_code, headers=headers
    )


def install_error_handlers(app: FastAPI, *, development: bool) -> None:
    """Render every error, ours or the framework's, in the one shape."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, APIError)  # noqa: S101 - registered for APIError only
        return error_response(
            request,
            status_code=exc.status_code,
            code=exc.code,
            message=exc.message,
            details=exc.details,
            headers=exc.headers or None,
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        status = exc.status_code
        code = _CODES_BY_STATUS.get(status, "HTTP_ERROR")
        message = str(exc.detail) if exc.detail else code.replace("_", " ").lower()
        if status == 404 and exc.detail == "Not Found":
            message = f"no route for {request.method} {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        if status == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
            # Starlette names only the first matching route's methods; a path served by
            # several routes (GET and POST apart) allows all of theirs.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return error_response(
            request, status_code=status, code=code, message=message, headers=headers
        )

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        problems = [_problem(error) for error in exc.errors()]
        malformed = any(p["type"] == "json_invalid" for p in problems)
        if malformed:
            return error_response(
                request,
                status_code=400,
                code="BAD_REQUEST",
                message="the request body is not valid JSON",
                details={"errors": problems},
            )
        return error_response(
            request,
            status_code=422,
            code="VALIDATION_ERROR",
            message="the request is not valid: " + "; ".join(p["message"] for p in problems),
            details={"errors": problems},
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(request, exc, development=development)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        if not is_transient(exc):
            return unexpected_error_response(request, exc, development=development)
        # The database is down or restarting: no fallback exists for a write, so say so
        # cleanly; the health check and readiness say it too.
        return error_response(
            request,
            status_code=503,
            code="DATABASE_UNAVAILABLE",
            message="the database is unavailable; try again shortly",
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(DatabaseUnavailableError, on_database_error)
    app.add_exception_handler(ConnectionError, on_database_error)
    app.add_exception_handler(APIError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)


def unexpected_error_response(
    request: Request, exc: BaseException, *, development: bool
) -> JSONResponse:
    """A 500 for a bug: the traceback goes to the log, never to the client (outside dev)."""
    message = f"{type(exc).__name__}: {exc}" if development else "an unexpected error occurred"
    return error_response(
        request,
        status_code=500,
        code="INTERNAL_SERVER_ERROR",
        message=message,
        exception=exc,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed(request: Request) -> list[str]:
    """Every method some route would take on this path (routes match nested routers too)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def _problem(error: Any) -> dict[str, Any]:
    """A validation error without the rejected input: it may be a password."""
    location = [str(part) for part in error.get("loc", ())]
    field = ".".join(location[1:]) if len(location) > 1 else ".".join(location)
    message = f"{field}: {error.get('msg', 'invalid')}" if field else str(error.get("msg"))
    return {"field": field, "type": str(error.get("type", "")), "message": message}
