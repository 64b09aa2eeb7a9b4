"""The request middleware: request id, body limit, metrics and one log line per request.

A plain ASGI middleware (not ``BaseHTTPMiddleware``): it adds no task per request and
sees the status that really went out, including the error handlers' answers.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog
from starlette.requests import Request

from erp_app.platform.errors import (
    PayloadTooLargeError,
    error_response,
    unexpected_error_response,
)

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from erp_app.platform.metrics import Metrics

__all__ = ["MAX_BODY_BYTES", "RequestContextMiddleware"]

MAX_BODY_BYTES = 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_TOO_LARGE = f"the request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)"
_QUIET_ROUTES = frozenset(
    {"/api/metrics", "/api/health", "/api/health/live", "/api/health/ready", "/api/status", "/"}
)

log = structlog.get_logger("erp.http")


class RequestContextMiddleware:
    """Binds a request id, enforces the body limit, counts and times, logs each request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, development: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.development = development

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        method = scope["method"]
        started = time.perf_counter()
        status = 500
        started_response = False
        raw_id = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", raw_id)]}
            await send(message)

        in_progress = self.metrics.http_in_progress.labels(method, "all")
        in_progress.inc()
        try:
            if _declared_length(scope) > MAX_BODY_BYTES:
                await _too_large(scope, send_with_id)
            else:
                # A chunked body over the limit raises PayloadTooLargeError while the route
                # reads it; the error handlers answer 413 like any APIError.
                await self.app(scope, _limited(receive), send_with_id)
        except Exception as exc:
            # A bug: answered here, inside this middleware, so it carries the request id
            # and is logged once (Starlette's outer handler would log it a second time).
            if started_response:
                raise
            response = unexpected_error_response(Request(scope), exc, development=self.development)
            await response(scope, _no_receive, send_with_id)
        finally:
            in_progress.dec()
            self._account(scope, method, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _account(self, scope: Scope, method: str, status: int, elapsed: float) -> None:
        route = _route_of(scope)
        labels = (method, route, str(status))
        self.metrics.http_requests.labels(*labels).inc()
        self.metrics.http_duration.labels(*labels).observe(elapsed)
        code = scope.get("state", {}).get("error_code")
        if status >= 400:
            self.metrics.errors.labels(code or str(status), str(status)).inc()
        if route in _QUIET_ROUTES and status < 400:
            return
        log.info(
            "request",
            method=method,
            route=route,
            path=scope.get("path", ""),
            status=status,
            duration_ms=round(elapsed * 1000, 3),
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = str(value.decode("latin-1"))
            if _REQUEST_ID.match(given):
                return given
    return uuid.uuid4().hex


def _route_of(scope: Scope) -> str:
    """The route template (``/api/hr/employees/{id}``), never the raw path: bounded labels."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _limited(receive: Receive) -> Receive:
    """A body sent without a length (chunked) is counted as it arrives."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise PayloadTooLargeError(_TOO_LARGE)
        return message

    return receive_limited


async def _too_large(scope: Scope, send: Send) -> None:
    request = Request(scope)
    response = error_response(
        request,
        status_code=413,
        code="PAYLOAD_TOO_LARGE",
        message=_TOO_LARGE,
    )
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
