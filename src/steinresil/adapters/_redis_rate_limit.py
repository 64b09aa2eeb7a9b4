"""One rate limit for every process, kept in Redis; a local one while Redis is gone.

The bucket is the one ``RateLimiter`` keeps (GCRA: the time at which it is full again),
stored in one Redis key and moved by a Lua script, so taking a token is atomic across
processes. The script reads the time from Redis (``TIME``), never from a client: hosts'
clocks disagree, Redis has one.

When Redis cannot be reached, a local ``RateLimiter`` of the same rate decides (so the
limit holds per process then, not in total); Redis is tried again every
``probe_interval`` and takes over as soon as it answers. The decisions are blocking
calls of at most the short socket timeouts; the async drivers run them in a worker
thread, so the limiter works on asyncio and trio alike.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar

from steinresil._backend import current
from steinresil._clock import Clock, system_clock
from steinresil._errors import RateLimitExceededError
from steinresil._rate_limit import RateLimiter, TokenGate
from steinresil._validation import Duration, check_duration, check_name
from steinresil.adapters._redis_conn import (
    CONNECT_TIMEOUT,
    SOCKET_TIMEOUT,
    UNAVAILABLE,
    RedisUnavailableError,
    check_url,
    sync_client,
)

if TYPE_CHECKING:
    import redis
    from redis.commands.core import Script

__all__ = ["RedisRateLimiter"]

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("steinresil.adapters.redis")

# KEYS[1]: the bucket. ARGV: microseconds per token, burst * that, the longest wait the
# caller accepts (negative: only look, take nothing). Returns {taken, wait_us, ticket}.
# Microseconds since the epoch stay below 2^53, so Lua's doubles hold them exactly.
_TAKE = """
if redis.replicate_commands then redis.replicate_commands() end -- TIME before a write
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local full_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if full_at < now then full_at = now end
local ticket = full_at + interval
local wait = ticket - window - now
if wait < 0 then wait = 0 end
if max_wait >= 0 and wait <= max_wait then
  local ttl = math.ceil((ticket - now) / 1000) + 1
  redis.call('SET', KEYS[1], string.format('%.0f', ticket), 'PX', ttl)
  return {1, wait, string.format('%.0f', ticket)}
end
return {0, wait, ''}
"""

# Give a reserved token back if nobody queued behind it (ARGV: its ticket, one less).
_GIVE_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 0
"""

_FOREVER_US = 10**15
"""A wait no caller will sit through (about 31 years): ``wait=True`` without a timeout."""


@dataclass(frozen=True, slots=True)
class _Reservation:
    wait: float
    give_back: Callable[[], None]


def _nothing() -> None:
    return None


class RedisRateLimiter(TokenGate):
    """At most ``rate`` calls per ``per`` seconds in total, across processes, via Redis.

    Bursts up to ``rate`` (as ``RateLimiter``'s default). ``wait`` and ``timeout`` mean
    what they mean for ``RateLimiter``. Every method takes an optional ``key``: one
    limit per key (an account, a client address) under the same name and rate.
    ``active`` says who decides now: ``"redis"``, or ``"local"`` (per process) while
    Redis is unreachable.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        name: str,
        rate: float,
        per: Duration = 1.0,
        wait: bool = False,
        timeout: Duration | None = None,
        namespace: str = "steinresil",
        url: str = "",
        probe_interval: Duration = 0.5,
        max_local_keys: int = 10_000,
        clock: Clock | None = None,
    ) -> None:
        check_name("RedisRateLimiter", name)
        owner = f"RedisRateLimiter({name!r})"
        self.name = name
        self.namespace = check_name(owner, namespace)
        self.url = url
        """The URL with any password masked."""
        self.clock = clock if clock is not None else system_clock
        # A local limiter validates rate, per, wait and timeout exactly as RateLimiter
        # does, and is the fallback for calls without a key.
        self._template = RateLimiter(
            rate, per, wait=wait, timeout=timeout, name=name, clock=self.clock
        )
        self.rate, self.per, self.burst = (
            self._template.rate,
            self._template.per,
            self._template.burst,
        )
        self.wait, self.timeout = self._template.wait, self._template.timeout
        self.probe_interval = check_duration(
            owner, "probe_interval", probe_interval, allow_zero=False
        )
        self._max_local_keys = max_local_keys
        self._interval_us = max(1, round(self.per / self.rate * 1_000_000))
        self._window_us = self.burst * self._interval_us
        self._client = client
        self._take: Script = client.register_script(_TAKE)
        self._give_back: Script = client.register_script(_GIVE_BACK)
        self._lock = threading.Lock()
        self._local: OrderedDict[str, RateLimiter] = OrderedDict()
        self._down_until = -math.inf  # monotonic time to try Redis again; -inf: it is up
        self._admitted = 0
        self._rejected = 0
        self._fallbacks = 0

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        name: str,
        rate: float,
        per: Duration = 1.0,
        wait: bool = False,
        timeout: Duration | None = None,
        namespace: str = "steinresil",
        probe_interval: Duration = 0.5,
        connect_timeout: float = CONNECT_TIMEOUT,
        socket_timeout: float = SOCKET_TIMEOUT,
    ) -> Self:
        """A limiter for ``url``; nothing connects until the first call."""
        owner = "RedisRateLimiter.from_url"
        client = sync_client(
            owner, url, connect_timeout=connect_timeout, socket_timeout=socket_timeout
        )
        try:
            return cls(
                client,
                name=name,
                rate=rate,
                per=per,
                wait=wait,
                timeout=timeout,
                namespace=namespace,
                url=check_url(owner, url),
                probe_interval=probe_interval,
            )
        except BaseException:
            client.close()
            raise

    @property
    def active(self) -> str:
        """``"redis"`` while Redis decides, ``"local"`` while this process does alone."""
        return "redis" if self._down_until == -math.inf else "local"

    # ---- the decisions (blocking, bounded by the socket timeouts) --------------------------

    def _redis_key(self, key: str | None) -> str:
        base = f"{self.namespace}:ratelimit:{self.name}"
        return base if key is None else f"{base}:{key}"

    def _use_redis(self) -> bool:
        """Whether to ask Redis: it is up, or it is time to see whether it is back."""
        if self._down_until == -math.inf:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._down_until:
                return False
            self._down_until = now + self.probe_interval  # one prober per interval
            return True

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            was_up = self._down_until == -math.inf
            self._down_until = time.monotonic() + self.probe_interval
            if was_up:
                self._fallbacks += 1
        if was_up:
            logger.warning(
                "RedisRateLimiter %r: Redis at %s is unavailable (%s); limiting per process "
                "until it returns",
                self.name,
                self.url,
                exc,
            )

    def _came_back(self) -> None:
        if self._down_until == -math.inf:
            return
        with self._lock:
            self._down_until = -math.inf
        logger.warning("RedisRateLimiter %r: Redis at %s is back", self.name, self.url)

    def _local_limiter(self, key: str | None) -> RateLimiter:
        if key is None:
            return self._template
        with self._lock:
            limiter = self._local.get(key)
            if limiter is None:
                limiter = RateLimiter(self.rate, self.per, name=self.name, clock=self.clock)
                self._local[key] = limiter
                if len(self._local) > self._max_local_keys:
                    self._local.popitem(last=False)
            else:
                self._local.move_to_end(key)
            return limiter

    def _ask_redis(self, key: str | None, max_wait: float) -> tuple[bool, float, str] | None:
        """Redis's answer (taken, wait, ticket), or ``None`` when it cannot be reached."""
        if not self._use_redis():
            return None
        if max_wait < 0:
            limit = -1
        elif math.isinf(max_wait):
            limit = _FOREVER_US
        else:
            limit = round(max_wait * 1_000_000)
        try:
            taken, wait_us, ticket = self._take(
                keys=[self._redis_key(key)], args=[self._interval_us, self._window_us, limit]
            )
        except UNAVAILABLE as exc:
            self._went_down(exc)
            return None
        self._came_back()
        ticket_text = ticket.decode() if isinstance(ticket, bytes) else str(ticket)
        return bool(taken), int(wait_us) / 1_000_000, ticket_text

    def _reserve(self, key: str | None, max_wait: float) -> _Reservation:
        """Take a token due within ``max_wait`` or raise ``RateLimitExceededError``."""
        answer = self._ask_redis(key, max_wait)
        if answer is None:
            local = self._local_limiter(key)
            try:
                seconds, local_ticket = local._reserve(max_wait)
            except RateLimitExceededError:
                self._count(admitted=False)
                raise
            self._count(admitted=True)
            return _Reservation(seconds, functools.partial(local._cancel, local_ticket))
        taken, seconds, ticket = answer
        if not taken:
            self._count(admitted=False)
            raise RateLimitExceededError(self.name, seconds)
        self._count(admitted=True)
        redis_key = self._redis_key(key)
        previous = str(int(ticket) - self._interval_us)
        return _Reservation(seconds, functools.partial(self._return, redis_key, ticket, previous))

    def _return(self, redis_key: str, ticket: str, previous: str) -> None:
        try:
            self._give_back(keys=[redis_key], args=[ticket, previous])
        except UNAVAILABLE as exc:
            self._went_down(exc)

    def _count(self, *, admitted: bool) -> None:
        with self._lock:
            if admitted:
                self._admitted += 1
            else:
                self._rejected += 1

    def _peek(self, key: str | None) -> float:
        answer = self._ask_redis(key, -1.0)
        if answer is not None:
            return answer[1]
        local = self._local_limiter(key)
        with local._lock:  # what local._reserve would compute, without taking
            full_at = max(local._now(), local._full_at)
            return max(0.0, full_at + local._interval - local._window - local._now())

    def _max_wait(self, wait: bool | None, timeout: Duration | None) -> float:
        return self._template._resolve_max_wait(wait, timeout)

    # ---- drivers ---------------------------------------------------------------------------

    def acquire(
        self, *, wait: bool | None = None, timeout: Duration | None = None, key: str | None = None
    ) -> float:
        """Take a token; return the seconds waited. Like ``RateLimiter.acquire``."""
        reservation = self._reserve(key, self._max_wait(wait, timeout))
        if reservation.wait:
            try:
                self.clock.sleep(reservation.wait)
            except BaseException:
                reservation.give_back()
                raise
        return reservation.wait

    async def acquire_async(
        self,
        *,
        wait: bool | None = None,
        timeout: Duration | None = None,  # noqa: ASYNC109 - a wait for a token, not for the call
        key: str | None = None,
    ) -> float:
        """Like ``acquire``; Redis is asked from a worker thread, the wait is on the loop."""
        max_wait = self._max_wait(wait, timeout)
        reservation = await current().run_in_thread(functools.partial(self._reserve, key, max_wait))
        if reservation.wait:
            try:
                await self.clock.sleep_async(reservation.wait)
            except BaseException:
                reservation.give_back()
                raise
        return reservation.wait

    def try_acquire(self, *, key: str | None = None) -> bool:
        """Take a token if one is free now; never waits, never raises for a full bucket."""
        try:
            self._reserve(key, 0.0)
        except RateLimitExceededError:
            return False
        return True

    async def try_acquire_async(self, *, key: str | None = None) -> bool:
        """Like ``try_acquire``, without blocking the loop."""
        return await current().run_in_thread(functools.partial(self.try_acquire, key=key))

    def retry_after(self, *, key: str | None = None) -> float:
        """Seconds until a token is free (0 if one is free now); takes nothing."""
        return self._peek(key)

    async def retry_after_async(self, *, key: str | None = None) -> float:
        """Like ``retry_after``, without blocking the loop."""
        return await current().run_in_thread(functools.partial(self._peek, key))

    # ---- status and lifecycle ----------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """This process's counters: active, admitted_calls, rejected_calls, fallbacks (to local)."""
        with self._lock:
            return {
                "name": self.name,
                "rate": self.rate,
                "per": self.per,
                "active": self.active,
                "admitted_calls": self._admitted,
                "rejected_calls": self._rejected,
                "fallbacks": self._fallbacks,
            }

    def ping(self) -> None:
        """Raise ``RedisUnavailableError`` (naming the URL) unless Redis answers now.

        For a start-up check; the limiter itself works locally while Redis is down.
        """
        try:
            self._client.ping()
        except UNAVAILABLE as exc:
            raise RedisUnavailableError(self.url, str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __repr__(self) -> str:
        options = f"name={self.name!r}, rate={self.rate!r}, per={self.per!r}"
        return f"RedisRateLimiter({self.url!r}, {options})"
