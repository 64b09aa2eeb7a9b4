"""Optional error tracking (Sentry) and tracing (OpenTelemetry OTLP).

Off by default, and then nothing of theirs is even imported. Switched on but broken (the
package missing, a DSN or endpoint that does not answer) the app still starts, and health
shows a non-critical ``monitoring`` component saying why. Events sent to Sentry go
through ``before_send``, which drops cookies, authorization headers, request bodies and
anything named like a secret.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog

import steinresil as sr

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

    from erp_app.config import Settings
    from erp_app.platform.health import Health

__all__ = ["instrument_app", "scrub_event", "start_monitoring"]

log = structlog.get_logger("erp.monitoring")
_SECRET_NAMES = re.compile(r"pass|secret|token|key|auth|cookie|session|dsn", re.IGNORECASE)


def scrub_event(event: dict[str, Any], _hint: object = None) -> dict[str, Any]:
    """Sentry's ``before_send``: nothing secret leaves the server."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: ("[scrubbed]" if _SECRET_NAMES.search(k) else v) for k, v in headers.items()
            }
        request.pop("query_string", None)
    for key in ("extra", "contexts"):
        section = event.get(key)
        if isinstance(section, dict):
            event[key] = _scrub(section)
    return event


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[scrubbed]" if _SECRET_NAMES.search(str(k)) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def check(self) -> sr.ComponentHealth:
        if self.found:
            return sr.ComponentHealth(
                sr.HealthStatus.DEGRADED,
                details=dict(self.found),
                error="; ".join(f"{k}: {v}" for k, v in self.found.items()),
            )
        return sr.ComponentHealth(sr.HealthStatus.HEALTHY)


async def start_monitoring(settings: Settings, health: Health) -> Callable[[], None]:
    """Set up what is switched on; never raise: a broken tracer must not stop the ERP.

    Returns what to call at shutdown (flush and stop the span exporter).
    """
    stops: list[Callable[[], None]] = []
    if not (settings.sentry_enabled or settings.otel_traces_enabled):
        return lambda: None
    problems = _Problems()
    health.register("monitoring", problems.check, critical=False)
    if settings.sentry_enabled:
        _start_sentry(settings, problems)
    if settings.otel_traces_enabled:
        stop = await _start_tracing(settings, problems)
        if stop is not None:
            stops.append(stop)

    def stop_all() -> None:
        for stop in stops:
            stop()

    return stop_all


def _start_sentry(settings: Settings, problems: _Problems) -> None:
    try:
        import sentry_sdk  # noqa: PLC0415 - only when switched on

        dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
        sentry_sdk.init(
            dsn=dsn,
            environment=settings.environment,
            before_send=scrub_event,  # type: ignore[arg-type] # a plain dict is an Event
            traces_sample_rate=0.0,
        )
    except ImportError:
        problems.found["sentry"] = "SENTRY_ENABLED but sentry-sdk is not installed"
    except Exception as exc:  # a malformed DSN: say which part, never the DSN itself
        problems.found["sentry"] = f"could not start: {type(exc).__name__}"
    else:
        log.info("error tracking on", tracker="sentry")


async def _start_tracing(settings: Settings, problems: _Problems) -> Callable[[], None] | None:
    endpoint = settings.otel_exporter_otlp_endpoint or "http://127.0.0.1:4318"
    try:
        from opentelemetry import trace  # noqa: PLC0415
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        problems.found["tracing"] = "OTEL_TRACES_ENABLED but the otel extra is not installed"
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": "erp-steinmetz"}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=2)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 4318
    # The exporter fails silently in the background: look once whether anyone listens.
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError) as exc:
        problems.found["tracing"] = (
            f"OTLP endpoint {host}:{port} unreachable ({type(exc).__name__}); spans are dropped"
        )
    else:
        writer.close()
    log.info("tracing on", endpoint=f"{host}:{port}")
    return provider.shutdown


def instrument_app(app: FastAPI, engine: AsyncEngine, settings: Settings) -> None:
    """Trace requests, outgoing HTTP and SQL when tracing is on and installed."""
    if not settings.otel_traces_enabled:
        return
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415
        from opentelemetry.instrumentation.sqlalchemy import (  # noqa: PLC0415
            SQLAlchemyInstrumentor,
        )
    except ImportError:
        return
    FastAPIInstrumentor.instrument_app(app, excluded_urls="/api/metrics,/api/health/.*")
    HTTPXClientInstrumentor().instrument()
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
