"""The retry budget: a token bucket that many policies and calls share.

The idea is Finagle's and gRPC's: retries are only safe while they are a small share of
the traffic. Every call that starts deposits ``ratio`` of a token, the bucket also refills
by ``min_per_second`` tokens a second (so quiet clients can still retry), and each retry
must withdraw a whole token. In an outage, when every call fails, retries therefore add at
most ``ratio`` extra load on top of ``min_per_second`` - instead of multiplying the load by
``1 + max_retries`` exactly when the dependency can least take it.

The balance is capped at ``burst`` tokens, so a long healthy spell cannot save up an
unbounded retry storm for the next outage. It never goes negative: a retry is granted only
when a whole token is there.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from steinresil._clock import Clock, SystemClock, system_clock
from steinresil._events import emit, normalize_listeners, without_listener
from steinresil._validation import check_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from steinresil._registry import Registry

__all__ = ["RetryBudget", "RetryBudgetEvent", "RetryBudgetExhausted", "RetryBudgetMetrics"]


@dataclass(frozen=True, slots=True)
class RetryBudgetExhausted:
    """The budget ``name`` refused a retry: ``balance`` (< 1) tokens were left."""

    name: str
    balance: float


RetryBudgetEvent: TypeAlias = RetryBudgetExhausted
"""Every event a ``RetryBudget`` sends (one kind today; listeners typed with this alias
keep working when more are added)."""


@dataclass(frozen=True, slots=True)
class RetryBudgetMetrics:
    """A snapshot of one budget; counts are totals since creation."""

    name: str
    balance: float
    """Tokens available now: retries the budget would grant at once."""
    deposits: int
    """Calls that paid into the budget."""
    granted_retries: int
    """Retries the budget allowed since creation."""
    refused_retries: int
    """Retries the budget refused since creation."""


def _check_number(owner: str, field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{owner}: {field} must be a finite number, got {value!r}")
    if value < 0:
        raise ValueError(f"{owner}: {field} must be >= 0, got {value!r}")
    return float(value)


class RetryBudget:
    """Limits retries to ``ratio`` of the calls, plus ``min_per_second``.

    Share one budget between every policy that talks to the same dependency. A policy with
    ``budget=`` deposits once per call and withdraws one token per retry; when no token is
    left the policy gives up at once and the original error propagates.

    ``burst`` is the most tokens the bucket holds (default: ten seconds' worth of
    ``min_per_second``, at least 1). The bucket starts full.
    """

    __slots__ = (
        "__weakref__",
        "_credited",
        "_deposits",
        "_granted",
        "_listeners",
        "_lock",
        "_now",
        "_refused",
        "_tokens",
        "_updated",
        "burst",
        "clock",
        "min_per_second",
        "name",
        "ratio",
    )

    def __init__(
        self,
        ratio: float = 0.2,
        min_per_second: float = 10.0,
        *,
        burst: float | None = None,
        name: str = "default",
        clock: Clock | None = None,
        listeners: Iterable[Callable[[RetryBudgetEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        owner = f"RetryBudget({name!r})"
        check_name("RetryBudget", name)
        self.name = name
        self.ratio = _check_number(owner, "ratio", ratio)
        self.min_per_second = _check_number(owner, "min_per_second", min_per_second)
        if self.ratio == 0 and self.min_per_second == 0:
            raise ValueError(
                f"{owner}: ratio and min_per_second cannot both be 0 (no retry would ever be "
                "allowed), got ratio=0, min_per_second=0"
            )
        default_burst = max(1.0, 10.0 * self.min_per_second)
        self.burst = default_burst if burst is None else _check_number(owner, "burst", burst)
        if self.burst < 1:
            raise ValueError(f"{owner}: burst must be >= 1 (one retry), got {burst!r}")
        self.clock = clock if clock is not None else system_clock
        self._now = time.monotonic if type(self.clock) is SystemClock else self.clock.monotonic
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = self._now()
        self._deposits = 0
        self._credited = 0
        self._granted = 0
        self._refused = 0
        self._listeners = normalize_listeners(owner, listeners)
        if registry is not None:
            registry.add(self)

    def deposit(self) -> None:
        """A call is starting: it earns the budget ``ratio`` of a retry."""
        # This runs once per call, on the success path too, so it only counts (an int
        # increment is atomic under the GIL). Deposits and the time-based refill are added
        # when someone asks for a token: adding them late, then capping at ``burst``, gives
        # the same balance as adding them one by one, because every term is >= 0.
        self._deposits += 1

    def try_withdraw(self) -> bool:
        """Take the token for one retry; ``False`` (and nothing taken) if there is none."""
        with self._lock:
            tokens = self._refill()
            if tokens >= 1.0:
                self._tokens = tokens - 1.0
                self._granted += 1
                return True
            self._tokens = tokens
            self._refused += 1
        if self._listeners:
            emit(self._listeners, RetryBudgetExhausted(self.name, tokens))
        return False

    def _refill(self) -> float:
        """The balance now, deposits and time-based refill added; call with the lock held."""
        now = self._now()
        elapsed = now - self._updated
        self._updated = now
        deposits = self._deposits
        tokens = self._tokens + (deposits - self._credited) * self.ratio
        self._credited = deposits
        if elapsed > 0:
            tokens += elapsed * self.min_per_second
        return min(self.burst, tokens)

    @property
    def balance(self) -> float:
        """Tokens available now."""
        with self._lock:
            self._tokens = self._refill()
            return self._tokens

    @property
    def metrics(self) -> RetryBudgetMetrics:
        """A snapshot of the balance and the counters."""
        with self._lock:
            self._tokens = self._refill()
            return RetryBudgetMetrics(
                name=self.name,
                balance=self._tokens,
                deposits=self._deposits,
                granted_retries=self._granted,
                refused_retries=self._refused,
            )

    def reset(self) -> None:
        """Full again (``burst`` tokens), as when created; the counters are kept."""
        with self._lock:
            self._refill()  # credit the deposits so far, so they are not paid in again
            self._tokens = self.burst

    def add_listener(self, listener: Callable[[RetryBudgetEvent], object]) -> None:
        """Also tell ``listener`` about refused retries from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[RetryBudgetEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    def __repr__(self) -> str:
        return (
            f"<RetryBudget {self.name!r} ratio={self.ratio:g} "
            f"min_per_second={self.min_per_second:g} burst={self.burst:g}>"
        )
