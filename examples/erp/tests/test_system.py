"""The system and diagnostics routers: what they show, what they hide, who may see them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from erp_app import __version__
from erp_app.auth import service
from erp_app.config import Settings
from erp_app.main import create_app
from error_contract import assert_error
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

pytestmark = pytest.mark.anyio

ADMIN_PASSWORD = "admin-pw-Kq7#tW93"
VIEWER_PASSWORD = "viewer-pw-Zr4!bN21"
SECRETS = {
    "openai_api_key": "sk-test-OPENAI-do-not-show",
    "anthropic_api_key": "sk-ant-test-do-not-show",
    "session_secret": "session-secret-do-not-show",
    "erp_admin_password": ADMIN_PASSWORD,
    "erp_viewer_password": VIEWER_PASSWORD,
    "redis_url": "redis://:redis-pw-do-not-show@127.0.0.1:1/0",
}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(service, "_HASHER", PasswordHash((hasher,)))


@pytest.fixture
async def erp(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    # Every query counts as slow, so the slow list is not empty; Redis on a dead port.
    settings = make_settings(slow_query_seconds=1e-9, **SECRETS)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
            yield app, http


async def as_user(http: httpx.AsyncClient, username: str, password: str) -> None:
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


async def test_system_summary_masks_every_secret(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, http = erp
    assert_error(await http.get("/api/system"), 401, "UNAUTHORIZED")
    await as_user(http, "viewer", VIEWER_PASSWORD)  # system:read is a viewer's too
    response = await http.get("/api/system")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["version"] == __version__
    assert body["environment"] == "production"
    assert body["uptime"] >= 0
    assert body["started_at"].endswith("+00:00")
    assert body["platform"]["python"].startswith("3.")
    assert body["database"] == "sqlite"
    config = body["configuration"]
    for name in SECRETS:
        assert config[name.upper()] == "***", name
    assert config["ENVIRONMENT"] == "production"
    assert config["LOG_LEVEL"] == "INFO"
    for value in SECRETS.values():
        assert value not in response.text
    assert "do-not-show" not in response.text


async def test_diagnostics_shows_the_insides_to_admins_only(
    erp: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = erp
    assert_error(await http.get("/api/diagnostics"), 401, "UNAUTHORIZED")
    await as_user(http, "viewer", VIEWER_PASSWORD)
    assert_error(await http.get("/api/diagnostics"), 403, "FORBIDDEN")

    await as_user(http, "admin", ADMIN_PASSWORD)
    response = await http.get("/api/diagnostics")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()

    breakers = {b["name"]: b for b in body["breakers"]}
    assert {b.name for b in app.state.registry.circuit_breakers()} == set(breakers)
    assert {"openai", "anthropic", "fallback"} <= set(breakers)
    assert all(b["state"] in ("closed", "open", "half_open") for b in breakers.values())
    assert {"successful_calls", "failed_calls", "rejected_calls"} <= set(breakers["openai"])

    # REDIS_URL points at a dead port: the store failed over to memory, and says so.
    assert body["sessions"]["active"] == "memory"
    assert body["sessions"]["failovers"] >= 1
    assert "redis-pw" not in response.text

    database = body["database"]
    assert database["kind"] == "sqlite"
    assert database["pool"]["class"] == "NullPool"
    assert database["slowest"], "every query counts as slow here"
    assert all(q["statement"] for q in database["slowest"])
    assert "select" in database["queries"]
    # Statements only, never their parameters: the login looked up "admin" by a bound one.
    assert "'admin'" not in response.text
    assert "$argon2" not in response.text

    providers = [p["name"] for p in body["ai_providers"]]
    assert providers == ["openai", "ollama", "anthropic", "fallback"]
    assert body["ai_providers"][0]["configured"] is True  # a (fake) key is set
    assert body["ai_providers"][1]["configured"] is False
    assert body["login_limits"]["shared"] is True


async def test_diagnostics_follow_a_breaker_opening(
    erp: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = erp
    await as_user(http, "admin", ADMIN_PASSWORD)
    app.state.ai.chain.breaker("openai").force_open()
    body = (await http.get("/api/diagnostics")).json()
    openai = next(b for b in body["breakers"] if b["name"] == "openai")
    assert openai["state"] == "forced_open"
    assert openai["retry_after"] is None  # forced open: never by itself
    assert body["ai_providers"][0]["breaker"] == "forced_open"


async def test_openapi_documents_errors_and_bodies(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, http = erp
    paths = (await http.get("/openapi.json")).json()["paths"]
    expected = {
        ("/api/auth/login", "post"): {"401", "415", "422", "429"},
        ("/api/auth/logout", "post"): {"401"},
        ("/api/auth/me", "get"): {"401"},
        ("/api/auth/users", "post"): {"401", "403", "409", "415", "422"},
        ("/api/auth/users", "get"): {"401", "403"},
        ("/api/system", "get"): {"401", "403"},
        ("/api/diagnostics", "get"): {"401", "403"},
    }
    for (path, method), statuses in expected.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (path, method)
        for status in statuses:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
        ok = next(s for s in operation["responses"] if s.startswith("2"))
        if ok != "204":
            assert operation["responses"][ok]["content"]["application/json"]["schema"]
    login_429 = paths["/api/auth/login"]["post"]["responses"]["429"]
    assert "Retry-After" in login_429["headers"]
