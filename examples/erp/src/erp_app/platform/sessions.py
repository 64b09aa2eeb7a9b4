"""Server-side sessions: Redis first, memory when Redis is gone, and back, losing nothing.

The session id lives only in the ``erp_session`` cookie (HttpOnly, SameSite=Lax, Secure
behind HTTPS); the store keeps the data. With ``REDIS_URL`` the store is steinresil's
``FailoverSessionStore`` (Redis guarded by a breaker, memory beside it, fail-back with
everything written meanwhile copied over). Without it sessions live in this process only:
health says so (degraded), since several workers would not share them.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import steinresil as sr
from steinresil.adapters.sessions import (
    FailoverSessionStore,
    MemorySessionStore,
    RedisSessionStore,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from erp_app.config import Settings

__all__ = ["COOKIE", "Sessions"]

COOKIE = "erp_session"
PREFIX = "erp:sess:"


class Sessions:
    """The app's session store, whichever serves; routers reach it through services."""

    def __init__(self, settings: Settings, registry: sr.Registry) -> None:
        self.ttl = settings.session_ttl_seconds
        self.secure_cookie = settings.cookie_secure
        self.failover: FailoverSessionStore | None = None
        self.memory = MemorySessionStore(max_entries=100_000)
        self.store: FailoverSessionStore | MemorySessionStore
        if settings.redis_url:
            redis_store = RedisSessionStore.from_url(settings.redis_url, prefix=PREFIX)
            self.failover = FailoverSessionStore(
                redis_store, self.memory, probe_interval=0.5, name="sessions"
            )
            registry.add(self.failover.breaker)
            self.store = self.failover
        else:
            self.store = self.memory

    async def start(self) -> None:
        """Follow Redis from start-up on, before the first session is used."""
        if self.failover is not None:
            await self.failover.start()

    @property
    def active(self) -> str:
        return self.failover.active if self.failover is not None else "memory"

    @property
    def on_fallback(self) -> bool:
        return self.failover is not None and self.active != "redis"

    def health(self) -> sr.ComponentHealth:
        if self.failover is not None:
            return self.failover.health()
        return sr.ComponentHealth(
            sr.HealthStatus.DEGRADED,
            details=self.stats(),
            error="REDIS_URL is not set: sessions live in this process only",
        )

    def stats(self) -> dict[str, Any]:
        if self.failover is not None:
            stats = dict(self.failover.stats())
        else:
            stats = {"active": "memory", "failovers": 0, "failbacks": 0, "copied_back": 0}
        stats["sessions"] = len(self.memory) if self.active == "memory" else None
        stats["redis_configured"] = self.failover is not None
        return stats

    async def create(self, data: Mapping[str, Any]) -> str:
        sid = secrets.token_urlsafe(32)
        await self.store.set(sid, data, ttl=self.ttl)
        return sid

    async def get(self, sid: str) -> dict[str, Any] | None:
        found = await self.store.get(sid)
        return dict(found) if found is not None else None

    async def touch(self, sid: str) -> bool:
        return await self.store.touch(sid, ttl=self.ttl)

    async def delete(self, sid: str) -> None:
        await self.store.delete(sid)

    async def aclose(self) -> None:
        await self.store.aclose()
