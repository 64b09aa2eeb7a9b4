"""``create_app(settings)`` and the lifespan: wiring only, no logic of its own.

Start-up: logging, metrics, the database (wait, migrate, verify), the session store, the
AI chain, the functions catalogue, health checks; then readiness turns on. Shutdown:
readiness off (already at SIGTERM, see ``platform.lifecycle``), then the AI client, the
session store and the database pool are closed.
"""

from __future__ import annotations

import asyncio
import gc
import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI

import erp_app.models  # noqa: F401 - every domain's tables on Base.metadata before start-up
import steinresil as sr
from erp_app import __version__
from erp_app.config import Settings, load_settings
from erp_app.functions.service import DEFAULT_DIRECTORY, FunctionsCatalog
from erp_app.platform.ai import AI
from erp_app.platform.db import Database
from erp_app.platform.errors import install_error_handlers
from erp_app.platform.health import Health
from erp_app.platform.http import RequestContextMiddleware
from erp_app.platform.lifecycle import announce_shutdown_on_signals
from erp_app.platform.logging import configure_logging
from erp_app.platform.metrics import Metrics
from erp_app.platform.monitoring import instrument_app, start_monitoring
from erp_app.platform.sessions import Sessions
from erp_app.routers import ROUTERS
from erp_app.seed import SEEDERS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]

log = structlog.get_logger("erp.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ERP app for ``settings`` (default: read from the environment)."""
    settings = settings if settings is not None else load_settings()
    configure_logging(settings.log_level)
    registry = sr.Registry()
    metrics = Metrics(registry)
    metrics.info.labels(__version__, settings.environment).set(1)
    database = Database(settings, metrics)
    sessions = Sessions(settings, registry)
    ai = AI(settings, metrics, registry)
    functions = FunctionsCatalog(
        settings.functions_json_dir or DEFAULT_DIRECTORY, ttl=settings.functions_ttl_seconds
    )
    health = Health(settings, metrics, registry, version=__version__)
    health.register("database", database.check, critical=True)
    health.register("sessions", sessions.health, critical=False)
    health.register("ai", ai.health, critical=False)
    health.register("functions", functions.health, critical=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_monitoring = await start_monitoring(settings, health)
        await database.start()
        await sessions.start()
        for seed in SEEDERS:
            await seed(database, settings)
        await functions.load()
        health.ready = True
        # Everything made at start-up lives as long as the process: keep it out of the
        # garbage collector's full passes, whose pauses were the p99 under load.
        gc.freeze()
        # Keep the cached report warm a little before it expires (none when not cached).
        ttl = settings.health_cache_seconds
        refresher = asyncio.create_task(health.keep_fresh(ttl * 0.8)) if ttl > 0 else None
        log.info(
            "ready",
            version=__version__,
            environment=settings.environment,
            database=database.kind,
            sessions=sessions.active,
            pid=os.getpid(),
        )
        try:
            with announce_shutdown_on_signals():
                yield
        finally:
            if refresher is not None:
                refresher.cancel()
            health.ready = False
            health.shutting_down = True
            stop_monitoring()
            for close in (ai.aclose, sessions.aclose, database.close):
                try:
                    await close()
                except Exception:
                    log.exception("error while closing", what=close.__qualname__)
            log.info("stopped", pid=os.getpid())

    app = FastAPI(
        title="ERP SteinmetZ",
        version=__version__,
        description=(
            "The reference ERP service for steinresil: sessions, AI providers, the "
            "database and monitoring stay up while Redis, PostgreSQL and remote APIs fail."
        ),
        lifespan=lifespan,
    )
    # What routers and services reach through ``request.app.state``.
    for name, value in {
        "settings": settings,
        "registry": registry,
        "metrics": metrics,
        "db": database,
        "sessions": sessions,
        "ai": ai,
        "functions": functions,
        "health": health,
    }.items():
        setattr(app.state, name, value)
    install_error_handlers(app, development=settings.development)
    app.add_middleware(RequestContextMiddleware, metrics=metrics, development=settings.development)
    instrument_app(app, database.engine, settings)
    for router in ROUTERS:
        app.include_router(router)
    return app
