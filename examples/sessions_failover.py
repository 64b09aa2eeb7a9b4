"""Sessions in Redis that fail over to memory and back, without a failed request.

Run: python3 examples/sessions_failover.py   (needs the redis extra)
Uses REDIS_URL (default redis://127.0.0.1:6379/0); without a Redis it runs on memory.
"""

from __future__ import annotations

import asyncio
import os
import secrets

from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
)

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def main() -> None:
    prefix = f"example:sess:{secrets.token_hex(4)}:"  # keep clear of anyone else's keys
    store = FailoverSessionStore(
        RedisSessionStore.from_url(URL, prefix=prefix),
        MemorySessionStore(max_entries=10_000),
        probe_interval=0.5,
    )
    try:
        await store.set("sid-1", {"user_id": 1, "roles": ["admin"]}, ttl=60.0)
        print("serving from:", store.active)  # "redis", or "memory" when Redis is gone
        print("session:", await store.get("sid-1"))
        print("touched:", await store.touch("sid-1", ttl=120.0))
        await store.delete("sid-1")
        print("after delete:", await store.get("sid-1"))
        print("health:", store.health().status.value, "stats:", store.stats())
        try:
            await store.set("sid-2", {"when": object()}, ttl=60.0)
        except ValueError as exc:  # refused before any store is touched
            print("refused:", exc)
    finally:
        await store.aclose()

    # A Redis that cannot be reached: memory serves from the very first call.
    nobody_listens = "redis://127.0.0.1:1/0"
    offline = FailoverSessionStore(
        RedisSessionStore.from_url(nobody_listens), MemorySessionStore(), probe_interval=0.5
    )
    try:
        await offline.set("sid-3", {"user_id": 3}, ttl=60.0)
        print("with Redis unreachable:", offline.active, await offline.get("sid-3"))
        print("health:", offline.health().status.value, "-", offline.health().error)
    finally:
        await offline.aclose()


if __name__ == "__main__":
    asyncio.run(main())
