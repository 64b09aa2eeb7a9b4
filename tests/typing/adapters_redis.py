"""Type checks for the Redis adapters: checked by mypy, never run."""

from __future__ import annotations

from typing import assert_type

import steinresil as sr
from steinresil.adapters.redis import RedisRateLimiter, RedisStateStore
from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
    SessionData,
    SessionStore,
)

URL = "redis://127.0.0.1:6379/0"

# Each store meets the protocol, and the fail-over store is one too.
redis_store: SessionStore = RedisSessionStore.from_url(URL, prefix="erp:sess:")
memory_store: SessionStore = MemorySessionStore(max_entries=100_000)
store: SessionStore = FailoverSessionStore(redis_store, memory_store, probe_interval=0.5)
failover = FailoverSessionStore(redis_store, memory_store)
assert_type(failover.active, str)
assert_type(failover.health(), sr.ComponentHealth)


async def sessions() -> None:
    assert_type(await failover.get("sid"), SessionData | None)
    assert_type(await failover.touch("sid", ttl=60.0), bool)
    await failover.set("sid", {"user_id": 1}, ttl=60.0)


# Breakers take the Redis store; the limiter is a Strategy and decorates like RateLimiter.
state_store: sr.CircuitStateStore = RedisStateStore.from_url(URL, namespace="erp")
breaker = sr.CircuitBreaker("payments", state_store=state_store)
login = RedisRateLimiter.from_url(URL, name="login", rate=5, per=60.0)
strategy: sr.Strategy = login
assert_type(login.try_acquire(key="alice"), bool)
assert_type(login.acquire(wait=True, timeout=1.0), float)


@login
def fetch(user_id: int) -> str:
    return str(user_id)


assert_type(fetch(1), str)
