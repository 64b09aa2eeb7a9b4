"""Every exception steinresil raises itself.

The tree::

    Exception
    └── ResilienceError                     root of everything the library raises itself
        ├── CallRejectedError               the call was not run at all (cheap, safe to skip)
        │   ├── CircuitOpenError            .name, .retry_after
        │   ├── BulkheadFullError           .name
        │   └── RateLimitExceededError      .name, .retry_after
        ├── RetryBudgetExhaustedError       raised only when wrapping is asked for
        ├── TimeoutExceededError            also a builtin TimeoutError
        └── AllFallbacksFailedError         also an ExceptionGroup: .exceptions holds every cause

The caller's own exceptions are never wrapped: when a breaker trips or retries run out,
the original exception propagates. Cancellation (``asyncio.CancelledError``,
``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``) is never counted, retried or
swallowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AllFallbacksFailedError",
    "BulkheadFullError",
    "CallRejectedError",
    "CircuitOpenError",
    "RateLimitExceededError",
    "ResilienceError",
    "RetryBudgetExhaustedError",
    "TimeoutExceededError",
]


class ResilienceError(Exception):
    """Root of every exception raised by steinresil itself."""


class CallRejectedError(ResilienceError):
    """The protected call was not run: a guard refused it up front.

    Retry policies do not retry these unless ``retry_on`` names them, because retrying a
    refusal only adds load to a dependency that is already protected.
    """


class CircuitOpenError(CallRejectedError):
    """The circuit is open (or its half-open trial slots are taken).

    ``retry_after`` is the number of seconds until a trial call will be let through:
    ``0.0`` when the circuit is half-open and only waiting for a free trial slot,
    ``math.inf`` when it was forced open by hand.
    """

    __slots__ = ("name", "retry_after")

    def __init__(self, name: str, retry_after: float) -> None:
        # Kept cheap on purpose: rejecting must cost less than calling.
        super().__init__(name, retry_after)
        self.name = name
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"circuit {self.name!r} is open; retry after {self.retry_after:.3f} s"


class BulkheadFullError(CallRejectedError):
    """Every slot of the bulkhead (and its queue) is taken."""

    def __init__(self, name: str, max_concurrent: int) -> None:
        super().__init__(name, max_concurrent)
        self.name = name
        self.max_concurrent = max_concurrent

    def __str__(self) -> str:
        return f"bulkhead {self.name!r} is full ({self.max_concurrent} calls running)"


class RateLimitExceededError(CallRejectedError):
    """The rate limiter has no token for this call; ``retry_after`` says when it will."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(name, retry_after)
        self.name = name
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"rate limit {self.name!r} exceeded; retry after {self.retry_after:.3f} s"


class RetryBudgetExhaustedError(ResilienceError):
    """The shared retry budget had no token left for another retry."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"retry budget {self.name!r} is exhausted"


class TimeoutExceededError(ResilienceError, TimeoutError):
    """The call did not finish within its time limit."""

    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(name, timeout)
        self.name = name
        self.timeout = timeout

    def __str__(self) -> str:
        return f"{self.name!r} did not finish within {self.timeout:.3f} s"


class AllFallbacksFailedError(ExceptionGroup[Exception], ResilienceError):
    """Every entry of a fallback chain failed or was skipped.

    ``exceptions`` holds one cause per entry that was tried, in order; each cause has a
    note (PEP 678) naming its entry, and ``entry_names`` lists the names alongside.
    """

    entry_names: tuple[str, ...]

    def __new__(
        cls, message: str, exceptions: Sequence[Exception], entry_names: Sequence[str] = ()
    ) -> Self:
        self = super().__new__(cls, message, exceptions)
        self.entry_names = tuple(entry_names)
        return self

    def __init__(
        self,
        message: str,
        exceptions: Sequence[Exception],
        entry_names: Sequence[str] = (),  # noqa: ARG002 - taken by __new__
    ) -> None:
        super().__init__(message, exceptions)
