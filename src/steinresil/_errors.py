"""Every exception steinresil raises itself.

The tree::

    Exception
    └── ResilienceError                     root of everything the library raises itself
        ├── CallRejectedError               the call was not run at all (cheap, safe to skip)
        │   ├── CircuitOpenError            .name, .retry_after
        │   ├── BulkheadFullError           .name
        │   ├── RateLimitExceededError      .name, .retry_after
        │   └── EntryUnavailableError       .name, .reason: a health check said "unavailable"
        ├── RetryBudgetExhaustedError       raised only when wrapping is asked for
        ├── TimeoutExceededError            also a builtin TimeoutError
        └── AllFallbacksFailedError         also an ExceptionGroup: .exceptions, .entry_names

The caller's own exceptions are never wrapped: when a breaker trips or retries run out,
the original exception propagates. Cancellation (``asyncio.CancelledError``,
``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``) is never counted, retried or
swallowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, cast

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AllFallbacksFailedError",
    "BulkheadFullError",
    "CallRejectedError",
    "CircuitOpenError",
    "EntryUnavailableError",
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

    ``retry_after`` is the number of seconds until a trial call will be let through
    (an estimate when the circuit is half-open and its trial slots are taken; never
    ``0.0``), ``math.inf`` when it was forced open by hand.
    """

    # No __init__ at run time: the attributes read ``args``, so raising this costs what
    # raising a bare Exception costs. Rejecting must be cheaper than calling.
    if TYPE_CHECKING:

        def __init__(self, name: str, retry_after: float) -> None: ...

    @property
    def name(self) -> str:
        """The breaker's name."""
        return cast("str", self.args[0])

    @property
    def retry_after(self) -> float:
        """Seconds until a trial call is let through."""
        return cast("float", self.args[1])

    def __str__(self) -> str:
        return f"circuit {self.name!r} is open; retry after {self.retry_after:.3f} s"


class BulkheadFullError(CallRejectedError):
    """Every slot of the bulkhead (and its queue) is taken."""

    if TYPE_CHECKING:

        def __init__(self, name: str, max_concurrent: int) -> None: ...

    @property
    def name(self) -> str:
        """The bulkhead's name."""
        return cast("str", self.args[0])

    @property
    def max_concurrent(self) -> int:
        """How many calls the bulkhead runs at once."""
        return cast("int", self.args[1])

    def __str__(self) -> str:
        return f"bulkhead {self.name!r} is full ({self.max_concurrent} calls running)"


class RateLimitExceededError(CallRejectedError):
    """The rate limiter has no token for this call; ``retry_after`` says when it will."""

    if TYPE_CHECKING:

        def __init__(self, name: str, retry_after: float) -> None: ...

    @property
    def name(self) -> str:
        """The limiter's name."""
        return cast("str", self.args[0])

    @property
    def retry_after(self) -> float:
        """Seconds until a token is available."""
        return cast("float", self.args[1])

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

    def __init__(self, name: str, seconds: float) -> None:
        super().__init__(name, seconds)
        self.name = name
        self.seconds = seconds
        """The time limit that ran out, as ``Timeout.seconds``."""

    def __str__(self) -> str:
        return f"timeout {self.name!r} expired after {self.seconds:.3f} s"


class EntryUnavailableError(CallRejectedError):
    """A fallback entry was skipped because its health check said it is unavailable."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, reason)
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.name!r} is unavailable: {self.reason}"


class AllFallbacksFailedError(ExceptionGroup[Exception], ResilienceError):
    """Every entry of a fallback chain failed or was skipped.

    ``exceptions`` holds one cause per entry, in the chain's order: the entry's own
    exception, or ``CircuitOpenError`` / ``EntryUnavailableError`` for an entry that was
    skipped. Each cause carries a note (PEP 678) naming its entry, and ``entry_names``
    lists the names alongside. ``except*`` keeps the names of the causes it matches.
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

    @property
    def by_entry(self) -> dict[str, Exception]:
        """Each entry's name and what it failed with, in the chain's order."""
        return dict(zip(self.entry_names, self.exceptions, strict=False))

    def derive(self, excs: Sequence[Exception]) -> AllFallbacksFailedError:  # type: ignore[override]
        # ``except*`` and ``split`` build the matching part through ``derive``; keep the
        # class and the names that belong to the causes kept.
        names = {
            id(exc): name for exc, name in zip(self.exceptions, self.entry_names, strict=False)
        }
        return AllFallbacksFailedError(
            self.message, excs, [names.get(id(exc), "?") for exc in excs]
        )
