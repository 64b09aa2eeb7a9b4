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
from steinresil._breaker import CircuitBreaker, CircuitState
from steinresil._concurrency import async_sleep
from steinresil._validation import Duration, check_duration, check_positive_int

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["FakeClock", "is_testing", "set_state", "set_testing"]


class FakeClock:
    """A ``Clock`` for tests: time stands still until advanced, and sleeping is instant.

    Thread-safe, so it can drive contention tests too. The async sleep still yields to the
    event loop once, so other tasks get to run as they would during a real sleep.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
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
        self.sleep(seconds)
        await async_sleep(0)

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
