"""The one error shape every failing route answers with, asserted in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

FIELDS = {"code", "message", "statusCode", "timestamp", "path", "requestId"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``response`` is the error contract with ``status`` (and ``code``); its ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    error: dict[str, Any] = body["error"]
    assert error["statusCode"] == status
    if code is not None:
        assert error["code"] == code
    assert set(error) >= FIELDS
    assert error["requestId"] == response.headers["x-request-id"]
    assert error["path"] == response.request.url.path
    assert "Traceback" not in response.text
    return error
