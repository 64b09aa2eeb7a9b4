"""Chaos under load: kill -9 Redis, PostgreSQL and the AI provider, one by one, then together.

A real app process (uvicorn) runs on a private Redis, a private PostgreSQL and an OpenAI
stub that runs in a child process of its own, so that it too can be killed with SIGKILL
and restarted on the same port. Four loopback clients keep a steady load on it
(sessions, AI completions, the health report, and readiness, which is what answers for
the database on this branch). Everything is loopback and bounded: each wait has a limit
and the whole test takes about a minute and a half, most of it the OpenAI breaker's
30 s reset timeout before it tries the restarted provider again.

What is asserted is behaviour: no request lost (every one answered, no transport error),
no 5xx where a fallback exists (sessions: memory store; AI: the local provider), a clean
503 in the error shape where none does (readiness while the database is down), health
following each outage, and recovery after each restart. Times are measured against the
seed document's targets (Redis fail-over < 1 s, a failed AI provider < 100 ms once its
circuit is open, database init < 2 s), printed (``-s``) and written to
``test-artifacts/chaos-report.json``. Only the fail-over is also asserted, at 2 s (the
target with room for a loaded 2-core machine and the 20 ms polling).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from test_process import ErpProcess

from support.pg_server import PgProc, pg_available
from support.redis_server import RedisProc, free_port, redis_available

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "test-artifacts"
SUPPORT = HERE.parents[2] / "tests"
TARGETS = {"redis_failover_s": 1.0, "ai_once_open_ms": 100.0, "db_init_s": 2.0}
KEY = "sk-chaos"

# The repository's OpenAI stub (tests/support/ai_stubs.py) on a fixed port, in a process
# of its own: a SIGKILL takes it down like a crashed provider, and the restart listens on
# the same address the app was configured with. (The stub binds port 0 itself; the one
# class attribute it binds with is swapped for a fixed address.)
STUB_CHILD = """
import sys, threading
sys.path.insert(0, sys.argv[2])
import support.ai_stubs as stubs
port = int(sys.argv[1])
class FixedPort(stubs._Server):
    def __init__(self, _address, handler):
        super().__init__(("127.0.0.1", port), handler)
stubs._Server = FixedPort
stubs.AIStubServer().start()
threading.Event().wait()
"""


class StubProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/openai/v1"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STUB_CHILD, str(self.port), str(SUPPORT)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(
                    self.base_url + "/models", headers={"authorization": f"Bearer {KEY}"}
                )
                if answer.status_code == 200:
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the AI stub did not start (exit {self.proc.poll()})")
            time.sleep(0.05)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@dataclass
class Record:
    kind: str
    sent: float
    took: float
    status: int | None  # None: no answer at all (a transport error)
    body: Any = None
    error: str | None = None


@dataclass
class Load:
    """Clients that keep requesting until stopped, every outcome recorded."""

    url: str
    records: list[Record] = field(default_factory=list)
    stop: anyio.Event = field(default_factory=anyio.Event)

    async def client(self, kind: str, method: str, path: str, body: Any = None) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=15) as http:
            while not self.stop.is_set():
                sent = time.monotonic()
                try:
                    answer = await http.request(method, path, json=body)
                    took = time.monotonic() - sent
                    try:
                        payload = answer.json()
                    except ValueError:
                        payload = answer.text
                    self.records.append(Record(kind, sent, took, answer.status_code, payload))
                except httpx.HTTPError as exc:
                    took = time.monotonic() - sent
                    self.records.append(Record(kind, sent, took, None, error=repr(exc)))
                await anyio.sleep(0.05)  # about 15 requests/s per client: steady, not a stress test

    def between(self, start: float, end: float, kind: str | None = None) -> list[Record]:
        return [
            r for r in self.records if start <= r.sent < end and (kind is None or r.kind == kind)
        ]


def problems(records: list[Record]) -> list[str]:
    """Lost requests, 5xx where a fallback exists, and 503s not in the error shape."""
    found = []
    for r in records:
        if r.status is None:
            found.append(f"{r.kind}: no answer ({r.error})")
        elif r.kind == "ready" and r.status == 503:
            error = r.body.get("error", {}) if isinstance(r.body, dict) else {}
            shape = isinstance(r.body, dict) and r.body.get("success") is False
            clean = shape and error.get("code") == "SERVICE_UNAVAILABLE" and error.get("requestId")
            if not clean:
                found.append(f"ready: 503 not in the error shape: {r.body!r}")
        elif r.status != 200:
            found.append(f"{r.kind}: {r.status} {r.body!r}")
    return found


async def wait_until(
    check: Callable[[], Awaitable[bool]], limit: float, what: str, every: float = 0.02
) -> float:
    """Seconds until ``check()`` is true; fails the test after ``limit`` seconds."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > limit:
            raise AssertionError(f"{what}: not within {limit} s")
        await anyio.sleep(every)
    return time.monotonic() - started


@pytest.fixture
def servers() -> Iterator[tuple[RedisProc, PgProc, StubProcess]]:
    if not redis_available() or not pg_available():
        pytest.fail("redis-server and PostgreSQL are needed: ./scripts/test installs them")
    redis_server = RedisProc()
    stub = StubProcess()
    with PgProc() as pg:
        try:
            redis_server.start()
            pg.start()
            stub.start()
            yield redis_server, pg, stub
        finally:
            stub.kill9()
            redis_server.close()


@contextlib.asynccontextmanager
async def app_process(
    tmp_path: Path, redis_server: RedisProc, pg: PgProc, stub: StubProcess
) -> AsyncIterator[ErpProcess]:
    env = {
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": pg.url(),
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": stub.base_url,
        "HEALTH_CACHE_SECONDS": "0",  # health follows at once; what is measured is the app
        "LOG_LEVEL": "INFO",
    }
    process = ErpProcess(tmp_path, env=env)
    await anyio.to_thread.run_sync(process.start)
    try:
        yield process
    finally:
        process.kill()


def db_init_seconds(log: str) -> float | None:
    for line in log.splitlines():
        if '"database ready"' in line:
            with contextlib.suppress(ValueError):
                return float(json.loads(line)["seconds"])
    match = re.search(r'"seconds": ([0-9.]+)', log)
    return float(match.group(1)) if match else None


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def test_kill9_redis_postgres_and_the_ai_provider_under_load(
    tmp_path: Path, servers: tuple[RedisProc, PgProc, StubProcess]
) -> None:
    redis_server, pg, stub = servers
    report: dict[str, Any] = {"targets": TARGETS}
    async with app_process(tmp_path, redis_server, pg, stub) as erp:
        report["db_init_s"] = db_init_seconds(erp.log())
        http = httpx.AsyncClient(base_url=erp.url, timeout=15)
        load = Load(erp.url)

        async def get(path: str) -> Any:
            return (await http.get(path)).json()

        async def store_is(name: str) -> bool:
            return bool((await get("/api/session/stats"))["active"] == name)

        async def ready_is(status: int) -> bool:
            return (await http.get("/api/health/ready")).status_code == status

        async def check_is(component: str, status: str) -> bool:
            return bool((await get("/api/health"))["checks"][component]["status"] == status)

        async def breaker_open() -> bool:
            text = (await http.get("/api/metrics")).text
            return 'circuit_breaker_state{name="openai",state="open"} 1.0' in text

        async def openai_answers() -> bool:
            answer = await http.post("/api/ai/complete", json={"prompt": "back?"})
            return bool(answer.status_code == 200 and answer.json()["provider"] == "openai")

        async def kill(*victims: Callable[[], None]) -> float:
            async with anyio.create_task_group() as tg:
                for victim in victims:
                    tg.start_soon(anyio.to_thread.run_sync, victim)
            return time.monotonic()

        baseline = await get("/api/health")
        assert baseline["checks"]["database"]["status"] == "healthy"
        assert baseline["checks"]["sessions"]["status"] == "healthy"
        assert (await http.post("/api/ai/complete", json={"prompt": "hi"})).json()[
            "provider"
        ] == "openai"
        report["baseline_health"] = baseline["status"]

        async with anyio.create_task_group() as tg:
            tg.start_soon(load.client, "session", "GET", "/api/session")
            tg.start_soon(load.client, "ai", "POST", "/api/ai/complete", {"prompt": "status"})
            tg.start_soon(load.client, "health", "GET", "/api/health")
            tg.start_soon(load.client, "ready", "GET", "/api/health/ready")
            await anyio.sleep(1.0)
            started = time.monotonic()

            # ---- Redis: fail over to memory, keep serving, fail back with the sessions.
            killed = await kill(redis_server.kill9)
            await wait_until(lambda: store_is("memory"), 5, "session fail-over")
            report["redis_failover_s"] = round(time.monotonic() - killed, 3)
            await wait_until(lambda: check_is("sessions", "degraded"), 5, "health degraded")
            report["redis_health_degraded_s"] = round(time.monotonic() - killed, 3)
            async with httpx.AsyncClient(base_url=erp.url) as visitor:
                made = (await visitor.get("/api/session")).json()  # made in the outage
                assert made["store"] == "memory"
                await anyio.sleep(0.5)
                await anyio.to_thread.run_sync(redis_server.start)
                restarted = time.monotonic()
                await wait_until(lambda: store_is("redis"), 10, "session fail-back")
                report["redis_failback_s"] = round(time.monotonic() - restarted, 3)
                kept = (await visitor.get("/api/session")).json()
            assert kept["session"] == made["session"]  # not lost by the fail-back
            assert kept["store"] == "redis"
            await wait_until(lambda: check_is("sessions", "healthy"), 10, "sessions healthy")

            # ---- PostgreSQL: no fallback for the database: clean 503s, then recovery.
            killed = await kill(pg.kill9)
            report["db_ready_503_s"] = round(
                await wait_until(lambda: ready_is(503), 10, "ready 503"), 3
            )
            await wait_until(lambda: check_is("database", "unhealthy"), 10, "db unhealthy")
            assert (await get("/api/health"))["status"] == "unhealthy"
            await anyio.sleep(1.0)
            await anyio.to_thread.run_sync(pg.start)
            restarted = time.monotonic()
            await wait_until(lambda: ready_is(200), 20, "ready again")
            report["db_recovery_s"] = round(time.monotonic() - restarted, 3)
            await wait_until(lambda: check_is("database", "healthy"), 10, "db healthy")

            # ---- The AI provider: its breaker opens, the local provider answers at once.
            killed = await kill(stub.kill9)
            await wait_until(breaker_open, 20, "openai breaker open", every=0.1)
            opened = time.monotonic()
            report["ai_breaker_open_s"] = round(opened - killed, 3)
            await anyio.sleep(2.0)
            while_open = load.between(opened, time.monotonic(), "ai")
            assert {r.body["provider"] for r in while_open} == {"fallback"}
            report["ai_once_open"] = ms([r.took for r in while_open])
            await wait_until(lambda: check_is("ai", "degraded"), 15, "ai degraded")
            report["ai_health_degraded_s"] = round(time.monotonic() - killed, 3)
            await anyio.to_thread.run_sync(stub.start)
            restarted = time.monotonic()
            await wait_until(openai_answers, 45, "openai answers again", every=0.5)
            report["ai_recovery_s"] = round(time.monotonic() - restarted, 3)
            await wait_until(lambda: check_is("ai", "healthy"), 15, "ai healthy again")

            # ---- All three at once.
            killed = await kill(redis_server.kill9, pg.kill9, stub.kill9)
            await wait_until(lambda: store_is("memory"), 5, "together: fail-over")
            # From the moment all three are dead (PostgreSQL's kill waits for its backends).
            report["together_redis_failover_s"] = round(time.monotonic() - killed, 3)
            await wait_until(lambda: ready_is(503), 10, "together: ready 503")
            await wait_until(breaker_open, 20, "together: breaker open", every=0.1)
            await anyio.sleep(1.0)
            await kill(redis_server.start, pg.start, stub.start)
            restarted = time.monotonic()
            await wait_until(lambda: store_is("redis"), 10, "together: fail-back")
            await wait_until(lambda: ready_is(200), 20, "together: ready again")
            await wait_until(openai_answers, 45, "together: openai again", every=0.5)
            report["together_recovery_s"] = round(time.monotonic() - restarted, 3)
            await anyio.sleep(0.5)
            load.stop.set()
        ended = time.monotonic()
        await http.aclose()

    during = load.between(started, ended)
    report["requests"] = {
        kind: {
            "sent": len(load.between(started, ended, kind)),
            "statuses": {
                str(s): sum(1 for r in load.between(started, ended, kind) if r.status == s)
                for s in sorted({r.status or 0 for r in load.between(started, ended, kind)})
            },
            **ms([r.took for r in load.between(started, ended, kind)]),
        }
        for kind in ("session", "ai", "health", "ready")
    }
    report["seconds"] = round(ended - started, 1)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chaos-report.json").write_text(json.dumps(report, indent=2) + "\n")
    print("\nchaos report:", json.dumps(report, indent=2))

    assert problems(during) == []
    for kind in ("session", "ai", "health", "ready"):
        assert len(load.between(started, ended, kind)) > 20, kind  # the load really ran
    assert any(r.status == 503 for r in during if r.kind == "ready")  # it saw the outage
    assert report["redis_failover_s"] < 2.0  # target 1 s (recorded above)
    assert report["together_redis_failover_s"] < 2.0
    if os.environ.get("ERP_CHAOS_STRICT"):  # by hand, on an idle machine: the targets
        assert report["redis_failover_s"] < TARGETS["redis_failover_s"]
        assert report["ai_once_open"]["p50_ms"] < TARGETS["ai_once_open_ms"]
        assert (report["db_init_s"] or 0) < TARGETS["db_init_s"]
