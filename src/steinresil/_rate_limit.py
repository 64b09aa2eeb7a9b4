"""The rate limiter: a token bucket computed from the clock when asked, never by a timer.

The bucket is kept as one number, the time at which it will be full again (the
"theoretical arrival time" of GCRA). A call takes a token by pushing that time one
interval (``per / rate``) further; it may do so while the time stays within ``burst``
intervals of now. That is exactly a bucket of ``burst`` tokens refilled at ``rate`` per
``per`` seconds, in O(1) with no refill loop, and the wait for the next token falls out as
a subtraction.

A call that may wait takes its token ahead of time and then sleeps until it is due, so
waiting callers are served in arrival order and never race each other for a token. A
wait that is cancelled gives its token back when no later caller has queued behind it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from types import CoroutineType
from typing import TYPE_CHECKING, ParamSpec, Self, TypeAlias, TypeVar

from steinresil._clock import Clock, system_clock
from steinresil._concurrency import refuse_coroutine
from steinresil._errors import RateLimitExceededError
from steinresil._events import emit, normalize_listeners, without_listener
from steinresil._strategy import decorate
from steinresil._validation import Duration, check_duration, check_name, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from types import TracebackType

    from steinresil._registry import Registry

__all__ = [
    "RateLimitEvent",
    "RateLimitRejected",
    "RateLimiter",
    "RateLimiterMetrics",
    "TokenGate",
]

P = ParamSpec("P")
T = TypeVar("T")

_EPSILON = 1e-9
"""Waits shorter than this are rounding noise: a caller that slept exactly ``retry_after``
must get its token even if the float sums come out a hair short."""


@dataclass(frozen=True, slots=True)
class RateLimitRejected:
    """A call was refused: no token now, nor within the time it was willing to wait."""

    name: str
    retry_after: float


RateLimitEvent: TypeAlias = RateLimitRejected
"""Every event a ``RateLimiter`` sends (one kind today; listeners typed with this alias
keep working when more are added)."""


@dataclass(frozen=True, slots=True)
class RateLimiterMetrics:
    """A consistent snapshot of one rate limiter."""

    name: str
    rate: float
    per: float
    burst: int
    admitted_calls: int
    """Calls given a token since creation; one that waits counts when its wait is over."""
    rejected_calls: int
    """Calls refused since creation."""
    available: int
    """Tokens in the bucket now: calls that would pass at once."""


def _check_rate(owner: str, rate: object) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
        raise ValueError(f"{owner}: rate must be a finite number of calls, got {rate!r}")
    if rate <= 0:
        raise ValueError(f"{owner}: rate must be > 0, got {rate!r}")
    return float(rate)


class TokenGate:
    """Every call style of a limiter, on top of its ``acquire`` and ``acquire_async``.

    Shared by ``RateLimiter`` and the Redis-backed one: a call, a decorated function or a
    ``with`` block first takes a token, then runs as it is.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def acquire(self) -> float: ...

        async def acquire_async(self) -> float: ...

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` once a token is taken."""
        self.acquire()
        result = fn(*args, **kwargs)
        if type(result) is CoroutineType:  # an async function: the mix-up every call refuses
            refuse_coroutine(repr(self), fn, result)
        return result

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)`` once a token is taken."""
        await self.acquire_async()
        return await fn(*args, **kwargs)

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature is kept."""
        return decorate(self, fn, "rate_limiter", inside="`with limiter:`")

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def __aenter__(self) -> Self:
        await self.acquire_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class RateLimiter(TokenGate):
    """Lets through at most ``rate`` calls per ``per`` seconds, with bursts up to ``burst``.

    ``burst`` (default: ``rate``, at least 1) is how many calls may pass at once after a
    quiet spell; after that calls pass at the steady rate. A call that finds no token
    either fails at once with ``RateLimitExceededError`` (its ``retry_after`` is the exact
    time until a token is free) or, with ``wait=True``, sleeps through the clock until its
    token is due: at most ``timeout`` seconds (``None``: as long as it takes). A call that
    could not get a token within ``timeout`` fails at once, without sleeping in vain.

    ``wait`` and ``timeout`` apply to ``call``, ``call_async``, the decorators and the
    ``with`` blocks; ``acquire`` and ``acquire_async`` can override them per call.
    """

    __slots__ = (
        "__weakref__",
        "_admitted",
        "_full_at",
        "_interval",
        "_listeners",
        "_lock",
        "_max_wait",
        "_now",
        "_rejected",
        "_window",
        "burst",
        "clock",
        "name",
        "per",
        "rate",
        "timeout",
        "wait",
    )

    def __init__(
        self,
        rate: float,
        per: Duration = 1.0,
        burst: int | None = None,
        *,
        wait: bool = False,
        timeout: Duration | None = None,
        name: str = "default",
        clock: Clock | None = None,
        listeners: Iterable[Callable[[RateLimitEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        check_name("RateLimiter", name)
        owner = f"RateLimiter({name!r})"
        self.name = name
        self.rate = _check_rate(owner, rate)
        self.per = check_duration(owner, "per", per, allow_zero=False)
        self.burst = (
            max(1, int(self.rate)) if burst is None else check_positive_int(owner, "burst", burst)
        )
        self.wait = bool(wait)
        self.timeout = self._check_timeout(owner, self.wait, timeout)
        self._max_wait = self._max_wait_for(self.wait, self.timeout)
        self.clock = clock if clock is not None else system_clock
        self._now = self.clock.monotonic
        self._listeners = normalize_listeners(owner, listeners)
        self._interval = self.per / self.rate
        self._window = self.burst * self._interval
        self._full_at = -math.inf
        self._lock = threading.Lock()
        self._admitted = 0
        self._rejected = 0
        if registry is not None:
            registry.add(self)

    @staticmethod
    def _check_timeout(owner: str, wait: bool, timeout: Duration | None) -> float | None:
        if timeout is None:
            return None
        if not wait:
            raise ValueError(f"{owner}: timeout needs wait=True, got timeout={timeout!r}")
        return check_duration(owner, "timeout", timeout)

    @staticmethod
    def _max_wait_for(wait: bool, timeout: float | None) -> float:
        if not wait:
            return 0.0
        return math.inf if timeout is None else timeout

    # ---- the decisions -------------------------------------------------------------------

    def _reserve(self, max_wait: float) -> tuple[float, float]:
        """Take the next token if it is due within ``max_wait``; return (wait, ticket).

        The ticket identifies the reservation for ``_cancel``. Raises
        ``RateLimitExceededError`` when the token is further away than ``max_wait``.
        """
        lock = self._lock  # acquire/release: cheaper than `with` on a hot path
        lock.acquire()
        try:
            now = self._now()
            full_at = max(now, self._full_at)
            ticket = full_at + self._interval
            wait = ticket - self._window - now
            if wait <= _EPSILON:
                wait = 0.0
            if wait <= max_wait:
                self._full_at = ticket
                if not wait:
                    self._admitted += 1
                return wait, ticket
            self._rejected += 1
        finally:
            lock.release()
        if self._listeners:
            emit(self._listeners, RateLimitRejected(self.name, wait))
        raise RateLimitExceededError(self.name, wait)

    def _cancel(self, ticket: float) -> None:
        """A reserved call will not run after all: give its token back if nobody queued since."""
        with self._lock:
            if self._full_at == ticket:
                self._full_at = ticket - self._interval

    def _waited(self) -> None:
        # A call that waited counts as admitted only once its wait is over, so the total
        # never has to be taken back: exporters publish it as a monotonic counter.
        with self._lock:
            self._admitted += 1

    def _resolve_max_wait(self, wait: bool | None, timeout: Duration | None) -> float:
        if wait is None and timeout is None:
            return self._max_wait
        owner = repr(self)
        if wait is False and timeout is not None:
            raise ValueError(f"{owner}: timeout needs wait=True, got timeout={timeout!r}")
        seconds = None if timeout is None else check_duration(owner, "timeout", timeout)
        return self._max_wait_for(wait is not False, seconds)

    # ---- drivers -------------------------------------------------------------------------

    def acquire(self, *, wait: bool | None = None, timeout: Duration | None = None) -> float:
        """Take a token for one call; return the seconds spent waiting for it.

        With no arguments it behaves like the limiter's calls. ``wait=False`` refuses at
        once when no token is free; ``wait=True`` waits up to ``timeout`` (``None``: as
        long as it takes); a ``timeout`` alone implies waiting.
        """
        seconds, ticket = self._reserve(self._resolve_max_wait(wait, timeout))
        if seconds:
            try:
                self.clock.sleep(seconds)
            except BaseException:  # KeyboardInterrupt during the wait
                self._cancel(ticket)
                raise
            self._waited()
        return seconds

    async def acquire_async(
        self,
        *,
        wait: bool | None = None,
        timeout: Duration | None = None,  # noqa: ASYNC109 - a wait for a token, not for the call
    ) -> float:
        """Like ``acquire``, but sleeps on the running loop (asyncio or trio)."""
        seconds, ticket = self._reserve(self._resolve_max_wait(wait, timeout))
        if seconds:
            try:
                await self.clock.sleep_async(seconds)
            except BaseException:  # cancelled during the wait
                self._cancel(ticket)
                raise
            self._waited()
        return seconds

    # ---- metrics and listeners -------------------------------------------------------------

    @property
    def metrics(self) -> RateLimiterMetrics:
        """A consistent snapshot of totals and the tokens available now."""
        with self._lock:
            ahead = max(0.0, self._full_at - self._now())
            used = math.ceil(ahead / self._interval - _EPSILON)
            return RateLimiterMetrics(
                name=self.name,
                rate=self.rate,
                per=self.per,
                burst=self.burst,
                admitted_calls=self._admitted,
                rejected_calls=self._rejected,
                available=max(0, self.burst - used),
            )

    def reset(self) -> None:
        """A full bucket (``burst`` tokens), as when created; the counters are kept.

        Calls already waiting for a token keep their turn.
        """
        with self._lock:
            self._full_at = -math.inf

    def add_listener(self, listener: Callable[[RateLimitEvent], object]) -> None:
        """Also tell ``listener`` about refused calls from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[RateLimitEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    def __repr__(self) -> str:
        waits = ""
        if self.wait:
            waits = " wait" if self.timeout is None else f" wait<={self.timeout:g}s"
        return (
            f"<RateLimiter {self.name!r} rate={self.rate:g} per={self.per:g}s "
            f"burst={self.burst}{waits}>"
        )
