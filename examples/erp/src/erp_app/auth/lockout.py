"""Login limits: an account locks after repeated failed logins; an address is throttled.

Three limits, each one token bucket per key (steinresil's GCRA limiter):

- **failures per client address** (``LOGIN_ADDRESS_LIMIT`` per
  ``LOGIN_ADDRESS_PER_SECONDS``, 20/min): against one client spraying guesses over many
  accounts. Only failures count (a busy office behind one NAT address logging in all
  morning is not an attack); once the bucket is empty, every attempt from that address
  is refused before its password is checked;
- **failures per account** (key: a digest of the lower-cased user name, whether the user
  exists or not, so the lock reveals nothing): only failed logins take a token. The bucket
  holds ``N - 1`` tokens (``LOGIN_MAX_FAILURES`` = N = 5) and gains one back every
  ``LOGIN_FAILURE_WINDOW_SECONDS`` (15 min). From a clean state the N-th failure finds it
  empty exactly when it comes within the window of the first: "5 failures in 15
  minutes". It also catches a slow guesser: more than one failure per window, sustained,
  empties it too. A successful login takes nothing and does **not** refill it: otherwise
  the real user's regular logins would hand an attacker fresh guesses between them.
- **the lock** (one token per ``LOGIN_LOCKOUT_SECONDS``, 15 min): a failure that finds the
  failure bucket empty takes this single token; while it is gone the account is locked,
  and every attempt, even with the right password, is refused (429, ``Retry-After``)
  before the password is checked. After the lock the failure bucket has refilled by one
  token per window only, so a guesser who goes on is locked again after one more try.

With ``REDIS_URL`` the buckets are ``RedisRateLimiter``s: one count for every worker and
host (Redis's clock decides), and a per-process count while Redis is unreachable. Without
it, local ``steinresil.RateLimiter``s per key (this process only).

Failures are counted after the password check, so that a success costs nothing; the
price is that guesses already in flight when a limit is reached are still answered.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol

import steinresil as sr
from erp_app.platform.errors import RateLimitError

if TYPE_CHECKING:
    from erp_app.config import Settings

__all__ = ["LoginLimits", "account_key", "locked_error"]

_NAMESPACE = "erp"
_MAX_LOCAL_KEYS = 10_000


class _Buckets(Protocol):
    """One bucket per key: ``take`` a token (0.0) or say how long until one is free;
    ``wait`` says how long until one is free without taking it."""

    async def take(self, key: str) -> float: ...
    async def wait(self, key: str) -> float: ...
    def stats(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


class _RedisBuckets:
    """A ``RedisRateLimiter``: shared by every process, local while Redis is down."""

    def __init__(self, url: str, name: str, rate: int, per: float) -> None:
        from steinresil.adapters.redis import RedisRateLimiter  # noqa: PLC0415 - needs redis

        self.limiter = RedisRateLimiter.from_url(
            url, name=name, rate=rate, per=per, namespace=_NAMESPACE
        )

    async def take(self, key: str) -> float:
        try:
            await self.limiter.acquire_async(wait=False, key=key)
        except sr.RateLimitExceededError as exc:
            return max(exc.retry_after, 1e-3)
        return 0.0

    async def wait(self, key: str) -> float:
        return await self.limiter.retry_after_async(key=key)

    def stats(self) -> dict[str, Any]:
        return self.limiter.stats()

    def close(self) -> None:
        self.limiter.close()


class _LocalBuckets:
    """A ``steinresil.RateLimiter`` per key, in this process (the least recent dropped)."""

    def __init__(self, name: str, rate: int, per: float, clock: sr.Clock | None) -> None:
        self.name, self.rate, self.per, self.clock = name, rate, per, clock
        self._limiters: OrderedDict[str, sr.RateLimiter] = OrderedDict()
        self._lock = threading.Lock()
        self._admitted = self._rejected = 0

    def _limiter(self, key: str) -> sr.RateLimiter:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = sr.RateLimiter(self.rate, self.per, name=self.name, clock=self.clock)
                self._limiters[key] = limiter
                if len(self._limiters) > _MAX_LOCAL_KEYS:
                    self._limiters.popitem(last=False)
            else:
                self._limiters.move_to_end(key)
            return limiter

    async def take(self, key: str) -> float:
        limiter = self._limiter(key)
        try:
            limiter.acquire(wait=False)
        except sr.RateLimitExceededError as exc:
            with self._lock:
                self._rejected += 1
            return max(exc.retry_after, 1e-3)
        with self._lock:
            self._admitted += 1
        return 0.0

    async def wait(self, key: str) -> float:
        # RateLimiter tells the exact wait only when it refuses; an empty bucket has its
        # next token within one interval, so that is a safe Retry-After.
        if self._limiter(key).metrics.available > 0:
            return 0.0
        return self.per / self.rate

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "name": self.name,
                "rate": self.rate,
                "per": self.per,
                "active": "local",
                "admitted": self._admitted,
                "rejected": self._rejected,
                "keys": len(self._limiters),
            }

    def close(self) -> None:
        return None


class _LocalLock:
    """The lock without Redis: one deadline per key (what a 1-token bucket amounts to)."""

    def __init__(self, name: str, seconds: float, clock: sr.Clock | None) -> None:
        self.name, self.seconds = name, seconds
        self.clock = clock if clock is not None else sr.system_clock
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._locks = 0

    async def take(self, key: str) -> float:
        now = self.clock.monotonic()
        with self._lock:
            until = self._until.get(key, -math.inf)
            if until > now:
                return until - now
            self._until[key] = now + self.seconds
            self._until.move_to_end(key)
            self._locks += 1
            while len(self._until) > _MAX_LOCAL_KEYS:
                self._until.popitem(last=False)
        return 0.0

    async def wait(self, key: str) -> float:
        with self._lock:
            until = self._until.get(key, -math.inf)
        return max(0.0, until - self.clock.monotonic())

    def stats(self) -> dict[str, Any]:
        now = self.clock.monotonic()
        with self._lock:
            locked = sum(1 for until in self._until.values() if until > now)
            return {"name": self.name, "active": "local", "locks": self._locks, "locked": locked}

    def close(self) -> None:
        return None


def account_key(username: str) -> str:
    """The limits' key for a user name: a digest, so keys stay short and names stay out."""
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class LoginLimits:
    """The three limits of the module docstring, and the 429s they answer with."""

    def __init__(self, settings: Settings, *, clock: sr.Clock | None = None) -> None:
        failures = settings.login_max_failures - 1  # the N-th failure finds the bucket empty
        window = settings.login_failure_window_seconds
        address_rate = settings.login_address_limit
        address_per = settings.login_address_per_seconds
        lockout = settings.login_lockout_seconds
        self.shared = bool(settings.redis_url)
        self.address: _Buckets
        self.failures: _Buckets
        self.lock: _Buckets
        if settings.redis_url:
            url = settings.redis_url
            self.address = _RedisBuckets(url, "login-address", address_rate, address_per)
            self.failures = _RedisBuckets(url, "login-failures", failures, failures * window)
            self.lock = _RedisBuckets(url, "login-lock", 1, lockout)
        else:
            self.address = _LocalBuckets("login-address", address_rate, address_per, clock)
            self.failures = _LocalBuckets("login-failures", failures, failures * window, clock)
            self.lock = _LocalLock("login-lock", lockout, clock)

    async def check(self, username: str, address: str) -> None:
        """Before the password is looked at: raise ``RateLimitError`` when over a limit."""
        wait = await self.address.wait(address)
        if wait:
            raise RateLimitError(
                "too many failed logins from your address; try again later",
                details={"retryAfter": float(_retry_after(wait)), "limit": "address"},
                headers={"Retry-After": _retry_after(wait)},
            )
        wait = await self.lock.wait(account_key(username))
        if wait:
            raise locked_error(wait)

    async def failed(self, username: str, address: str) -> bool:
        """Count a failed login; ``True`` when it locked the account."""
        key = account_key(username)
        await self.address.take(address)
        if not await self.failures.take(key):
            return False
        await self.lock.take(key)
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "shared": self.shared,
            "address": self.address.stats(),
            "failures": self.failures.stats(),
            "lock": self.lock.stats(),
        }

    def close(self) -> None:
        for buckets in (self.address, self.failures, self.lock):
            buckets.close()


def locked_error(wait: float) -> RateLimitError:
    """The 429 for a locked account."""
    return RateLimitError(
        "too many failed logins: this account is locked for now; try again later",
        details={"retryAfter": float(_retry_after(wait)), "limit": "account"},
        headers={"Retry-After": _retry_after(wait)},
    )
