"""Session stores: Redis first, memory when Redis is gone, and back, losing nothing.

    from steinresil.adapters.sessions import (
        FailoverSessionStore, MemorySessionStore, RedisSessionStore)

    store = FailoverSessionStore(
        RedisSessionStore.from_url("redis://127.0.0.1:6379/0", prefix="app:sess:"),
        MemorySessionStore(max_entries=100_000),
        probe_interval=0.5,
    )
    await store.set(sid, {"user_id": 1}, ttl=3600.0)
    await store.get(sid)          # -> dict | None
    store.active                  # "redis" | "memory"

Needs the ``redis`` extra (redis-py). ``RedisSessionStore`` runs on asyncio only, as
redis-py's async client does; ``MemorySessionStore`` on any loop.
"""

from __future__ import annotations

from steinresil._extras import require_extra
from steinresil._public import adopt as _adopt

require_extra(__name__, package="redis", extra="redis", user="steinresil.adapters.sessions")

from steinresil.adapters._redis_conn import RedisUnavailableError
from steinresil.adapters._session_base import SessionData, SessionDataError, SessionStore
from steinresil.adapters._session_failover import FailoverSessionStore
from steinresil.adapters._session_memory import MemorySessionStore
from steinresil.adapters._session_redis import RedisSessionStore

__all__ = [
    "FailoverSessionStore",
    "MemorySessionStore",
    "RedisSessionStore",
    "RedisUnavailableError",
    "SessionData",
    "SessionDataError",
    "SessionStore",
]

# RedisUnavailableError is steinresil.adapters.redis's, whichever module is imported first.
_adopt(RedisUnavailableError, "steinresil.adapters.redis")
for _name in __all__:
    _adopt(globals()[_name], __name__)
