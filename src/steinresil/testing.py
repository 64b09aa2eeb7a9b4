"""Helpers for testing code that uses steinresil, without real waiting.

- ``FakeClock``: monotonic time that only moves when you ``advance`` it; sync and async
  sleeps advance it instantly and are recorded in ``sleeps``.
- ``set_state``: put a circuit breaker into any state, as if it had got there itself.
- ``set_testing``: global test mode - retry policies never wait, and optionally make
  fewer attempts; also a context manager that restores the previous mode. ``is_testing``
  tells whether it is on.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from steinresil import _testmode
from steinresil._backend import current
from steinresil._circuit_state import CircuitState
from steinresil._validation import Duration, check_duration, check_positive_int

if TYPE_CHECKING:
    from types import TracebackType

    from steinresil._breaker import CircuitBreaker

__all__ = ["FakeClock", "is_testing", "set_state", "set_testing"]


_IDLE_PASSES = 5
"""Turns of the event loop with no sleep begun or ended before time jumps ahead."""


class FakeClock:
    """A ``Clock`` for tests: time stands still until advanced, and sleeping is instant.

    Thread-safe, so it can drive contention tests too.

    Async sleeps **jump** time as trio's ``MockClock(autojump_threshold=0)`` does: a
    sleeping task lets the loop turn until no task has begun or ended a sleep for a few
    turns, then the earliest sleeper moves time to its own wake-up and wakes. So 100 tasks
    sleeping 1 s at once take 1 fake second, not 100, and a 1 s sleep wakes before a 2 s
    one. A sync ``sleep`` (one thread, nobody to race) simply adds its seconds.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._wakeups: list[float] = []
        """When each async sleeper wants to wake."""
        self._changes = 0
        """Bumped whenever an async sleep begins or ends: the loop is not idle yet."""
        self.sleeps: list[float] = []
        """Every sleep requested, in order, in seconds."""

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: Duration) -> None:
        """Move time forward by ``seconds`` (never backwards)."""
        step = check_duration("FakeClock", "seconds", seconds)
        with self._lock:
            self._now += step

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    async def sleep_async(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            wake_at = self._now + max(seconds, 0.0)
            self._wakeups.append(wake_at)
            self._changes += 1
        try:
            await self._sleep_until(wake_at)
        finally:
            with self._lock:
                self._wakeups.remove(wake_at)
                self._changes += 1

    async def _sleep_until(self, wake_at: float) -> None:
        checkpoint = current().checkpoint
        seen, idle = -1, 0
        while True:
            await checkpoint()  # other tasks run, and may begin sleeps of their own
            with self._lock:
                if self._now >= wake_at:
                    return
                if self._changes != seen:
                    seen, idle = self._changes, 0
                    continue
                idle += 1
                if idle >= _IDLE_PASSES and wake_at <= min(self._wakeups):
                    self._now = wake_at  # the earliest sleeper: time jumps to it
                    return

    @property
    def slept(self) -> float:
        """Total seconds slept."""
        return sum(self.sleeps)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, sleeps={len(self.sleeps)})"


def set_state(breaker: CircuitBreaker, state: CircuitState) -> None:
    """Move ``breaker`` to ``state`` now, emitting the usual state-change event.

    ``OPEN`` starts a fresh ``reset_timeout`` from the breaker's clock; ``HALF_OPEN`` frees
    all trial slots. Counters are kept, the sliding window is emptied.
    """
    if not isinstance(state, CircuitState):
        raise ValueError(f"set_state: state must be a CircuitState, got {state!r}")
    breaker._set_state(state, "set by steinresil.testing")


class _RestoreTesting:
    """Returned by ``set_testing``: leaving the ``with`` block restores the previous mode."""

    __slots__ = ("_previous",)

    def __init__(self, previous: _testmode.TestMode | None) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _testmode.switch(self._previous)


def set_testing(
    testing: bool, *, attempts: int | None = None, cap: bool = False
) -> _RestoreTesting:
    """Switch the global test mode on (``True``) or off (``False``).

    In test mode retry policies never wait: every delay is zero, whatever the backoff or
    ``Retry-After`` says, and the decisions are otherwise unchanged. ``attempts`` replaces
    each policy's ``1 + max_retries`` (``attempts=1``: no retries at all), or with
    ``cap=True`` only lowers it. The mode is global, so threads and tasks see it too.

    Call it plainly (in a fixture, say) or as a context manager that restores the
    previous mode on the way out::

        with set_testing(True, attempts=2):
            ...
    """
    if attempts is not None:
        check_positive_int("set_testing", "attempts", attempts)
    if cap and attempts is None:
        raise ValueError("set_testing: cap=True needs attempts, got attempts=None")
    mode = _testmode.TestMode(attempts, cap=cap) if testing else None
    return _RestoreTesting(_testmode.switch(mode))


def is_testing() -> bool:
    """Whether the global test mode is on."""
    return _testmode.current() is not None
