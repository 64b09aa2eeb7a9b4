"""Session get/set: FailoverSessionStore on Redis vs raw redis-py on the same Redis, and on
the memory fallback. Target: steinresil / plain <= 1.1 for get and set.

Uses the Redis on 127.0.0.1:6379 (skipped if none answers) with a unique key prefix.
Run: python -m pytest benchmarks/test_sessions_bench.py --benchmark-only
Fail-over time and cross-process propagation: python benchmarks/measure_failover.py
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio

from bench_support import ASYNC_BATCH, batch_awaiting
from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
)

URL = "redis://127.0.0.1:6379/0"
DATA = {"user_id": 42, "roles": ["admin", "user"], "csrf": "x" * 32}
TTL = 600.0


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def prefix() -> str:
    return f"bench:{secrets.token_hex(4)}:"


def _operations(
    kind: str, prefix: str, loop: asyncio.AbstractEventLoop
) -> Iterator[tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]]:
    """(get, set) for one kind of store; closes it afterwards."""
    if kind == "plain":
        client = redis.asyncio.Redis.from_url(URL)
        key = prefix + "sid"

        async def raw_get() -> Any:
            text = await client.get(key)
            return None if text is None else json.loads(text)

        async def raw_set() -> None:
            await client.set(key, json.dumps(DATA), px=int(TTL * 1000))

        yield raw_get, raw_set
        loop.run_until_complete(client.aclose())
        return
    primary_url = URL if kind == "steinresil" else f"redis://127.0.0.1:{_free_port()}/0"
    store = FailoverSessionStore(
        RedisSessionStore.from_url(primary_url, prefix=prefix),
        MemorySessionStore(),
        probe_interval=60.0,
    )
    loop.run_until_complete(store.set("sid", DATA, TTL))
    assert store.active == ("redis" if kind == "steinresil" else "memory")
    yield (lambda: store.get("sid")), (lambda: store.set("sid", DATA, TTL))
    loop.run_until_complete(store.aclose())


KINDS = ["plain", "steinresil", "memory-fallback"]


@pytest.mark.benchmark(group="sessions-get-async")
@pytest.mark.parametrize("library", KINDS)
def test_session_get(
    benchmark: Any, library: str, prefix: str, loop: asyncio.AbstractEventLoop
) -> None:
    operations = _operations(library, prefix, loop)
    get, put = next(operations)
    loop.run_until_complete(put())
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(get, loop))
    assert loop.run_until_complete(get()) == DATA
    next(operations, None)


@pytest.mark.benchmark(group="sessions-set-async")
@pytest.mark.parametrize("library", KINDS)
def test_session_set(
    benchmark: Any, library: str, prefix: str, loop: asyncio.AbstractEventLoop
) -> None:
    operations = _operations(library, prefix, loop)
    _, put = next(operations)
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(put, loop))
    next(operations, None)
