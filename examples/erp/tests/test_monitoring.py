"""Sentry and OpenTelemetry: off costs nothing, on but broken still starts and says why."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from erp_app.config import Settings
from erp_app.main import create_app
from erp_app.platform.monitoring import scrub_event

from support.redis_server import free_port

pytestmark = pytest.mark.anyio


async def health_of(app: object) -> dict[str, object]:
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            body: dict[str, object] = (await http.get("/api/health")).json()
            return body


def test_off_by_default_and_not_even_imported(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from erp_app.config import load_settings\n"
        "from erp_app.main import create_app\n"
        f"app = create_app(load_settings(data_dir={str(tmp_path)!r}))\n"
        "async def run():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(run())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules\n"
        "              if m.startswith(('sentry_sdk', 'opentelemetry.exporter'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


async def test_tracing_to_an_endpoint_nobody_listens_on_starts_and_says_why(
    make_settings: Callable[..., Settings],
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    app = create_app(make_settings(otel_traces_enabled=True, otel_exporter_otlp_endpoint=endpoint))
    body = await health_of(app)
    monitoring = body["checks"]["monitoring"]  # type: ignore[index]
    assert monitoring["status"] == "degraded"
    assert "unreachable" in monitoring["error"]
    assert monitoring["critical"] is False
    assert body["checks"]["database"]["status"] == "healthy"  # type: ignore[index]


async def test_sentry_with_a_dsn_starts_and_scrubs_what_it_sends(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(sentry_enabled=True, sentry_dsn="https://public@127.0.0.1:9/1"))
    body = await health_of(app)
    assert body["checks"]["monitoring"]["status"] == "healthy"  # type: ignore[index]
    import sentry_sdk

    sentry_sdk.init()  # leave no client behind for other tests


def test_sentry_events_lose_cookies_bodies_and_secrets() -> None:
    event = {
        "request": {
            "cookies": {"erp_session": "sid"},
            "data": '{"password": "hunter2"}',
            "headers": {"Authorization": "Bearer x", "Cookie": "erp_session=sid", "Accept": "*/*"},
            "query_string": "token=abc",
        },
        "extra": {"api_key": "sk-1", "nested": {"session_id": "sid", "ok": 1}},
    }
    scrubbed = scrub_event(event)
    text = str(scrubbed)
    for secret in ("sid", "hunter2", "Bearer x", "sk-1", "abc"):
        assert secret not in text
    assert scrubbed["request"]["headers"]["Accept"] == "*/*"
    assert scrubbed["extra"]["nested"]["ok"] == 1
