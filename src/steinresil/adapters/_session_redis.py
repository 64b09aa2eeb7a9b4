"""Sessions in Redis: one key per session, JSON text, the TTL as Redis's own expiry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Self

from steinresil.adapters._redis_conn import (
    CONNECT_TIMEOUT,
    SOCKET_TIMEOUT,
    UNAVAILABLE,
    RedisUnavailableError,
    async_client,
    check_url,
)
from steinresil.adapters._session_base import SessionData, check_sid, check_ttl, encode

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    import redis.asyncio

__all__ = ["RedisSessionStore"]


def _milliseconds(ttl: float) -> int:
    return max(1, round(ttl * 1000))


class RedisSessionStore:
    """A ``SessionStore`` in Redis (redis-py asyncio), keys ``prefix + sid``.

    Fails fast: a Redis that is down costs one refused connection or at most the short
    connect/socket timeouts, never redis-py's default retries, and raises
    ``RedisUnavailableError`` naming the URL (without its password). asyncio only, as
    redis-py's async client is.
    """

    name = "redis"

    def __init__(self, client: redis.asyncio.Redis, *, prefix: str = "", url: str = "") -> None:
        self._client = client
        self.prefix = prefix
        self.url = url
        """The URL with any password masked, for messages."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "session:",
        connect_timeout: float = CONNECT_TIMEOUT,
        socket_timeout: float = SOCKET_TIMEOUT,
    ) -> Self:
        """A store for ``url``; nothing connects until the first call."""
        owner = "RedisSessionStore.from_url"
        if not isinstance(prefix, str):
            raise ValueError(f"{owner}: prefix must be a string, got {prefix!r}")
        client = async_client(
            owner, url, connect_timeout=connect_timeout, socket_timeout=socket_timeout
        )
        return cls(client, prefix=prefix, url=check_url(owner, url))

    async def _run(self, command: Awaitable[Any]) -> Any:
        try:
            return await command
        except UNAVAILABLE as exc:
            raise RedisUnavailableError(self.url, str(exc) or type(exc).__name__) from exc

    async def get(self, sid: str) -> SessionData | None:
        check_sid("RedisSessionStore.get", sid)
        text = await self._run(self._client.get(self.prefix + sid))
        if text is None:
            return None
        data: SessionData = json.loads(text)
        return data

    async def set(self, sid: str, data: Mapping[str, Any], ttl: float) -> None:
        owner = "RedisSessionStore.set"
        check_sid(owner, sid)
        seconds = check_ttl(owner, sid, ttl)
        await self._set_json(sid, encode(owner, sid, data), seconds)

    async def _set_json(self, sid: str, text: str, ttl: float) -> None:
        """Store JSON text already checked by ``set`` or ``FailoverSessionStore.set``."""
        await self._run(self._client.set(self.prefix + sid, text, px=_milliseconds(ttl)))

    async def touch(self, sid: str, ttl: float) -> bool:
        owner = "RedisSessionStore.touch"
        seconds = check_ttl(owner, check_sid(owner, sid), ttl)
        return bool(
            await self._run(self._client.pexpire(self.prefix + sid, _milliseconds(seconds)))
        )

    async def delete(self, sid: str) -> None:
        check_sid("RedisSessionStore.delete", sid)
        await self._run(self._client.delete(self.prefix + sid))

    async def ping(self) -> None:
        """Raise ``RedisUnavailableError`` unless Redis answers."""
        await self._run(self._client.ping())

    async def reset_connections(self) -> None:
        """Drop every pooled connection.

        After Redis restarted, pooled connections are dead sockets; the first command
        on each would fail and look like a new outage.
        """
        await self._client.connection_pool.disconnect()

    async def aclose(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"RedisSessionStore({self.url!r}, prefix={self.prefix!r})"
