"""Connections to Redis that fail in milliseconds, and URLs that never show a password.

redis-py retries a failed command three times with exponential backoff by default, so
one call against a dead server waits seconds. Every client here is built with
``Retry(NoBackoff(), 0)`` and short connect/socket timeouts instead: the adapters have
their own answer to a dead Redis (another store, local state), and it must come quickly.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from steinresil._errors import ResilienceError

__all__ = [
    "CONNECT_TIMEOUT",
    "SOCKET_TIMEOUT",
    "UNAVAILABLE",
    "RedisUnavailableError",
    "async_client",
    "check_url",
    "mask_url",
    "sync_client",
]

CONNECT_TIMEOUT = 0.25
"""Seconds to open a connection: a refused port fails at once, a black-holed host here."""
SOCKET_TIMEOUT = 0.5
"""Seconds for one command's reply; with no retries, the most one call can lose."""

UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)
"""What a Redis that is down, restarting or unreachable raises (redis-py or the socket)."""

_SCHEMES = ("redis", "rediss", "unix")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)[^&]*", re.IGNORECASE)


class RedisUnavailableError(ResilienceError, ConnectionError):
    """Redis did not answer (down, restarting, wrong port). ``url`` has no password."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Redis at {url} is unavailable: {reason}")
        self.url = url


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    scheme, separator, rest = url.partition("://")
    if separator:
        netloc, slash, tail = rest.partition("/")
        # The last "@" ends the user info: a password may hold an unescaped "@".
        userinfo, at, host = netloc.rpartition("@")
        if at and ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
        url = f"{scheme}{separator}{netloc}{slash}{tail}"
    return _QUERY_PASSWORD.sub(r"\g<head>***", url)


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        return f"scheme must be one of {', '.join(_SCHEMES)}"
    if parts.scheme.lower() == "unix":
        return None if parts.path else "a unix:// URL needs a socket path"
    if not parts.hostname:
        return "no host"
    try:
        port_ok = parts.port != 0
    except ValueError:
        port_ok = False
    if not port_ok:
        return "the port is not a number in 1-65535"
    database = parts.path.lstrip("/")
    if database and not database.isdigit():
        return f"the database must be a number, got {database!r}"
    return None


def check_url(owner: str, url: object) -> str:
    """Refuse a URL redis-py could not use, naming it (masked); return it masked."""
    if not isinstance(url, str) or not url:
        raise ValueError(f"{owner}: url must be a non-empty redis:// URL, got {url!r}")
    masked = mask_url(url)
    try:
        problem = _url_problem(url)
    except ValueError as exc:  # urlsplit refuses e.g. a broken IPv6 literal
        problem = str(exc)
    if problem is not None:
        raise ValueError(
            f"{owner}: url must look like redis://[[user]:password@]host[:port][/db], "
            f"rediss://... or unix:///path, got {masked!r} ({problem})"
        )
    return masked


def _options(connect_timeout: float, socket_timeout: float) -> dict[str, Any]:
    return {
        "socket_connect_timeout": connect_timeout,
        "socket_timeout": socket_timeout,
    }


def sync_client(
    owner: str,
    url: str,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    socket_timeout: float = SOCKET_TIMEOUT,
) -> redis.Redis:
    """A blocking client for ``url`` that fails fast (no retries, short timeouts)."""
    masked = check_url(owner, url)
    try:
        return redis.Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), **_options(connect_timeout, socket_timeout)
        )
    except ValueError as exc:  # an option in the query string redis-py cannot read
        raise ValueError(f"{owner}: cannot use url {masked!r}: {exc}") from None


def async_client(
    owner: str,
    url: str,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    socket_timeout: float = SOCKET_TIMEOUT,
) -> redis.asyncio.Redis:
    """An asyncio client for ``url`` that fails fast (no retries, short timeouts)."""
    masked = check_url(owner, url)
    try:
        return redis.asyncio.Redis.from_url(
            url, retry=AsyncRetry(NoBackoff(), 0), **_options(connect_timeout, socket_timeout)
        )
    except ValueError as exc:
        raise ValueError(f"{owner}: cannot use url {masked!r}: {exc}") from None
