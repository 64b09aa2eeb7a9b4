"""Fixtures for the ERP app's tests: settings on temp dirs, the app with its lifespan,
an httpx client over ASGI, and the repository's loopback servers (private Redis and
PostgreSQL, AI provider stubs) from ``tests/support``."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_environment import APP_VARIABLES
from erp_app.config import Settings, load_settings
from erp_app.main import create_app
from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))  # support.redis_server, support.pg_server, ...

from support.pg_server import PgProc, pg_available  # noqa: E402 - found through the path above
from support.redis_server import RedisProc, redis_available  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the app runs on asyncio (uvicorn); redis-py and asyncpg need it


@pytest.fixture
def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Settings on a temp data dir, ignoring the developer's own environment."""
    for name in APP_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("health_cache_seconds", 0.0)
        return load_settings(**overrides)

    return make


@pytest.fixture
async def app(make_settings: Callable[..., Settings]) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
        yield http


@pytest.fixture
def private_redis() -> Iterator[RedisProc]:
    """A private redis-server on a free port, stopped after; tests may kill and restart it."""
    if not redis_available():
        pytest.fail("redis-server is not installed: ./scripts/test installs it")
    server = RedisProc()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def private_pg() -> Iterator[PgProc]:
    """A private PostgreSQL on a free port, stopped after; tests may start it late or kill it."""
    if not pg_available():
        pytest.fail("PostgreSQL server binaries are not installed")
    with PgProc() as server:
        server.start()
        yield server
