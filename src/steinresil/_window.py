"""Sliding windows that remember recent call outcomes in constant memory and time.

``CountWindow(n)`` keeps the last ``n`` outcomes in a ring. ``TimeWindow(seconds)`` keeps
per-bucket totals for a fixed number of buckets covering the window, so a burst of a
million calls costs the same memory as one call, and each call touches at most the
buckets that have expired since the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from steinresil._validation import Duration, check_duration, check_positive_int

__all__ = ["CountWindow", "OutcomeTracker", "TimeWindow", "Totals", "Window"]

_DEFAULT_MINIMUM_CALLS = 10


@dataclass(frozen=True, slots=True)
class Totals:
    """What a window holds right now."""

    calls: int
    failures: int
    slow_calls: int

    @property
    def failure_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0

    @property
    def slow_call_rate(self) -> float:
        return self.slow_calls / self.calls if self.calls else 0.0


class OutcomeTracker(Protocol):
    """The running side of a window (not thread-safe; the breaker's lock guards it)."""

    minimum_calls: int

    def record(self, *, failed: bool, slow: bool, now: float) -> Totals: ...

    def totals(self, now: float) -> Totals: ...

    def clear(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CountWindow:
    """The last ``size`` calls.

    Rates are judged only once ``minimum_calls`` calls are in the window (default: the
    smaller of ``size`` and 10), so three early failures cannot open a fresh circuit.
    """

    size: int
    minimum_calls: int = field(default=0)

    def __post_init__(self) -> None:
        check_positive_int("CountWindow", "size", self.size)
        if self.minimum_calls == 0:
            object.__setattr__(self, "minimum_calls", min(self.size, _DEFAULT_MINIMUM_CALLS))
        check_positive_int("CountWindow", "minimum_calls", self.minimum_calls)
        if self.minimum_calls > self.size:
            raise ValueError(
                f"CountWindow: minimum_calls must be <= size ({self.size}), "
                f"got {self.minimum_calls!r}: the window could never hold enough calls"
            )

    def tracker(self) -> OutcomeTracker:
        return _CountTracker(self.size, self.minimum_calls)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The calls of the last ``seconds``, kept in ``buckets`` fixed buckets.

    Calls age out a bucket at a time (``seconds / buckets``), which is the precision the
    window trades for constant memory. Rates are judged once ``minimum_calls`` (default
    10) calls are in the window.
    """

    seconds: float
    minimum_calls: int = _DEFAULT_MINIMUM_CALLS
    buckets: int = 10

    def __init__(
        self, seconds: Duration, minimum_calls: int = _DEFAULT_MINIMUM_CALLS, buckets: int = 10
    ) -> None:
        object.__setattr__(
            self, "seconds", check_duration("TimeWindow", "seconds", seconds, allow_zero=False)
        )
        object.__setattr__(
            self, "minimum_calls", check_positive_int("TimeWindow", "minimum_calls", minimum_calls)
        )
        object.__setattr__(self, "buckets", check_positive_int("TimeWindow", "buckets", buckets))

    def tracker(self) -> OutcomeTracker:
        return _TimeTracker(self.seconds, self.buckets, self.minimum_calls)


Window = CountWindow | TimeWindow

_FAILED = 1
_SLOW = 2


class _CountTracker:
    __slots__ = ("_failures", "_filled", "_next", "_ring", "_slow", "minimum_calls")

    def __init__(self, size: int, minimum_calls: int) -> None:
        self._ring = bytearray(size)
        self.minimum_calls = minimum_calls
        self.clear()

    def clear(self) -> None:
        self._ring[:] = bytes(len(self._ring))
        self._next = 0
        self._filled = 0
        self._failures = 0
        self._slow = 0

    def record(self, *, failed: bool, slow: bool, now: float) -> Totals:  # noqa: ARG002
        ring, index = self._ring, self._next
        if self._filled == len(ring):
            old = ring[index]
            self._failures -= old & _FAILED
            self._slow -= (old & _SLOW) >> 1
        else:
            self._filled += 1
        ring[index] = (_FAILED if failed else 0) | (_SLOW if slow else 0)
        self._failures += failed
        self._slow += slow
        self._next = (index + 1) % len(ring)
        return Totals(self._filled, self._failures, self._slow)

    def totals(self, now: float) -> Totals:  # noqa: ARG002
        return Totals(self._filled, self._failures, self._slow)


class _TimeTracker:
    __slots__ = (
        "_bucket_seconds",
        "_calls",
        "_epoch",
        "_failures",
        "_slow",
        "_total_calls",
        "_total_failures",
        "_total_slow",
        "minimum_calls",
    )

    def __init__(self, seconds: float, buckets: int, minimum_calls: int) -> None:
        self._bucket_seconds = seconds / buckets
        self._calls = [0] * buckets
        self._failures = [0] * buckets
        self._slow = [0] * buckets
        self.minimum_calls = minimum_calls
        self.clear()

    def clear(self) -> None:
        size = len(self._calls)
        self._calls[:] = [0] * size
        self._failures[:] = [0] * size
        self._slow[:] = [0] * size
        self._total_calls = self._total_failures = self._total_slow = 0
        self._epoch: int | None = None

    def _advance(self, now: float) -> int:
        """Move to the bucket for ``now``, emptying every bucket that aged out on the way."""
        size = len(self._calls)
        epoch = int(now // self._bucket_seconds)
        last = self._epoch
        if last is not None and epoch <= last:
            return last % size
        if last is None or epoch - last >= size:
            if self._total_calls:
                self.clear()
        else:
            for stale in range(last + 1, epoch + 1):
                self._drop(stale % size)
        self._epoch = epoch
        return epoch % size

    def _drop(self, index: int) -> None:
        self._total_calls -= self._calls[index]
        self._total_failures -= self._failures[index]
        self._total_slow -= self._slow[index]
        self._calls[index] = self._failures[index] = self._slow[index] = 0

    def record(self, *, failed: bool, slow: bool, now: float) -> Totals:
        index = self._advance(now)
        self._calls[index] += 1
        self._failures[index] += failed
        self._slow[index] += slow
        self._total_calls += 1
        self._total_failures += failed
        self._total_slow += slow
        return Totals(self._total_calls, self._total_failures, self._total_slow)

    def totals(self, now: float) -> Totals:
        self._advance(now)
        return Totals(self._total_calls, self._total_failures, self._total_slow)
