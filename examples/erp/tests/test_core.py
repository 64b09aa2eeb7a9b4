"""The core on its embedded default: health, the error contract, metrics, AI, sessions."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable

import httpx
import pytest
from erp_app.config import ConfigError, Settings, load_settings
from erp_app.main import create_app
from erp_app.platform.lifecycle import _shutting_down
from error_contract import assert_error
from fastapi import FastAPI

import steinresil as sr

pytestmark = pytest.mark.anyio


# ---- health -------------------------------------------------------------------------------


async def test_embedded_default_is_degraded_and_says_why(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert set(body) >= {"status", "timestamp", "version", "uptime", "environment", "checks"}
    checks = body["checks"]
    assert checks["database"]["status"] == "healthy"
    assert checks["database"]["critical"] is True
    assert checks["database"]["latency_ms"] is not None
    assert checks["sessions"]["status"] == "degraded"
    assert "REDIS_URL" in checks["sessions"]["error"]
    assert checks["ai"]["status"] == "degraded"
    assert checks["functions"]["status"] == "healthy"


async def test_head_live_and_ready(client: httpx.AsyncClient) -> None:
    head = await client.head("/api/health")
    assert head.status_code == 204
    assert (await client.get("/api/health/live")).json() == {"status": "alive"}
    assert (await client.get("/api/health/ready")).json() == {"status": "ready"}


async def test_ready_turns_503_at_once_on_shutdown(client: httpx.AsyncClient) -> None:
    _shutting_down.set()
    try:
        response = await client.get("/api/health/ready")
    finally:
        _shutting_down.clear()
    error = assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert error["message"] == "shutting down"
    assert response.headers["retry-after"] == "5"


async def test_a_probe_storm_costs_one_check_run(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(health_cache_seconds=5.0))
    runs: list[str] = []

    def count(event: object) -> None:
        if isinstance(event, sr.HealthCheckFinished) and event.component.name == "database":
            runs.append(event.component.name)

    app.state.health.aggregator.add_listener(count)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            import anyio

            async with anyio.create_task_group() as tg:
                for _ in range(50):
                    tg.start_soon(http.get, "/api/health")
    assert len(runs) == 1


# ---- the error contract -------------------------------------------------------------------


async def test_unknown_route_is_404_in_the_shape(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/api/nope"), 404, "NOT_FOUND")
    assert error["path"] == "/api/nope"


async def test_wrong_method_is_405_in_the_shape(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/health/live")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET"


async def test_405_allows_every_method_of_every_route_on_the_path(
    client: httpx.AsyncClient,
) -> None:
    # GET /api/session and DELETE /api/session are two routes on one path.
    response = await client.put("/api/session")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, DELETE"


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/ai/complete", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "BAD_REQUEST")


async def test_validation_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/ai/complete", json={"prompt": "", "max_tokens": 0})
    error = assert_error(response, 422, "VALIDATION_ERROR")
    fields = {problem["field"] for problem in error["details"]["errors"]}  # type: ignore[index]
    assert fields == {"prompt", "max_tokens"}


async def test_body_over_1_mib_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/ai/complete", content=b"x" * (1024 * 1024 + 1))
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_request_id_is_honoured_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/api/health/live", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/api/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    hostile = await client.get("/api/health/live", headers={"x-request-id": "a b\x7f" * 100})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])


async def test_unexpected_errors_leak_nothing_outside_development(
    make_settings: Callable[..., Settings],
) -> None:
    for environment, leaks in (("production", False), ("development", True)):
        app = create_app(make_settings(environment=environment))

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret-password-123")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://t") as http,
        ):
            response = await http.get("/boom")
        assert_error(response, 500, "INTERNAL_SERVER_ERROR")
        assert ("secret-password-123" in response.text) is leaks


# ---- metrics ------------------------------------------------------------------------------


async def test_metrics_export_the_documented_names(client: httpx.AsyncClient) -> None:
    await client.get("/api/health")
    await client.get("/api/nope")
    await client.post("/api/ai/complete", json={"prompt": "hello"})
    text = (await client.get("/api/metrics")).text
    for name in (
        "erp_steinmetz_http_request_duration_seconds_bucket",
        "erp_steinmetz_http_requests_total",
        "erp_steinmetz_http_requests_in_progress",
        "erp_steinmetz_process_resident_memory_bytes",
        "erp_steinmetz_process_cpu_seconds_total",
        "erp_steinmetz_db_query_duration_seconds_bucket",
        "erp_steinmetz_db_queries_total",
        "erp_steinmetz_sessions_active",
        "erp_steinmetz_ai_requests_total",
        "erp_steinmetz_ai_request_duration_seconds_bucket",
        "erp_steinmetz_errors_total",
        "erp_steinmetz_health_status",
        "erp_steinmetz_circuit_breaker_state",
        "erp_steinmetz_circuit_breaker_calls_total",
        "erp_steinmetz_retry_calls_total",
    ):
        assert name in text, name
    assert 'route="/api/health"' in text
    assert 'route="unmatched"' in text  # unknown paths never become labels
    assert 'erp_steinmetz_errors_total{code="NOT_FOUND",status_code="404"} 1.0' in text
    assert "erp_steinmetz_health_status 1.0" in text


# ---- AI -----------------------------------------------------------------------------------


async def test_ai_complete_answers_through_the_local_fallback(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/ai/complete", json={"prompt": "Angebot für Grabstein"})
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "fallback"
    assert body["text"]


async def test_ai_health_lists_providers_in_order(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/ai/health")).json()
    assert [p["provider"] for p in body["providers"]] == [
        "openai",
        "ollama",
        "anthropic",
        "fallback",
    ]
    assert body["overall"] == "degraded"
    statuses = {p["provider"]: p["status"] for p in body["providers"]}
    assert statuses == {
        "openai": "unavailable",
        "ollama": "unavailable",
        "anthropic": "unavailable",
        "fallback": "healthy",
    }
    assert (await client.get("/api/ai/health/best")).json() == {"provider": "fallback"}
    assert (await client.get("/api/ai/health/fallback")).json()["status"] == "healthy"
    assert_error(await client.get("/api/ai/health/gpt5"), 404, "NOT_FOUND")


# ---- sessions -----------------------------------------------------------------------------


async def test_a_session_is_started_with_a_safe_cookie(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/session")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("erp_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    sid = first.cookies["erp_session"]
    assert sid not in first.text
    again = await client.get("/api/session")
    assert again.json()["session"] == first.json()["session"]
    assert "set-cookie" not in again.headers
    stats = (await client.get("/api/session/stats")).json()
    assert stats["active"] == "memory"
    assert stats["sessions"] == 1
    assert (await client.delete("/api/session")).status_code == 204


# ---- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REDIS_URL", "http://user:hunter2@redis:6379", "REDIS_URL must start with"),
        ("DATABASE_URL", "mysql://root:hunter2@db/erp", "DATABASE_URL must start with"),
        ("REDIS_URL", "redis://:hunter2@host:notaport/0", "REDIS_URL is not a valid URL"),
        ("DB_DRIVER", "oracle", "DB_DRIVER"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ],
)
def test_bad_settings_name_the_variable_and_never_echo_the_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert "hunter2" not in text


def test_postgres_without_a_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_DRIVER", "postgres")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL is required when DB_DRIVER=postgres"):
        load_settings()


def test_summary_masks_every_secret(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        openai_api_key="sk-very-secret",
        redis_url="redis://:pw-secret@127.0.0.1:6379/0",
        erp_admin_password="admin-secret",
    )
    summary = str(settings.summary())
    for secret in ("sk-very-secret", "pw-secret", "admin-secret"):
        assert secret not in summary


# ---- the app is built per settings -------------------------------------------------------


async def test_two_apps_in_one_process_do_not_share_metrics(
    make_settings: Callable[..., Settings],
) -> None:
    first: FastAPI = create_app(make_settings())
    second: FastAPI = create_app(make_settings())
    assert first.state.metrics.registry is not second.state.metrics.registry


async def test_a_real_sigterm_turns_readiness_503_before_the_server_hears_of_it(
    make_settings: Callable[..., Settings],
) -> None:
    heard: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, _frame: heard.append(number))
    try:
        app = create_app(make_settings())
        async with app.router.lifespan_context(app):  # puts itself before that handler
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.get("/api/health/ready")).status_code == 200
                signal.raise_signal(signal.SIGTERM)
                ready = await http.get("/api/health/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["message"] == "shutting down"
        assert heard == [signal.SIGTERM]  # the server's own handler still ran after ours
        assert signal.getsignal(signal.SIGTERM) is not None
    finally:
        signal.signal(signal.SIGTERM, previous)
        _shutting_down.clear()
