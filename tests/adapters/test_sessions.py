"""Session stores: memory (fake clock), Redis, and live fail-over against a real Redis.

Tests that talk to Redis run on asyncio only: redis-py's async client has no trio
support. ``MemorySessionStore`` and the fail-over logic itself also run on trio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Self

import anyio
import anyio.lowlevel
import pytest
import redis

import steinresil as sr
from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
    RedisUnavailableError,
    SessionDataError,
)
from steinresil.testing import FakeClock
from support.redis_server import RedisProc, free_port

asyncio_only = pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py: asyncio only


@contextlib.contextmanager
def raw_client(server: RedisProc):
    client = redis.Redis(port=server.port, socket_timeout=2)
    try:
        yield client
    finally:
        client.close()


async def wait_until(predicate, within: float = 5.0) -> float:
    """Seconds until ``predicate()`` held; fails the test after ``within`` seconds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            pytest.fail(f"condition not met within {within} s")
        await asyncio.sleep(0.005)
    return time.monotonic() - start


# ---- MemorySessionStore -----------------------------------------------------------------


@pytest.mark.anyio
async def test_memory_store_expires_entries_by_ttl(clock: FakeClock) -> None:
    store = MemorySessionStore(clock=clock)
    await store.set("a", {"user": 1}, ttl=10)
    clock.advance(9.9)
    assert await store.get("a") == {"user": 1}
    clock.advance(0.1)
    assert await store.get("a") is None
    assert len(store) == 0


@pytest.mark.anyio
async def test_memory_store_touch_extends_and_reports_missing(clock: FakeClock) -> None:
    store = MemorySessionStore(clock=clock)
    await store.set("a", {"n": 1}, ttl=10)
    clock.advance(8)
    assert await store.touch("a", ttl=10) is True
    clock.advance(8)
    assert await store.get("a") == {"n": 1}
    assert store.remaining("a") == pytest.approx(2)
    assert await store.touch("missing", ttl=10) is False
    clock.advance(2)
    assert await store.touch("a", ttl=10) is False


@pytest.mark.anyio
async def test_memory_store_evicts_least_recently_used(clock: FakeClock) -> None:
    store = MemorySessionStore(max_entries=2, clock=clock)
    await store.set("a", {}, ttl=60)
    await store.set("b", {}, ttl=60)
    await store.get("a")  # a is now the most recently used
    await store.set("c", {}, ttl=60)
    assert await store.get("b") is None
    assert await store.get("a") == {}
    assert await store.get("c") == {}
    assert store.evicted == 1


@pytest.mark.anyio
async def test_memory_store_sweeps_expired_entries_on_write(clock: FakeClock) -> None:
    store = MemorySessionStore(clock=clock)
    for i in range(100):
        await store.set(f"s{i}", {"i": i}, ttl=1)
        await store.touch(f"s{i}", ttl=2)  # leaves outdated deadlines in the heap
    clock.advance(5)
    await store.set("fresh", {}, ttl=1)
    assert len(store) == 1
    assert len(store._deadlines) < 100


@pytest.mark.anyio
async def test_memory_store_returns_copies_and_deletes(clock: FakeClock) -> None:
    store = MemorySessionStore(clock=clock)
    data = {"cart": [1]}
    await store.set("a", data, ttl=60)
    data["cart"].append(2)
    got = await store.get("a")
    assert got == {"cart": [1]}
    await store.delete("a")
    await store.delete("a")  # missing: not an error
    assert await store.get("a") is None


# ---- bad input ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("sid", "data", "ttl", "match"),
    [
        ("", {}, 60, "sid must be a non-empty string"),
        (None, {}, 60, "sid must be a non-empty string"),
        ("s", {}, -1, r"ttl for session 's' must be > 0 seconds, got -1"),
        ("s", {}, 0, "must be > 0 seconds"),
        ("s", {}, float("nan"), "must be seconds"),
        ("s", {"when": object()}, 60, r"not JSON-serialisable: data\['when'\]"),
        ("s", {"x": float("inf")}, 60, r"data\['x'\]"),
        ("s", {1: "int key"}, 60, "key 1 is not a string"),
        ("s", ["not", "a", "dict"], 60, "must be a JSON object"),
    ],
)
async def test_bad_input_is_refused_by_memory_store(sid, data, ttl, match) -> None:
    store = MemorySessionStore()
    with pytest.raises(ValueError, match=match):
        await store.set(sid, data, ttl)
    assert len(store) == 0


def test_session_data_error_is_both_type_and_value_error() -> None:
    assert issubclass(SessionDataError, TypeError)
    assert issubclass(SessionDataError, ValueError)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:6379/0", "scheme must be one of"),
        ("redis://:s3cret@127.0.0.1:notaport/0", "port is not a number"),
        ("redis://:s3cret@127.0.0.1:70000/0", "port is not a number"),
        ("redis://127.0.0.1:6379/zero", "database must be a number"),
        ("redis://", "no host"),
        ("", "non-empty"),
    ],
)
def test_malformed_url_is_named_without_its_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        RedisSessionStore.from_url(url)
    assert "s3cret" not in str(caught.value)
    if "s3cret" in url:
        assert "redis://:***@127.0.0.1" in str(caught.value)


@asyncio_only
@pytest.mark.anyio
async def test_wrong_port_fails_fast_naming_the_url() -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    store = RedisSessionStore.from_url(url)
    started = time.monotonic()
    with pytest.raises(RedisUnavailableError, match=r"redis://:\*\*\*@127\.0\.0\.1") as caught:
        await store.get("sid")
    assert time.monotonic() - started < 1.0
    assert "s3cret" not in str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    await store.aclose()


@asyncio_only
@pytest.mark.anyio
async def test_failover_store_refuses_bad_input_before_touching_either_store(
    redis_server: RedisProc,
) -> None:
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="bad:"), MemorySessionStore()
    )
    try:
        with pytest.raises(SessionDataError, match="data\\['n'\\]"):
            await store.set("s", {"ok": 1, "n": {1, 2}}, ttl=60)
        with pytest.raises(ValueError, match="ttl"):
            await store.set("s", {"ok": 1}, ttl=-5)
        with pytest.raises(ValueError, match="sid"):
            await store.get("")
        with raw_client(redis_server) as raw:
            assert raw.keys("bad:*") == []
        assert store.stats()["entries"] == 0
        assert store.active == "redis"
        assert store.stats()["failovers"] == 0
    finally:
        await store.aclose()


# ---- Redis store ----------------------------------------------------------------------


@asyncio_only
@pytest.mark.anyio
async def test_redis_store_round_trip_with_prefix_and_expiry(redis_server: RedisProc) -> None:
    store = RedisSessionStore.from_url(redis_server.url, prefix="erp:sess:")
    try:
        await store.set("abc", {"user_id": 1, "roles": ["admin"]}, ttl=30)
        assert await store.get("abc") == {"user_id": 1, "roles": ["admin"]}
        with raw_client(redis_server) as raw:
            assert 29_000 < raw.pttl("erp:sess:abc") <= 30_000
            assert await store.touch("abc", ttl=100)
            assert raw.pttl("erp:sess:abc") > 99_000
        assert not await store.touch("missing", ttl=10)
        await store.delete("abc")
        assert await store.get("abc") is None
    finally:
        await store.aclose()


# ---- fail-over and fail-back ----------------------------------------------------------


class Traffic:
    """Several tasks writing, reading and deleting sessions at a steady pace."""

    def __init__(self, store: FailoverSessionStore, tasks: int = 8, pause: float = 0.01):
        self.store, self.tasks, self.pause = store, tasks, pause
        self.errors: list[BaseException] = []
        self.ops = 0
        self.written_on_memory: dict[str, dict] = {}
        self.deleted_on_memory: set[str] = set()
        self.running = True

    async def worker(self, worker: int) -> None:
        n = 0
        while self.running:
            n += 1
            sid = f"w{worker}-{n}"
            data = {"worker": worker, "n": n}
            try:
                before = self.store.active
                await self.store.set(sid, data, ttl=120)
                await self.store.get(sid)
                deleting = n % 5 == 0
                if deleting:
                    await self.store.delete(sid)
                after = self.store.active
                self.ops += 3 if deleting else 2
                if before == after == "memory":
                    if deleting:
                        self.deleted_on_memory.add(sid)
                    else:
                        self.written_on_memory[sid] = data
            except Exception as exc:
                self.errors.append(exc)
            await asyncio.sleep(self.pause)

    async def __aenter__(self) -> Self:
        self._workers = [asyncio.create_task(self.worker(i)) for i in range(self.tasks)]
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.running = False
        await asyncio.gather(*self._workers)


@asyncio_only
@pytest.mark.anyio
async def test_fail_over_and_back_under_traffic_loses_nothing(redis_server: RedisProc) -> None:
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="t:"),
        MemorySessionStore(),
        probe_interval=0.1,
    )
    try:
        async with Traffic(store) as traffic:
            await asyncio.sleep(0.5)
            assert store.active == "redis"
            redis_server.kill9()
            switched = await wait_until(lambda: store.active == "memory", within=1.0)
            assert store.health().status is sr.HealthStatus.DEGRADED
            await asyncio.sleep(2.0)
            ops_before_restart = traffic.ops
            redis_server.start()
            await wait_until(lambda: store.active == "redis", within=3.0)
            await asyncio.sleep(0.5)
        assert traffic.errors == []
        assert switched < 1.0
        assert ops_before_restart / 3.0 >= 200  # at least 200 operations a second
        assert traffic.written_on_memory, "no session was written during the outage"
        with raw_client(redis_server) as raw:
            for sid, data in traffic.written_on_memory.items():
                stored = raw.get(f"t:{sid}")
                assert stored is not None, f"session {sid} written during the outage is lost"
                assert store_json(stored) == data
                assert 0 < raw.pttl(f"t:{sid}") <= 120_000
            for sid in traffic.deleted_on_memory:
                assert raw.get(f"t:{sid}") is None
        stats = store.stats()
        assert stats["failovers"] == 1, "a stale pool caused a second fail-over"
        assert stats["failbacks"] == 1
        assert stats["copied_back"] >= len(traffic.written_on_memory)
        assert stats["entries"] == 0
        assert store.health().status is sr.HealthStatus.HEALTHY
    finally:
        await store.aclose()


def store_json(raw: bytes) -> dict:
    return json.loads(raw)


@asyncio_only
@pytest.mark.anyio
async def test_fail_back_keeps_remaining_ttl_and_applies_deletes(redis_server: RedisProc) -> None:
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="d:"),
        MemorySessionStore(),
        probe_interval=1.0,
    )
    try:
        await store.set("keep", {"v": 0}, ttl=60)
        redis_server.kill9()
        await store.set("new", {"v": 1}, ttl=100)
        await store.delete("gone")
        assert store.active == "memory"
        await asyncio.sleep(0.3)
        redis_server.start()
        with raw_client(redis_server) as raw:
            raw.set("d:gone", "{}")  # e.g. written by another worker meanwhile
            await wait_until(lambda: store.active == "redis", within=3.0)
            assert raw.get("d:gone") is None
            assert 98_000 < raw.pttl("d:new") < 100_000
        assert await store.get("new") == {"v": 1}
        assert store.stats()["failovers"] == 1
    finally:
        await store.aclose()


@asyncio_only
@pytest.mark.anyio
async def test_starts_on_memory_when_redis_is_down_and_fails_back(redis_server: RedisProc) -> None:
    redis_server.kill9()
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="s:"),
        MemorySessionStore(),
        probe_interval=0.1,
    )
    try:
        started = time.monotonic()
        await store.set("first", {"n": 1}, ttl=60)
        assert time.monotonic() - started < 1.0
        assert store.active == "memory"
        assert await store.get("first") == {"n": 1}
        redis_server.start()
        await wait_until(lambda: store.active == "redis", within=3.0)  # no traffic needed
        with raw_client(redis_server) as raw:
            assert raw.get("s:first") == b'{"n":1}'
        assert await store.get("first") == {"n": 1}
    finally:
        await store.aclose()


@asyncio_only
@pytest.mark.anyio
async def test_fails_over_and_back_without_traffic(redis_server: RedisProc) -> None:
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="q:"),
        MemorySessionStore(),
        probe_interval=0.1,
    )
    try:
        await store.set("only", {"n": 1}, ttl=60)  # one call, then silence
        redis_server.kill9()
        assert await wait_until(lambda: store.active == "memory", within=1.0) < 1.0
        assert store.health().status is sr.HealthStatus.DEGRADED
        redis_server.start()
        await wait_until(lambda: store.active == "redis", within=3.0)
        assert store.stats()["failovers"] == 1
    finally:
        await store.aclose()


@asyncio_only
@pytest.mark.anyio
async def test_start_watches_redis_before_any_session_call(redis_server: RedisProc) -> None:
    store = FailoverSessionStore(
        RedisSessionStore.from_url(redis_server.url, prefix="s:"),
        MemorySessionStore(),
        probe_interval=0.1,
    )
    try:
        await store.start()  # no session call at all
        redis_server.kill9()
        assert await wait_until(lambda: store.active == "memory", within=1.0) < 1.0
    finally:
        await store.aclose()


class FlakyStore:
    """A primary that can be switched off, and no _set_json: the generic path, any loop."""

    name = "flaky"

    def __init__(self) -> None:
        self.memory = MemorySessionStore()
        self.down = False
        self.crash_at_set: int | None = None  # the n-th set restarts it, losing its data

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("flaky is down")

    async def get(self, sid):
        self._check()
        return await self.memory.get(sid)

    async def set(self, sid, data, ttl):
        self._check()
        if self.crash_at_set is not None:
            self.crash_at_set -= 1
            if self.crash_at_set == 0:
                self.memory.clear()
                raise ConnectionError("flaky restarted")
        await self.memory.set(sid, data, ttl)

    async def touch(self, sid, ttl):
        self._check()
        return await self.memory.touch(sid, ttl)

    async def delete(self, sid):
        self._check()
        await self.memory.delete(sid)

    async def aclose(self) -> None:
        await self.memory.aclose()


@pytest.mark.anyio
async def test_fail_over_logic_on_asyncio_and_trio_names_the_active_store() -> None:
    primary = FlakyStore()
    store = FailoverSessionStore(primary, MemorySessionStore(), probe_interval=0.05)
    assert store.active == "flaky"
    primary.down = True
    await store.set("a", {"n": 1}, ttl=60)
    assert store.active == "memory"
    assert store.health().error == "ConnectionError: flaky is down"
    primary.down = False
    deadline = time.monotonic() + 3
    while store.active != "flaky":  # a probe task on asyncio; the next call on trio
        assert time.monotonic() < deadline
        await sr_sleep(0.02)
        await store.get("a")
    assert await primary.memory.get("a") == {"n": 1}
    await store.aclose()


async def sr_sleep(seconds: float) -> None:
    await sr.system_clock.sleep_async(seconds)


@pytest.mark.anyio
async def test_a_primary_that_dies_during_fail_back_gets_everything_again() -> None:
    primary = FlakyStore()
    store = FailoverSessionStore(primary, MemorySessionStore(), probe_interval=0.02)
    primary.down = True
    for i in range(3):
        await store.set(f"s{i}", {"i": i}, ttl=60)
    await store.delete("old")
    primary.down, primary.crash_at_set = False, 2  # the second copy kills it
    deadline = time.monotonic() + 3
    while store.active != "flaky":
        assert time.monotonic() < deadline
        await sr_sleep(0.02)
        await store.get("s0")
    assert [await primary.memory.get(f"s{i}") for i in range(3)] == [{"i": i} for i in range(3)]
    assert store.stats()["failbacks"] == 1
    assert store.stats()["pending_copy"] == 0
    await store.aclose()


class SlowFlakyStore(FlakyStore):
    """A primary whose writes take several loop turns: slower than the app's own writes."""

    async def set(self, sid, data, ttl):
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        await super().set(sid, data, ttl)


@pytest.mark.anyio
async def test_fail_back_ends_while_writers_outpace_the_copy() -> None:
    # Found by the ERP app's kill-Redis-under-load test: the copy-back loop went on while
    # requests kept writing sessions to memory faster than it copied them, so the store
    # never returned to Redis. Calls now wait for the last pass, which then ends.
    primary = SlowFlakyStore()
    store = FailoverSessionStore(primary, MemorySessionStore(), probe_interval=0.02)
    primary.down = True
    await store.set("first", {"n": 0}, ttl=60)
    written: list[str] = []
    stop = anyio.Event()

    async def writer(prefix: str) -> None:
        n = 0
        while not stop.is_set():
            sid = f"{prefix}{n}"
            await store.set(sid, {"n": n}, ttl=60)
            written.append(sid)
            n += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(writer, "a")
        tg.start_soon(writer, "b")
        primary.down = False
        deadline = time.monotonic() + 3
        while store.active != "flaky":
            assert time.monotonic() < deadline, f"still on memory after {len(written)} writes"
            await anyio.sleep(0.01)
        stop.set()
    missing = [sid for sid in ["first", *written] if await primary.memory.get(sid) is None]
    assert missing == []
    assert store.stats()["pending_copy"] == 0
    await store.aclose()
