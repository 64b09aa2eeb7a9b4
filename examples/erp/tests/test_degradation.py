"""Real servers failing under the app: Redis killed and back, PostgreSQL down and back.

Private redis-server and PostgreSQL instances (tests/support) that these tests may kill;
the machine's shared servers are never touched.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
import redis
from erp_app.config import Settings
from erp_app.main import create_app
from fastapi import FastAPI
from sqlalchemy import text

import steinresil as sr
from support.ai_stubs import AIStubServer
from support.pg_server import PgProc
from support.redis_server import RedisProc

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
            yield http


async def wait_for(condition: Callable[[], object], seconds: float) -> float:
    """Poll ``condition`` (sync or async) until true; return how long it took."""
    started = time.monotonic()
    while True:
        outcome = condition()
        if hasattr(outcome, "__await__"):
            outcome = await outcome  # type: ignore[misc]
        if outcome:
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        await anyio.sleep(0.02)


async def test_redis_killed_under_a_request_loop_loses_no_request_or_session(
    make_settings: Callable[..., Settings], private_redis: RedisProc
) -> None:
    app = create_app(make_settings(redis_url=private_redis.url))
    sessions = app.state.sessions
    failures: list[str] = []
    made: dict[str, tuple[str, str]] = {}  # session digest -> (sid, store that took it)
    stop = anyio.Event()

    async def visitor(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            http.cookies.clear()
            response = await http.get("/api/session")
            if response.status_code != 200:
                failures.append(response.text)
            else:
                body = response.json()
                made[body["session"]] = (response.cookies["erp_session"], body["store"])
            await anyio.sleep(0.005)

    async with running(app) as http:
        health = (await http.get("/api/health")).json()
        assert health["checks"]["sessions"]["status"] == "healthy"
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(visitor, http)
            await anyio.sleep(0.3)
            private_redis.kill9()
            killed_at = time.monotonic()
            await wait_for(lambda: sessions.active == "memory", 1.0)
            failover_seconds = time.monotonic() - killed_at
            degraded = (await http.get("/api/health")).json()
            await anyio.sleep(1.0)
            # Written to memory while Redis was down. (What Redis held before the kill is
            # gone with it: this private Redis keeps nothing on disk.)
            during = {k: sid for k, (sid, store) in made.items() if store == "memory"}
            private_redis.start()
            await wait_for(lambda: sessions.active == "redis", 5.0)
            await anyio.sleep(0.2)
            stop.set()
        stats = (await http.get("/api/session/stats")).json()
    assert failures == []
    assert failover_seconds < 1.0
    assert degraded["checks"]["sessions"]["status"] == "degraded"
    assert stats["failovers"] >= 1
    assert stats["failbacks"] >= 1
    # Every session made while Redis was down is in Redis itself now.
    raw = redis.Redis.from_url(private_redis.url)
    try:
        missing = [sid for sid in during.values() if not raw.exists(f"erp:sess:{sid}")]
    finally:
        raw.close()
    made_in_outage = len(during)
    assert made_in_outage > 20
    assert missing == [], f"{len(missing)} of {made_in_outage} sessions missing from Redis"


async def test_redis_down_at_start_serves_from_memory_then_fails_back(
    make_settings: Callable[..., Settings], private_redis: RedisProc
) -> None:
    private_redis.stop()
    app = create_app(make_settings(redis_url=private_redis.url))
    async with running(app) as http:
        first = await http.get("/api/session")
        assert first.status_code == 200
        assert app.state.sessions.active == "memory"
        private_redis.start()
        await wait_for(lambda: app.state.sessions.active == "redis", 5.0)
        again = await http.get("/api/session")
        assert again.json()["session"] == first.json()["session"]  # copied back, not lost


async def test_database_down_turns_unhealthy_and_back(
    make_settings: Callable[..., Settings], private_pg: PgProc
) -> None:
    app = create_app(make_settings(database_url=private_pg.url()))

    @app.post("/write")
    async def write() -> dict[str, int]:  # stands for any route that must reach the database
        async with app.state.db.session() as session:
            return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    async with running(app) as http:
        assert (await http.post("/write")).json() == {"one": 1}
        assert (await http.get("/api/health")).json()["status"] == "degraded"
        private_pg.kill9()
        down = (await http.get("/api/health")).json()
        assert down["status"] == "unhealthy"
        assert down["checks"]["database"]["status"] == "unhealthy"
        write_down = await http.post("/write")
        assert write_down.status_code == 503  # no fallback for a write: a clean 503
        assert write_down.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert write_down.headers["retry-after"] == "5"
        ready = await http.get("/api/health/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        private_pg.start()
        await wait_for(functools.partial(_database_healthy, http), 10.0)
        assert (await http.get("/api/health/ready")).status_code == 200
        assert (await http.post("/write")).json() == {"one": 1}


async def _database_healthy(http: httpx.AsyncClient) -> bool:
    body = (await http.get("/api/health")).json()
    return bool(body["checks"]["database"]["status"] == "healthy")


async def test_postgres_start_stamps_then_finds_the_schema_current(
    make_settings: Callable[..., Settings], private_pg: PgProc
) -> None:
    settings = make_settings(database_url=private_pg.url())
    for expected in ("stamped", "current"):
        app = create_app(settings)
        started = time.perf_counter()
        report = await app.state.db.start()
        elapsed = time.perf_counter() - started
        await app.state.db.close()
        assert report.migrated == expected
        assert elapsed < 2.0  # the document's init target, with room on a loaded machine


async def test_postgres_that_starts_late_is_waited_for(
    make_settings: Callable[..., Settings], private_pg: PgProc
) -> None:
    private_pg.stop()
    private_pg.start_later(1.5)
    app = create_app(make_settings(database_url=private_pg.url()))
    async with running(app) as http:
        assert (await http.get("/api/health")).json()["checks"]["database"]["status"] == "healthy"


async def test_health_walks_healthy_degraded_healthy_unhealthy_healthy(
    make_settings: Callable[..., Settings], private_redis: RedisProc, private_pg: PgProc
) -> None:
    with AIStubServer() as stub:
        settings = make_settings(
            redis_url=private_redis.url,
            database_url=private_pg.url(),
            openai_api_key="sk-test",
            openai_base_url=stub.openai.base_url,
            anthropic_api_key="sk-ant-test",
            anthropic_base_url=stub.anthropic.base_url,
        )
        app = create_app(settings)
        async with running(app) as http:

            async def status() -> str:
                return str((await http.get("/api/health")).json()["status"])

            assert await status() == "healthy"  # everything up, two AI providers answer
            private_redis.kill9()
            await wait_for(lambda: app.state.sessions.active == "memory", 2.0)
            assert await status() == "degraded"  # sessions on the fallback
            private_redis.start()
            await wait_for(lambda: app.state.sessions.active == "redis", 5.0)
            await wait_for(functools.partial(_is, status, "healthy"), 5.0)
            private_pg.kill9()
            assert await status() == "unhealthy"  # the database is critical
            private_pg.start()
            await wait_for(functools.partial(_is, status, "healthy"), 10.0)


async def _is(status: Callable[[], Awaitable[str]], expected: str) -> bool:
    return await status() == expected


async def test_breakers_agree_across_workers_through_redis(
    make_settings: Callable[..., Settings], private_redis: RedisProc
) -> None:
    settings = make_settings(redis_url=private_redis.url)
    first, second = create_app(settings), create_app(settings)
    async with running(first), running(second):
        mine = first.state.ai.chain.breaker("openai")
        theirs = second.state.ai.chain.breaker("openai")
        mine.force_open()
        seconds = await wait_for(lambda: theirs.state is sr.CircuitState.FORCED_OPEN, 2.0)
        mine.reset()
        await wait_for(lambda: theirs.state is sr.CircuitState.CLOSED, 2.0)
    assert seconds < 0.2  # the bound: the other worker rejects within 200 ms
