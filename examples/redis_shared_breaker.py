"""One breaker state and one rate limit for many workers, through Redis.

Run: python3 examples/redis_shared_breaker.py   (needs the redis extra)
Two stores stand in for two worker processes. Uses REDIS_URL (default
redis://127.0.0.1:6379/0); without a Redis each side decides locally and it says so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time

import steinresil as sr
from steinresil.adapters.redis import RedisRateLimiter, RedisStateStore

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def charge() -> str:
    raise ConnectionError("payment provider unreachable")


def main() -> None:
    namespace = f"example-{secrets.token_hex(4)}"  # keep clear of anyone else's keys
    with (
        RedisStateStore.from_url(URL, namespace=namespace) as worker_a,
        RedisStateStore.from_url(URL, namespace=namespace) as worker_b,
    ):
        breaker_a = sr.CircuitBreaker("payments", failure_threshold=2, state_store=worker_a)
        breaker_b = sr.CircuitBreaker("payments", failure_threshold=2, state_store=worker_b)
        shared = worker_a.connected.wait(1.0) and worker_b.connected.wait(1.0)
        print("Redis reachable:", shared)
        for _ in range(2):
            with contextlib.suppress(ConnectionError):
                breaker_a.call(charge)
        print("worker A:", breaker_a.state.value)
        deadline = time.monotonic() + 1.0
        while shared and breaker_b.state is not sr.CircuitState.OPEN:
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
        print("worker B:", breaker_b.state.value, "(local only)" if not shared else "")
        breaker_a.reset()

    login = RedisRateLimiter.from_url(URL, name=f"{namespace}-login", rate=3, per=60.0)
    try:
        allowed = [login.try_acquire(key="alice") for _ in range(4)]
        print("alice's login attempts allowed:", allowed, "decided by:", login.active)
        print(f"next attempt in {login.retry_after(key='alice'):.0f} s")
    finally:
        login.close()


if __name__ == "__main__":
    main()
