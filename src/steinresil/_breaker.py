"""The circuit breaker.

The decisions (may this call run? what does its outcome do to the state?) live in three
methods that never sleep, await or do I/O: ``_admit``, ``_record`` and ``_release``. The
call styles (``call``, ``call_async``, decorators, ``with``, ``async with``) are thin
drivers around them, so sync and async cannot drift apart.

A ``threading.Lock`` guards the state and is never held across the protected call, so it
is safe from threads and from asyncio or trio tasks alike. The success path of a closed
breaker in consecutive mode takes no lock at all: it only bumps a counter (atomic under
the GIL) and, only when failures were pending, resets them under the lock.
"""

from __future__ import annotations

import functools
import math
import secrets
import threading
import weakref
from dataclasses import dataclass
from types import CoroutineType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeAlias, TypeVar, cast, overload

from steinresil._blocks import OpenBlocks
from steinresil._circuit_state import CircuitState
from steinresil._clock import Clock, system_clock
from steinresil._concurrency import (
    NOT_CALLED,
    awaited_a_non_awaitable,
    check_decoratable,
    is_async_callable,
    not_awaitable,
    refuse_coroutine,
)
from steinresil._errors import CallRejectedError, CircuitOpenError
from steinresil._events import emit, logger, normalize_listeners, without_listener
from steinresil._filters import ExceptionFilter, exception_filter
from steinresil._state_store import SharedState
from steinresil._strategy import decorator_factory
from steinresil._validation import (
    Duration,
    check_duration,
    check_name,
    check_optional_duration,
    check_positive_int,
    check_rate,
)
from steinresil._window import CountWindow, OutcomeTracker, TimeWindow, Totals, Window

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from types import TracebackType

    from steinresil._registry import Registry
    from steinresil._state_store import CircuitStateStore

__all__ = [
    "CircuitBreaker",
    "CircuitBreakerMetrics",
    "CircuitEvent",
    "CircuitRejected",
    "CircuitStateChanged",
    "circuit_breaker",
]

P = ParamSpec("P")
T = TypeVar("T")


_CLOSED = CircuitState.CLOSED
_OPEN = CircuitState.OPEN
_HALF_OPEN = CircuitState.HALF_OPEN
_FORCED_OPEN = CircuitState.FORCED_OPEN
_FORCED_CLOSED = CircuitState.FORCED_CLOSED


@dataclass(frozen=True, slots=True)
class CircuitStateChanged:
    """The breaker moved from ``old_state`` to ``new_state`` at monotonic time ``at``."""

    name: str
    old_state: CircuitState
    new_state: CircuitState
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class CircuitRejected:
    """A call was refused without running."""

    name: str
    state: CircuitState
    retry_after: float


CircuitEvent: TypeAlias = CircuitStateChanged | CircuitRejected


@dataclass(frozen=True, slots=True)
class CircuitBreakerMetrics:
    """A consistent snapshot of one breaker. Call counts are totals since creation."""

    name: str
    state: CircuitState
    successful_calls: int
    failed_calls: int
    ignored_calls: int
    rejected_calls: int
    slow_calls: int
    consecutive_failures: int
    window_calls: int | None
    """Calls in the sliding window (``None`` in consecutive mode)."""
    failure_rate: float | None
    """Failed share of the window (``None`` in consecutive mode)."""
    slow_call_rate: float | None
    opened_at: float | None
    """Monotonic time the circuit last opened, while it is open or half-open."""
    retry_after: float
    """Seconds until a trial call is let through (0 unless open)."""

    @property
    def calls(self) -> int:
        """Every call that ran (rejected ones did not)."""
        return self.successful_calls + self.failed_calls + self.ignored_calls


# A permit says how a call was admitted: 0 for a normal call in a closed circuit, else the
# generation number of the half-open period whose trial slot it holds. Generations make a
# trial that finishes after the state moved on harmless.
_NORMAL = 0


class CircuitBreaker:
    """Stops calling a dependency that keeps failing, and tries it again later.

    Consecutive mode (the default): the circuit opens on the ``failure_threshold``-th
    failure in a row. Rate mode (``failure_rate_threshold`` and/or a ``window``): it opens
    when the failed (or slow) share of the window reaches the threshold, once the window
    holds ``minimum_calls``. When open, calls fail fast with ``CircuitOpenError``; after
    ``reset_timeout`` up to ``half_open_max_calls`` trial calls run at once, any failure
    reopens, and ``success_threshold`` successes close the circuit.

    Exceptions matching ``ignore`` count as neither success nor failure; of the rest,
    those matching ``record`` are failures and the others count as successes (the
    dependency answered; the error is the caller's business). By default ``record`` is
    any ``Exception`` except ``CallRejectedError``: a full bulkhead or rate limit inside
    the breaker is not the dependency failing, so it is not counted at all. Cancellation
    is never counted. ``record_result`` marks returned values as failures.

    With a ``state_store``, breakers of the same name elsewhere (other processes, through
    a shared store) take over each other's transitions: when one opens, all open.
    """

    __slots__ = (
        "__weakref__",
        "_blocks",
        "_changed_at",
        "_closed",
        "_consecutive_failures",
        "_failed_calls",
        "_generation",
        "_half_open_in_flight",
        "_half_open_successes",
        "_ignore",
        "_ignored_calls",
        "_listeners",
        "_lock",
        "_now",
        "_opened_at",
        "_origin",
        "_record_exc",
        "_record_result",
        "_rejected_calls",
        "_reopen_at",
        "_simple",
        "_slow_call_duration",
        "_slow_calls",
        "_state",
        "_state_store",
        "_successful_calls",
        "_tracker",
        "clock",
        "failure_rate_threshold",
        "failure_threshold",
        "half_open_max_calls",
        "name",
        "reset_timeout",
        "slow_call_duration",
        "slow_call_rate_threshold",
        "success_threshold",
        "window",
    )

    def __init__(
        self,
        name: str = "default",
        failure_threshold: int = 5,
        success_threshold: int = 2,
        reset_timeout: Duration = 30.0,
        *,
        failure_rate_threshold: float | None = None,
        window: Window | None = None,
        slow_call_duration: Duration | None = None,
        slow_call_rate_threshold: float | None = None,
        half_open_max_calls: int = 1,
        record: ExceptionFilter | None = None,
        ignore: ExceptionFilter = (),
        record_result: Callable[[Any], bool] | None = None,
        clock: Clock | None = None,
        listeners: Iterable[Callable[[CircuitEvent], object]] = (),
        registry: Registry | None = None,
        state_store: CircuitStateStore | None = None,
    ) -> None:
        owner = f"CircuitBreaker({name!r})"
        check_name("CircuitBreaker", name)
        self.name = name
        self.failure_threshold = check_positive_int(owner, "failure_threshold", failure_threshold)
        self.success_threshold = check_positive_int(owner, "success_threshold", success_threshold)
        self.reset_timeout = check_duration(owner, "reset_timeout", reset_timeout, allow_zero=False)
        self.half_open_max_calls = check_positive_int(
            owner, "half_open_max_calls", half_open_max_calls
        )
        window = self._configure_rates(
            owner, failure_rate_threshold, window, slow_call_duration, slow_call_rate_threshold
        )
        self.window = window
        self._tracker: OutcomeTracker | None = window.tracker() if window is not None else None
        self._record_exc = exception_filter(
            owner, "record", Exception if record is None else record, refusals_when_named=True
        )
        ignore_matcher = exception_filter(owner, "ignore", ignore, refusals_when_named=False)
        self._ignore = None if ignore == () else ignore_matcher
        if record_result is not None and not callable(record_result):
            raise ValueError(f"{owner}: record_result must be a predicate, got {record_result!r}")
        self._record_result = record_result
        self._slow_call_duration = self.slow_call_duration
        self.clock = clock if clock is not None else system_clock
        self._now = self.clock.monotonic
        self._listeners: tuple[Callable[[CircuitEvent], object], ...] = normalize_listeners(
            owner, listeners
        )
        # The success path can skip the lock only when a success needs no bookkeeping
        # beyond a counter: consecutive mode, no result predicate, no slow-call timing.
        self._simple = self._tracker is None and record_result is None
        self._lock = threading.Lock()
        self._blocks: OpenBlocks[tuple[int, float]] = OpenBlocks()
        self._start_closed()
        self._state_store = state_store
        # Random, not id(): ids repeat across processes sharing one store.
        self._origin = f"{name}@{secrets.token_hex(8)}"
        if state_store is not None:
            self._subscribe(state_store)
        if registry is not None:
            registry.add(self)

    def _configure_rates(
        self,
        owner: str,
        failure_rate_threshold: float | None,
        window: Window | None,
        slow_call_duration: Duration | None,
        slow_call_rate_threshold: float | None,
    ) -> Window | None:
        """Validate the rate-mode options and return the window (None in consecutive mode)."""
        self.failure_rate_threshold = (
            None
            if failure_rate_threshold is None
            else check_rate(owner, "failure_rate_threshold", failure_rate_threshold)
        )
        self.slow_call_duration = check_optional_duration(
            owner, "slow_call_duration", slow_call_duration, allow_zero=False
        )
        self.slow_call_rate_threshold = (
            None
            if slow_call_rate_threshold is None
            else check_rate(owner, "slow_call_rate_threshold", slow_call_rate_threshold)
        )
        if (self.slow_call_duration is None) != (self.slow_call_rate_threshold is None):
            raise ValueError(
                f"{owner}: slow_call_duration and slow_call_rate_threshold go together, got "
                f"slow_call_duration={slow_call_duration!r}, "
                f"slow_call_rate_threshold={slow_call_rate_threshold!r}"
            )
        if window is not None and not isinstance(window, CountWindow | TimeWindow):
            raise ValueError(f"{owner}: window must be CountWindow or TimeWindow, got {window!r}")
        rate_mode = (
            window is not None
            or self.failure_rate_threshold is not None
            or self.slow_call_rate_threshold is not None
        )
        if rate_mode:
            window = window if window is not None else CountWindow(100)
            if self.failure_rate_threshold is None and self.slow_call_rate_threshold is None:
                self.failure_rate_threshold = 0.5
        return window

    def _start_closed(self) -> None:
        """The state and counters of a new breaker."""
        self._state = _CLOSED
        self._closed = True
        self._generation = 0
        self._opened_at = 0.0
        self._changed_at = 0.0
        self._reopen_at = -math.inf
        self._consecutive_failures = 0
        self._half_open_in_flight = 0
        self._half_open_successes = 0
        self._successful_calls = 0
        self._failed_calls = 0
        self._ignored_calls = 0
        self._rejected_calls = 0
        self._slow_calls = 0

    # ---- presets --------------------------------------------------------------------------

    @classmethod
    def aggressive(cls, name: str = "default", **options: Any) -> CircuitBreaker:
        """Opens fast and probes soon: 3 failures, 2 successes, 10 s."""
        return cls(name, 3, 2, 10.0, **options)

    @classmethod
    def conservative(cls, name: str = "default", **options: Any) -> CircuitBreaker:
        """Tolerates more and waits longer: 10 failures, 5 successes, 60 s."""
        return cls(name, 10, 5, 60.0, **options)

    # ---- the decisions ---------------------------------------------------------------

    def _admit(self) -> int:
        """Decide whether a call may run now; return its permit or raise CircuitOpenError."""
        wait = self._reopen_at - self._now()
        if wait > 0:  # open (or forced open): refused without the lock
            self._rejected_calls += 1
        else:
            permit, wait, changed = self._take_permit()
            if changed is not None:
                self._announce(changed)
            if permit >= 0:
                return permit
        if self._listeners:
            self._tell_rejected(wait)
        raise CircuitOpenError(self.name, wait)

    def _take_permit(self) -> tuple[int, float, CircuitStateChanged | None]:
        """Under the lock: a permit (``-1`` when refused), the wait, and any state change."""
        changed: CircuitStateChanged | None = None
        lock = self._lock
        lock.acquire()
        try:
            state = self._state
            if state is _OPEN:
                now = self._now()
                wait = self._reopen_at - now
                if wait > 0:  # another thread reopened it a moment ago
                    self._rejected_calls += 1
                    return -1, wait, None
                changed = self._move(_HALF_OPEN, "reset timeout elapsed", now)
                state = _HALF_OPEN
            if state is _HALF_OPEN:
                if self._half_open_in_flight < self.half_open_max_calls:
                    self._half_open_in_flight += 1
                    return self._generation, 0.0, changed
                self._rejected_calls += 1
                return -1, self._busy_wait(), changed
            if state is _FORCED_OPEN:  # forced a moment ago
                self._rejected_calls += 1
                return -1, math.inf, None
            return _NORMAL, 0.0, changed  # closed while we waited for the lock
        finally:
            lock.release()

    def _busy_wait(self) -> float:
        """How long to wait when every half-open trial slot is taken: never "now".

        Nobody knows when the running trial ends, so guess it runs as long again as it
        has so far (a caller retrying on this waits about twice as long each time, like
        a backoff), at least 1 % and at most all of ``reset_timeout``.
        """
        running_for = self._now() - self._changed_at
        return min(self.reset_timeout, max(running_for, self.reset_timeout / 100))

    def _tell_rejected(self, retry_after: float) -> None:
        """Tell listeners about a call rejected by an open circuit.

        Only the telling: a rejection is counted and raised in ``_admit`` (one field read,
        no lock: a stale read only treats the call as if it had come a moment earlier).
        """
        emit(self._listeners, CircuitRejected(self.name, self._state, retry_after))

    def _record(self, permit: int, *, failed: bool, started: float) -> None:
        """Account for a call that ran and finished with a success or a failure."""
        now = self._now()
        slow = self._slow_call_duration is not None and now - started >= self._slow_call_duration
        changed: CircuitStateChanged | None = None
        lock = self._lock  # acquire/release: a third of the cost of `with` on 3.11
        lock.acquire()
        try:
            if failed:
                self._failed_calls += 1
            else:
                self._successful_calls += 1
            if slow:
                self._slow_calls += 1
            if permit:
                changed = self._record_trial(permit, failed=failed or slow, now=now)
            elif self._state is _CLOSED:
                changed = self._record_closed(failed=failed, slow=slow, now=now)
        finally:
            lock.release()
        if changed is not None:
            self._announce(changed)

    def _record_trial(self, permit: int, *, failed: bool, now: float) -> CircuitStateChanged | None:
        if self._state is not _HALF_OPEN or permit != self._generation:
            return None  # a trial from a half-open period that has already ended
        self._half_open_in_flight -= 1
        if failed:
            return self._move(_OPEN, "trial call failed", now)
        self._half_open_successes += 1
        if self._half_open_successes >= self.success_threshold:
            return self._move(_CLOSED, f"{self._half_open_successes} trial calls succeeded", now)
        return None

    def _record_closed(self, *, failed: bool, slow: bool, now: float) -> CircuitStateChanged | None:
        tracker = self._tracker
        if tracker is None:
            if not failed:
                self._consecutive_failures = 0
                return None
            self._consecutive_failures += 1
            if self._consecutive_failures >= self.failure_threshold:
                return self._move(_OPEN, f"{self._consecutive_failures} consecutive failures", now)
            return None
        self._consecutive_failures = self._consecutive_failures + 1 if failed else 0
        totals = tracker.record(failed=failed, slow=slow, now=now)
        reason = self._rate_exceeded(totals)
        if reason is not None:
            return self._move(_OPEN, reason, now)
        return None

    def _rate_exceeded(self, totals: Totals) -> str | None:
        assert self._tracker is not None  # noqa: S101 - only called in rate mode
        if totals.calls < self._tracker.minimum_calls:
            return None
        limit = self.failure_rate_threshold
        if limit is not None and totals.failure_rate >= limit:
            return (
                f"failure rate {totals.failure_rate:.0%} >= {limit:.0%} over {totals.calls} calls"
            )
        limit = self.slow_call_rate_threshold
        if limit is not None and totals.slow_call_rate >= limit:
            rate = totals.slow_call_rate
            return f"slow-call rate {rate:.0%} >= {limit:.0%} over {totals.calls} calls"
        return None

    def _release(self, permit: int) -> None:
        """A call ended with an ignored exception or a cancellation: count nothing."""
        lock = self._lock  # acquire/release: cheaper than `with` on a hot path
        lock.acquire()
        try:
            self._ignored_calls += 1
            if permit and self._state is _HALF_OPEN and permit == self._generation:
                self._half_open_in_flight -= 1
        finally:
            lock.release()

    def _on_exception(self, permit: int, exc: BaseException, started: float) -> None:
        """Sort an exception into ignored, failure or success, and account for it."""
        if not isinstance(exc, Exception):  # cancellation and exits are never counted
            self._release(permit)
            return
        try:
            ignored = self._ignore is not None and self._ignore(exc)
            failed = not ignored and self._record_exc(exc)
        except BaseException as error:
            self._predicate_raised(permit, error, started)
            raise
        # A refusal from a guard inside this one (a full bulkhead, a rate limit, another
        # open circuit) says nothing about the dependency: unless ``record`` names it, it
        # is not counted at all (not even as a success).
        if ignored or (not failed and isinstance(exc, CallRejectedError)):
            self._release(permit)
        else:
            self._record(permit, failed=bool(failed), started=started)

    def _on_result(self, permit: int, result: object, started: float) -> None:
        if self._simple and not permit:
            self._successful_calls += 1
            if self._consecutive_failures:
                lock = self._lock  # acquire/release: cheaper than `with` on a hot path
                lock.acquire()
                try:
                    if self._state is _CLOSED:
                        self._consecutive_failures = 0
                finally:
                    lock.release()
            return
        try:
            failed = self._record_result is not None and bool(self._record_result(result))
        except BaseException as error:
            self._predicate_raised(permit, error, started)
            raise
        self._record(permit, failed=failed, started=started)

    def _predicate_raised(self, permit: int, error: BaseException, started: float) -> None:
        """``record``, ``ignore`` or ``record_result`` raised: the call still ends.

        Its permit must come back (else a half-open circuit would wait for a trial that
        never finishes), so the call counts as a failure; the predicate's error then
        propagates to the caller, with the call's own error as its ``__context__``.
        """
        if isinstance(error, Exception):
            self._record(permit, failed=True, started=started)
        else:
            self._release(permit)

    def _move(self, new: CircuitState, reason: str, now: float) -> CircuitStateChanged:
        """Change state with the lock held; the caller announces the event after releasing."""
        old = self._state
        self._state = new
        self._changed_at = now
        self._closed = new is _CLOSED or new is _FORCED_CLOSED
        self._generation += 1
        self._consecutive_failures = 0
        self._half_open_in_flight = 0
        self._half_open_successes = 0
        if new is _OPEN or new is _FORCED_OPEN:
            self._opened_at = now
        # Drivers reject without the lock while the clock is before _reopen_at, so it is
        # +inf for a forced-open circuit and -inf whenever calls are not simply rejected.
        if new is _OPEN:
            self._reopen_at = now + self.reset_timeout
        else:
            self._reopen_at = math.inf if new is _FORCED_OPEN else -math.inf
        if self._tracker is not None:
            self._tracker.clear()
        return CircuitStateChanged(self.name, old, new, reason, now)

    def _announce(self, event: CircuitStateChanged, *, share: bool = True) -> None:
        if event.new_state is _OPEN or event.new_state is _FORCED_OPEN:
            logger.warning(
                "circuit %r opened (%s); next trial in %.3g s",
                self.name,
                event.reason,
                self.reset_timeout,
            )
        else:
            logger.info(
                "circuit %r %s -> %s (%s)",
                self.name,
                event.old_state.value,
                event.new_state.value,
                event.reason,
            )
        if self._listeners:
            emit(self._listeners, event)
        if share and self._state_store is not None and event.new_state is not _HALF_OPEN:
            self._share(event.new_state)

    # ---- shared state (see _state_store) ---------------------------------------------------

    def _subscribe(self, store: CircuitStateStore) -> None:
        """Hear about other breakers of this name, without the store keeping us alive."""
        this = weakref.ref(self)

        def apply(shared: SharedState) -> None:
            breaker = this()
            if breaker is not None:
                breaker._apply_shared(shared)

        shared = store.subscribe(self.name, self._origin, apply)
        weakref.finalize(self, _unsubscribe, store, self.name, self._origin)
        if shared is not None:
            self._apply_shared(shared)

    def _share(self, state: CircuitState) -> None:
        """Publish a local transition; a store that fails is logged, never felt by the call."""
        assert self._state_store is not None  # noqa: S101 - only called with a store
        retry_after = max(0.0, self._reopen_at - self._now()) if state is _OPEN else 0.0
        try:
            self._state_store.publish(self.name, SharedState(state, retry_after, self._origin))
        except Exception:
            logger.exception("circuit %r: could not publish its state %s", self.name, state.value)

    def _apply_shared(self, shared: SharedState) -> None:
        """Take over a transition another breaker of this name made (not published again)."""
        if shared.origin == self._origin or shared.state is _HALF_OPEN:
            return
        lock = self._lock
        lock.acquire()
        try:
            if shared.state is self._state and shared.state is not _OPEN:
                return
            now = self._now()
            changed = self._move(shared.state, "changed by another breaker of this name", now)
            if shared.state is _OPEN:
                self._reopen_at = now + shared.retry_after
        finally:
            lock.release()
        self._announce(changed, share=False)

    def _started(self) -> float:
        return self._now() if self._slow_call_duration is not None else 0.0

    # ---- drivers: plain calls ------------------------------------------------------------

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` through the breaker."""
        permit = _NORMAL if self._closed else self._admit()
        started = self._started()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._on_exception(permit, exc, started)
            raise
        if type(result) is CoroutineType:  # an async function given to call(): not counted
            self._release(permit)
            refuse_coroutine(repr(self), fn, result)
        self._on_result(permit, result, started)
        return result

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)`` through the breaker."""
        permit = _NORMAL if self._closed else self._admit()
        started = self._started()
        pending: object = NOT_CALLED
        try:
            pending = fn(*args, **kwargs)
            result = await pending
        except BaseException as exc:
            if type(exc) is TypeError and awaited_a_non_awaitable(exc, pending):  # sync fn
                self._release(permit)
                raise not_awaitable(repr(self), fn, pending) from None
            self._on_exception(permit, exc, started)
            raise
        self._on_result(permit, result, started)
        return result

    # ---- drivers: decorators -------------------------------------------------------------

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature and type are kept.

        One signature for both: an ``async def`` stays a coroutine function for type
        checkers (``asyncio.run(decorated())`` checks), as it does at run time.
        """
        check_decoratable(f"CircuitBreaker({self.name!r})", fn, inside="`with breaker:`")
        if is_async_callable(fn):
            return cast("Callable[P, T]", self._wrap_async(cast("Callable[P, Awaitable[Any]]", fn)))
        return self._wrap_sync(fn)

    # The wrappers drive a call as ``call`` does, through the same decisions (``_admit``,
    # ``_on_exception``, ``_on_result``); only the closed-circuit test stays inline, as in
    # every driver. Unlike ``call`` the sync one does not look for a coroutine coming
    # back: ``fn`` was found to be sync when decorated, and the check would cost 5 % of
    # every call.

    def _wrap_sync(self, fn: Callable[P, T]) -> Callable[P, T]:
        # Bound once, so a call looks up no attributes it does not need.
        admit, on_exception, on_result = self._admit, self._on_exception, self._on_result
        now, timed = self._now, self._slow_call_duration is not None

        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            permit = _NORMAL if self._closed else admit()
            started = now() if timed else 0.0
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                on_exception(permit, exc, started)
                raise
            on_result(permit, result, started)
            return result

        guarded.circuit_breaker = self  # type: ignore[attr-defined]
        return guarded

    def _wrap_async(self, fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        admit, on_exception, on_result = self._admit, self._on_exception, self._on_result
        now, timed = self._now, self._slow_call_duration is not None

        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            permit = _NORMAL if self._closed else admit()
            started = now() if timed else 0.0
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                on_exception(permit, exc, started)
                raise
            on_result(permit, result, started)
            return result

        guarded.circuit_breaker = self  # type: ignore[attr-defined]
        return guarded

    # ---- drivers: context managers -------------------------------------------------------
    # Each block's permit is kept per block (see _blocks): blocks may end out of order or
    # on another thread or task, and must still give back their own permit.

    # The dunders do the work themselves, not through a shared helper: the frame running
    # the ``with`` statement, one call up, is what tells the blocks apart (see _blocks),
    # and a helper would cost every block one more call.

    def __enter__(self) -> Self:
        permit = _NORMAL if self._closed else self._admit()
        self._blocks.begin((permit, self._started()))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        permit, started = self._blocks.end()
        if exc is None:
            self._on_result(permit, None, started)
        else:
            self._on_exception(permit, exc, started)

    async def __aenter__(self) -> Self:
        permit = _NORMAL if self._closed else self._admit()
        self._blocks.begin((permit, self._started()))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        permit, started = self._blocks.end()
        if exc is None:
            self._on_result(permit, None, started)
        else:
            self._on_exception(permit, exc, started)

    # ---- state, metrics and manual control --------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The current state; an open circuit whose timeout has passed reads HALF_OPEN."""
        if self._state is _OPEN and self._now() >= self._reopen_at:
            changed = None
            with self._lock:
                now = self._now()
                if self._state is _OPEN and now >= self._reopen_at:
                    changed = self._move(_HALF_OPEN, "reset timeout elapsed", now)
            if changed is not None:
                self._announce(changed)
        return self._state

    @property
    def accepting_calls(self) -> bool:
        """Whether a call made now would run rather than be rejected.

        Reads the state without taking a trial slot or counting anything, so fallback
        chains and health checks can ask before they call.
        """
        state = self.state
        if state is _HALF_OPEN:
            return self._half_open_in_flight < self.half_open_max_calls
        return state is _CLOSED or state is _FORCED_CLOSED

    @property
    def metrics(self) -> CircuitBreakerMetrics:
        """A snapshot of counters and window rates, all read under the lock at one moment."""
        self.state  # noqa: B018 - moves an expired OPEN to HALF_OPEN (and tells listeners)
        with self._lock:
            state = self._state  # read with the rest: another thread may change it meanwhile
            now = self._now()
            totals = self._tracker.totals(now) if self._tracker is not None else None
            is_open = state in (_OPEN, _HALF_OPEN, _FORCED_OPEN)
            retry_after = 0.0
            if state is _OPEN:
                retry_after = max(0.0, self._reopen_at - now)
            elif state is _FORCED_OPEN:
                retry_after = math.inf
            return CircuitBreakerMetrics(
                name=self.name,
                state=state,
                successful_calls=self._successful_calls,
                failed_calls=self._failed_calls,
                ignored_calls=self._ignored_calls,
                rejected_calls=self._rejected_calls,
                slow_calls=self._slow_calls,
                consecutive_failures=self._consecutive_failures,
                window_calls=None if totals is None else totals.calls,
                failure_rate=None if totals is None else totals.failure_rate,
                slow_call_rate=None if totals is None else totals.slow_call_rate,
                opened_at=self._opened_at if is_open else None,
                retry_after=retry_after,
            )

    def force_open(self) -> None:
        """Reject every call until ``reset()`` or ``force_closed()``."""
        self._set_state(_FORCED_OPEN, "forced open")

    def force_closed(self) -> None:
        """Let every call through and never open, until ``reset()`` (disables the breaker)."""
        self._set_state(_FORCED_CLOSED, "forced closed")

    def reset(self) -> None:
        """Back to CLOSED with an empty window; call totals are kept (they are counters)."""
        self._set_state(_CLOSED, "reset")

    def _set_state(self, state: CircuitState, reason: str) -> None:
        with self._lock:
            changed = self._move(state, reason, self._now())
        if changed.old_state is not changed.new_state:
            self._announce(changed)

    def add_listener(self, listener: Callable[[CircuitEvent], object]) -> None:
        """Also tell ``listener`` about state changes and rejections from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[CircuitEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self._state.value}>"


def _unsubscribe(store: CircuitStateStore, name: str, origin: str) -> None:
    try:
        store.unsubscribe(name, origin)
    except Exception:  # runs from the garbage collector: nowhere to raise to
        logger.exception("circuit %r: could not unsubscribe from its state store", name)


@overload
def circuit_breaker(fn: Callable[P, T], /) -> Callable[P, T]: ...
@overload
def circuit_breaker(
    *,
    name: str | None = None,
    failure_threshold: int = 5,
    success_threshold: int = 2,
    reset_timeout: Duration = 30.0,
    **options: Any,
) -> Callable[[Callable[P, T]], Callable[P, T]]: ...
def circuit_breaker(
    fn: Callable[P, T] | None = None,
    /,
    *,
    name: str | None = None,
    failure_threshold: int = 5,
    success_threshold: int = 2,
    reset_timeout: Duration = 30.0,
    **options: Any,
) -> Callable[P, T] | Callable[[Callable[P, T]], Callable[P, T]]:
    """Give a function its own breaker: ``@circuit_breaker`` or ``@circuit_breaker(...)``.

    The breaker is named after the function unless ``name`` is given, and is reachable as
    the wrapper's ``circuit_breaker`` attribute. Options are those of ``CircuitBreaker``.
    """

    def build(breaker_name: str, register: bool) -> CircuitBreaker:
        given = options if register else {k: v for k, v in options.items() if k != "registry"}
        return CircuitBreaker(
            breaker_name, failure_threshold, success_threshold, reset_timeout, **given
        )

    return decorator_factory(fn, name, build)
