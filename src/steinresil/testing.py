"""Helpers for testing code that uses steinresil, without real waiting.

- ``FakeClock``: monotonic time that only moves when you ``advance`` it; sync and async
  sleeps advance it instantly and are recorded in ``sleeps``.
- ``set_state``: put a circuit breaker into any state, as if it had got there itself.
"""

from __future__ import annotations

import threading

from steinresil._breaker import CircuitBreaker, CircuitState
from steinresil._concurrency import async_sleep
from steinresil._validation import Duration, check_duration

__all__ = ["FakeClock", "set_state"]


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
