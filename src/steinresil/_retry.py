"""Retrying: ``RetryPolicy``, the ``retry`` decorator factory and attempt iteration.

Every decision lives in ``_Call``, a small object made fresh for each call that needs one:
given what the last attempt did, it answers "give up", "accept" or "try again after D
seconds", and it never sleeps, awaits or does I/O. The call styles - ``call``,
``call_async``, decorators, ``for attempt in policy`` and ``async for`` - are thin drivers
that only run the attempt and sleep. The policy itself holds configuration and counters,
never per-call state, so one policy can serve any number of threads and tasks at once.

Most calls succeed at the first attempt, so that path allocates nothing: a ``_Call`` is
made only once an attempt has failed.
"""

from __future__ import annotations

import enum
import functools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from random import random as _default_random
from types import CoroutineType, MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, Self, TypeAlias, TypeVar, cast, overload

from steinresil import _testmode
from steinresil._budget import RetryBudget
from steinresil._clock import Clock, system_clock
from steinresil._concurrency import (
    NOT_CALLED,
    awaited_a_non_awaitable,
    check_decoratable,
    is_async_callable,
    not_awaitable,
    refuse_coroutine,
)
from steinresil._errors import RetryBudgetExhaustedError
from steinresil._events import emit, logger, normalize_listeners, without_listener
from steinresil._filters import ExceptionFilter, exception_filter
from steinresil._retry_after import WaitFrom, as_seconds, retry_after_from
from steinresil._strategy import decorator_factory
from steinresil._validation import (
    Duration,
    check_duration,
    check_name,
    check_optional_duration,
    check_positive_int,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
    from types import TracebackType

    from steinresil._registry import Registry

__all__ = [
    "GiveUpReason",
    "Jitter",
    "RetryAttempt",
    "RetryAttemptFailed",
    "RetryEvent",
    "RetryGaveUp",
    "RetryPolicy",
    "RetryPolicyMetrics",
    "RetryScheduled",
    "RetrySucceeded",
    "retry",
]

P = ParamSpec("P")
T = TypeVar("T")

Jitter: TypeAlias = Literal["full", "equal", "decorrelated"]
"""How a delay is randomised (the AWS Architecture Blog's "Exponential Backoff and Jitter").

- ``"full"``: uniform in ``[0, delay)``.
- ``"equal"``: half the delay, plus uniform in ``[0, delay / 2)``.
- ``"decorrelated"``: uniform in ``[initial_delay, 3 * previous delay)``, capped by
  ``max_delay``; it grows from the previous delay, so ``backoff_multiplier`` is not used.
"""

_JITTERS = (None, "full", "equal", "decorrelated")


class GiveUpReason(enum.Enum):
    """Why a policy stopped retrying and let the failure through."""

    EXHAUSTED = "exhausted"
    """``max_retries`` retries were made and the last attempt failed too."""
    DEADLINE = "deadline"
    """The next wait would have ended past the ``deadline``."""
    BUDGET = "budget"
    """The shared ``RetryBudget`` had no token for another retry."""
    NOT_RETRYABLE = "not_retryable"
    """``retry_on`` did not match the error (or it was one of the library's rejections)."""
    RETRY_AFTER_TOO_LONG = "retry_after_too_long"
    """The error asked for a wait longer than ``max_delay``; retrying sooner is pointless."""


_EXHAUSTED = GiveUpReason.EXHAUSTED
_DEADLINE = GiveUpReason.DEADLINE
_BUDGET = GiveUpReason.BUDGET
_NOT_RETRYABLE = GiveUpReason.NOT_RETRYABLE
_RETRY_AFTER_TOO_LONG = GiveUpReason.RETRY_AFTER_TOO_LONG
_REASONS = tuple(GiveUpReason)
_REASON_INDEX = {reason: index for index, reason in enumerate(_REASONS)}


@dataclass(frozen=True, slots=True)
class RetryAttemptFailed:
    """Attempt number ``attempt`` (from 1) raised ``error``, or returned a ``result`` that
    ``retry_on_result`` refused (then ``error`` is ``None``)."""

    name: str
    attempt: int
    error: Exception | None
    result: object = None


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """Attempt number ``attempt`` will run after ``delay`` seconds.

    ``from_retry_after`` is true when the delay is the wait the error asked for
    (``retry_after``, ``Retry-After``) rather than the backoff.
    """

    name: str
    attempt: int
    delay: float
    from_retry_after: bool
    error: Exception | None
    result: object = None


@dataclass(frozen=True, slots=True)
class RetryGaveUp:
    """The policy stopped after ``attempts`` attempts; the last ``error`` propagates (or,
    for a refused result, the last ``result`` is returned)."""

    name: str
    attempts: int
    reason: GiveUpReason
    elapsed: float
    error: Exception | None
    result: object = None


@dataclass(frozen=True, slots=True)
class RetrySucceeded:
    """A call succeeded at attempt number ``attempts``, after at least one retry.

    A success at the first attempt sends no event (see ``RetryPolicyMetrics``): it is the common
    case and must stay cheap.
    """

    name: str
    attempts: int
    elapsed: float


RetryEvent: TypeAlias = RetryAttemptFailed | RetryScheduled | RetryGaveUp | RetrySucceeded


@dataclass(frozen=True, slots=True)
class RetryPolicyMetrics:
    """Totals since the policy was created, for dashboards and exporters.

    A call counts once it has finished: as a success (at the first attempt or after
    retrying) or as a failure, with the reason the policy gave up. Cancelled calls do not
    count.
    """

    name: str
    successful_calls: int
    """Calls that returned a value the policy accepted, at any attempt."""
    successful_calls_after_retry: int
    """Of those, the calls that needed one retry or more."""
    failed_calls: int
    """Calls the policy gave up on (their last error propagated)."""
    failed_calls_by_reason: Mapping[GiveUpReason, int]
    """``failed_calls`` by the reason the policy gave up; every reason is a key."""
    retries: int
    """Retries made (sleeps scheduled), over all calls."""

    @property
    def calls(self) -> int:
        """Every finished call."""
        return self.successful_calls + self.failed_calls


class _Call:
    """The decisions for one call: what to do after each attempt. Never sleeps."""

    __slots__ = ("attempt", "pending", "policy", "previous_delay", "started", "wait_until")

    def __init__(self, policy: RetryPolicy, started: float | None) -> None:
        self.policy = policy
        self.started = started
        """When the first attempt started; ``None`` when no deadline or listener needed it."""
        self.attempt = 1
        """The number of the attempt running now (or that just ended), from 1."""
        self.previous_delay = policy.initial_delay
        self.wait_until: float | None = None
        """When a wait the error asked for ends: the next attempt must not start earlier."""
        self.pending: float | None = None
        """The delay decided by the last failed attempt, for the attempt iterators."""

    def _elapsed(self) -> float:
        return 0.0 if self.started is None else self.policy._now() - self.started

    def failed(self, error: Exception) -> float | None:
        """The attempt raised ``error``: seconds to wait before the next one, or ``None``
        to give up (the caller re-raises ``error``)."""
        policy = self.policy
        if policy._listeners:
            emit(policy._listeners, RetryAttemptFailed(policy.name, self.attempt, error))
        if not policy._retryable(error):
            self._give_up(_NOT_RETRYABLE, error, None)
            return None
        told = None if policy.wait_from is None else policy.wait_from(error)
        return self._retry(error, None, None if told is None else as_seconds(told))

    def returned(self, result: object) -> float | None:
        """The attempt returned ``result``: seconds to wait before the next attempt if
        ``retry_on_result`` refuses it, else ``None`` (the caller returns ``result``)."""
        policy = self.policy
        refuse = policy.retry_on_result
        if refuse is None or not refuse(result):
            self.succeeded()
            return None
        if policy._listeners:
            emit(policy._listeners, RetryAttemptFailed(policy.name, self.attempt, None, result))
        return self._retry(None, result, None)

    def succeeded(self) -> None:
        policy = self.policy
        if self.attempt == 1:
            policy._succeeded_first_try += 1
            return
        policy._succeeded_after_retry += 1
        if policy._listeners:
            emit(policy._listeners, RetrySucceeded(policy.name, self.attempt, self._elapsed()))

    def _retry(self, error: Exception | None, result: object, told: float | None) -> float | None:
        policy = self.policy
        testing = _testmode._current
        max_retries = (
            policy.max_retries if testing is None else testing.max_retries(policy.max_retries)
        )
        if self.attempt > max_retries:
            self._give_up(_EXHAUSTED, error, result)
            return None
        if told is None:
            delay = (
                policy.delay(self.attempt - 1)
                if policy.jitter is None
                else policy._jittered(self.attempt - 1, self.previous_delay)
            )
        elif told > policy.max_delay:
            self._give_up(_RETRY_AFTER_TOO_LONG, error, result)
            return None
        else:
            delay = told
        self.previous_delay = delay
        if testing is not None:
            delay = 0.0
        deadline = policy.deadline
        now = policy._now() if deadline is not None or told is not None else 0.0
        if deadline is not None:
            started = now if self.started is None else self.started
            if now + delay > started + deadline:
                self._give_up(_DEADLINE, error, result)
                return None
        if policy.budget is not None and not policy.budget.try_withdraw():
            self._give_up(_BUDGET, error, result)
            return None
        self.attempt += 1
        self.wait_until = now + delay if told is not None and delay > 0 else None
        policy._retries += 1
        if policy._listeners:
            event = RetryScheduled(
                policy.name, self.attempt, delay, told is not None, error, result
            )
            emit(policy._listeners, event)
        return delay

    def _give_up(self, reason: GiveUpReason, error: Exception | None, result: object) -> None:
        policy = self.policy
        policy._gave_up[_REASON_INDEX[reason]] += 1
        if policy._listeners:
            event = RetryGaveUp(policy.name, self.attempt, reason, self._elapsed(), error, result)
            emit(policy._listeners, event)
        if reason is not _NOT_RETRYABLE and logger.isEnabledFor(logging.INFO):
            logger.info(
                "retry policy %r gave up after %d attempts (%s): %r",
                policy.name,
                self.attempt,
                reason.value,
                error if error is not None else result,
            )
        if reason is _BUDGET and policy.wrap_budget_error:
            assert policy.budget is not None  # noqa: S101 - only a budget refuses
            raise RetryBudgetExhaustedError(policy.budget.name) from error


class RetryAttempt:
    """One attempt at a block of code: use it as ``with attempt:``.

    A failure inside the block that the policy will retry is swallowed, and the loop goes
    on to the next attempt after the wait; any other failure propagates out of the loop.
    """

    __slots__ = ("_call", "number")

    def __init__(self, call: _Call) -> None:
        self._call = call
        self.number = call.attempt
        """This attempt's number, from 1."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        call = self._call
        if exc is None:
            call.succeeded()
            return False
        if not isinstance(exc, Exception):  # cancellation: not counted, not retried
            return False
        call.pending = call.failed(exc)
        return call.pending is not None

    def __repr__(self) -> str:
        return f"<RetryAttempt {self.number} of {self._call.policy.name!r}>"


class _Attempts:
    """Iterates the attempts of one block; sleeps between them (``async for`` awaits)."""

    __slots__ = ("_call", "_policy")

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._call: _Call | None = None

    def __iter__(self) -> Self:
        return self

    def __aiter__(self) -> Self:
        return self

    def _next_delay(self) -> float | None:
        """``None`` when there is no next attempt; a new call starts with delay 0."""
        call = self._call
        if call is None:
            policy = self._policy
            self._call = _Call(policy, policy._begin() if policy._prepare else None)
            return 0.0
        delay, call.pending = call.pending, None
        return delay

    def __next__(self) -> RetryAttempt:
        delay = self._next_delay()
        if delay is None:
            raise StopIteration
        assert self._call is not None  # noqa: S101 - _next_delay made it
        if delay > 0:
            self._policy._sleep(self._call, delay)
        return RetryAttempt(self._call)

    async def __anext__(self) -> RetryAttempt:
        delay = self._next_delay()
        if delay is None:
            raise StopAsyncIteration
        assert self._call is not None  # noqa: S101 - _next_delay made it
        if delay > 0:
            await self._policy._sleep_async(self._call, delay)
        return RetryAttempt(self._call)


def _check_multiplier(owner: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{owner}: backoff_multiplier must be a finite number, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: backoff_multiplier must be >= 1, got {value!r}")
    return float(value)


def _check_callable(owner: str, field: str, value: object, *, optional: bool) -> None:
    if (value is not None or not optional) and not callable(value):
        raise ValueError(f"{owner}: {field} must be callable, got {value!r}")


class RetryPolicy:
    """Runs a call again when it fails, waiting longer each time.

    At most ``1 + max_retries`` attempts. Before retry ``n`` (from 0) the policy waits
    ``min(max_delay, initial_delay * backoff_multiplier ** n)``, randomised by ``jitter``; a
    zero delay does not sleep at all. An error that says how long to wait (see
    ``wait_from``) is waited exactly that long, never less; if that is more than
    ``max_delay`` the policy gives up instead. No wait may end past ``deadline`` seconds
    after the call started. When the policy gives up, the last error propagates unchanged
    (or, when ``retry_on_result`` kept refusing, the last result is returned).

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the first backoff delay, in seconds.
        max_delay: the longest wait, in seconds.
        backoff_multiplier: how much each backoff delay grows.
        jitter: ``None``, ``"full"``, ``"equal"`` or ``"decorrelated"`` (see ``Jitter``).
        retry_on: exception types (one or a tuple) or a predicate: which errors to retry.
            The library's own rejections (``CallRejectedError``: open circuit, full
            bulkhead, rate limit) are retried only when a listed type names them, or the
            predicate says so. Cancellation is never retried.
        retry_on_result: a predicate on a returned value: true means "try again".
        deadline: total seconds for the whole call, attempts and waits included.
        budget: a ``RetryBudget`` shared with other policies; an empty one stops retries.
        wrap_budget_error: raise ``RetryBudgetExhaustedError`` (caused by the original
            error) instead of the original error when the budget stops a retry.
        wait_from: reads the wait an error asks for (default: ``retry_after_from``, which
            understands ``retry_after`` attributes and HTTP 429/503 ``Retry-After``);
            ``None`` ignores such waits.
        random: returns a float in ``[0, 1)`` for jitter; pass ``random.Random(seed).random``
            for repeatable delays.
        name: for events, logs, metrics and the registry.
        clock: where time is read and slept (default: the system clock).
        listeners: callables that receive every ``RetryEvent``.
        registry: a ``Registry`` to join.
    """

    __slots__ = (
        "__weakref__",
        "_gave_up",
        "_listeners",
        "_now",
        "_prepare",
        "_random",
        "_retries",
        "_retryable",
        "_succeeded_after_retry",
        "_succeeded_first_try",
        "_timed",
        "backoff_multiplier",
        "budget",
        "clock",
        "deadline",
        "initial_delay",
        "jitter",
        "max_delay",
        "max_retries",
        "name",
        "retry_on",
        "retry_on_result",
        "wait_from",
        "wrap_budget_error",
    )

    def __init__(
        self,
        max_retries: int = 3,
        initial_delay: Duration = 1.0,
        max_delay: Duration = 10.0,
        backoff_multiplier: float = 2.0,
        *,
        jitter: Jitter | None = None,
        retry_on: ExceptionFilter = Exception,
        retry_on_result: Callable[[Any], bool] | None = None,
        deadline: Duration | None = None,
        budget: RetryBudget | None = None,
        wrap_budget_error: bool = False,
        wait_from: WaitFrom | None = retry_after_from,
        random: Callable[[], float] = _default_random,
        name: str = "default",
        clock: Clock | None = None,
        listeners: Iterable[Callable[[RetryEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        owner = f"RetryPolicy({name!r})"
        check_name("RetryPolicy", name)
        self.name = name
        self.max_retries = check_positive_int(owner, "max_retries", max_retries, minimum=0)
        self.initial_delay = check_duration(owner, "initial_delay", initial_delay)
        self.max_delay = check_duration(owner, "max_delay", max_delay)
        if self.max_delay < self.initial_delay:
            raise ValueError(
                f"{owner}: max_delay must be >= initial_delay ({self.initial_delay:g} s), "
                f"got {max_delay!r}"
            )
        self.backoff_multiplier = _check_multiplier(owner, backoff_multiplier)
        if jitter not in _JITTERS:
            raise ValueError(
                f"{owner}: jitter must be None, 'full', 'equal' or 'decorrelated', got {jitter!r}"
            )
        self.jitter = jitter
        self.retry_on = retry_on
        self._retryable = cast(
            "Callable[[Exception], bool]",
            exception_filter(
                owner, "retry_on", retry_on, refusals_when_named=True, exceptions_only=True
            ),
        )
        _check_callable(owner, "retry_on_result", retry_on_result, optional=True)
        self.retry_on_result = retry_on_result
        self.deadline = check_optional_duration(owner, "deadline", deadline, allow_zero=False)
        self._check_budget(owner, budget, wrap_budget_error)
        self.budget = budget
        self.wrap_budget_error = wrap_budget_error
        _check_callable(owner, "wait_from", wait_from, optional=True)
        self.wait_from = wait_from
        _check_callable(owner, "random", random, optional=False)
        self._random = random
        self.clock = clock if clock is not None else system_clock
        self._now = self.clock.monotonic  # for the system clock, time.monotonic itself
        self._listeners: tuple[Callable[[RetryEvent], object], ...] = normalize_listeners(
            owner, listeners
        )
        self._update_fast_path()
        self._succeeded_first_try = 0
        self._succeeded_after_retry = 0
        self._retries = 0
        self._gave_up = [0] * len(_REASONS)
        if registry is not None:
            registry.add(self)

    @staticmethod
    def _check_budget(owner: str, budget: object, wrap_budget_error: object) -> None:
        if budget is not None and not isinstance(budget, RetryBudget):
            raise ValueError(f"{owner}: budget must be a RetryBudget, got {budget!r}")
        if not isinstance(wrap_budget_error, bool):
            raise ValueError(
                f"{owner}: wrap_budget_error must be a bool, got {wrap_budget_error!r}"
            )
        if wrap_budget_error and budget is None:
            raise ValueError(f"{owner}: wrap_budget_error=True needs a budget, got budget=None")

    def _update_fast_path(self) -> None:
        # A call needs work before its first attempt only to pay into a budget or to start
        # the clock for a deadline or for events; otherwise it goes straight to the call.
        self._timed = self.deadline is not None or bool(self._listeners)
        self._prepare = self._timed or self.budget is not None

    # ---- the pure parts -----------------------------------------------------------------

    def _jittered(self, retry: int, previous: float) -> float:
        """The delay before retry number ``retry`` (from 0), randomised by ``jitter``."""
        if self.jitter == "decorrelated":
            low = self.initial_delay
            return min(self.max_delay, low + self._random() * (previous * 3.0 - low))
        delay = self.delay(retry)
        if self.jitter == "full":
            return self._random() * delay
        return delay / 2.0 + self._random() * delay / 2.0

    def delay(self, retry: int) -> float:
        """The delay before retry number ``retry`` (from 0), before jitter."""
        if not self.initial_delay:
            return 0.0
        try:
            grown = self.initial_delay * self.backoff_multiplier**retry
        except OverflowError:
            return self.max_delay
        return min(self.max_delay, grown)

    def _begin(self) -> float | None:
        """Work before a call's first attempt; the start time if anything needs it."""
        if self.budget is not None:
            self.budget.deposit()
        return self._now() if self._timed else None

    def retries(self, error: Exception) -> bool:
        """Whether ``retry_on`` would retry ``error`` (ignoring attempts, budget, deadline)."""
        return self._retryable(error)

    # ---- drivers: plain calls and decorators --------------------------------------------
    # One loop each for sync and async, deciding through ``_Call`` like the attempt
    # iterators. Until an attempt fails there is no ``_Call``: when there is nothing to
    # decide (no ``retry_on_result``) a first-attempt success only bumps the counter that
    # ``_Call.succeeded`` would, and costs no allocation. The loop sleeps outside the
    # ``except`` block, so a later error is never chained to an earlier one ("during
    # handling of the above exception...").

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)``, retrying as configured."""
        result = self._run(fn, args, kwargs)
        if type(result) is CoroutineType:  # an async function given to call()
            # Checked here, not in the loop the decorators share: it would cost them 10 %
            # of a call. The "success" the loop counted was none.
            self._succeeded_first_try -= 1
            refuse_coroutine(repr(self), fn, result)
        return result

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)``, retrying as configured."""
        return await self._run_async(fn, args, kwargs)

    # Arguments travel as one tuple and one dict: unpacking and repacking them per layer
    # would cost more than everything else a success does.
    def _run(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        started = self._begin() if self._prepare else None
        call: _Call | None = None
        while True:
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                if call is None:
                    call = _Call(self, started)
                delay = call.failed(exc)
                if delay is None:
                    raise
            else:
                if call is None:
                    if self.retry_on_result is None:  # nothing to decide: see above
                        self._succeeded_first_try += 1
                        return result
                    call = _Call(self, started)
                delay = call.returned(result)
                if delay is None:
                    return result
            if delay > 0:
                self._sleep(call, delay)

    async def _run_async(  # noqa: C901 - one flat loop, as _run
        self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        started = self._begin() if self._prepare else None
        call: _Call | None = None
        while True:
            pending: object = NOT_CALLED
            try:
                pending = fn(*args, **kwargs)
                result = await pending
            except Exception as exc:
                # Only a TypeError can be that mistake; checking its type first keeps the
                # failure path (what a retry pays) as cheap as it was.
                if type(exc) is TypeError and awaited_a_non_awaitable(exc, pending):
                    raise not_awaitable(repr(self), fn, pending) from None
                if call is None:
                    call = _Call(self, started)
                delay = call.failed(exc)
                if delay is None:
                    raise
            else:
                if call is None:
                    if self.retry_on_result is None:  # nothing to decide: see above
                        self._succeeded_first_try += 1
                        return result
                    call = _Call(self, started)
                delay = call.returned(result)
                if delay is None:
                    return result
            if delay > 0:
                await self._sleep_async(call, delay)

    def _sleep(self, call: _Call, delay: float) -> None:
        self.clock.sleep(delay)
        # The error said when: never try a moment early, even if a sleep wakes up early
        # (asyncio may, by up to its clock resolution). Stop if the clock does not move.
        until, before = call.wait_until, -math.inf
        while until is not None and before < (now := self._now()) < until:
            before = now
            self.clock.sleep(until - now)

    async def _sleep_async(self, call: _Call, delay: float) -> None:
        await self.clock.sleep_async(delay)
        until, before = call.wait_until, -math.inf
        while until is not None and before < (now := self._now()) < until:
            before = now
            await self.clock.sleep_async(until - now)

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature is kept."""
        check_decoratable(
            f"RetryPolicy({self.name!r})", fn, inside="`for attempt in policy: with attempt:`"
        )
        if is_async_callable(fn):
            run_async = self._run_async
            afn = cast("Callable[..., Awaitable[Any]]", fn)

            @functools.wraps(fn)
            async def retrying_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                return await run_async(afn, args, kwargs)

            retrying_async.retry_policy = self  # type: ignore[attr-defined]
            return cast("Callable[P, T]", retrying_async)
        run = self._run

        @functools.wraps(fn)
        def retrying(*args: P.args, **kwargs: P.kwargs) -> Any:
            return run(fn, args, kwargs)

        retrying.retry_policy = self  # type: ignore[attr-defined]
        return retrying

    # ---- drivers: attempt iteration ---------------------------------------------------------

    def __iter__(self) -> Iterator[RetryAttempt]:
        """``for attempt in policy: with attempt: ...`` retries the block (sleeping)."""
        return _Attempts(self)

    def __aiter__(self) -> AsyncIterator[RetryAttempt]:
        """``async for attempt in policy: with attempt: ...`` retries the block (awaiting)."""
        return _Attempts(self)

    # ---- metrics and listeners -----------------------------------------------------------

    @property
    def metrics(self) -> RetryPolicyMetrics:
        """The counters, read one after another.

        Unlike the primitives with a lock, a policy counts without one (its success path
        would pay for it on every call): each counter is exact, but under concurrent
        calls two counters read here may be a call apart.
        """
        by_reason = dict(zip(_REASONS, self._gave_up, strict=True))
        after_retry = self._succeeded_after_retry
        return RetryPolicyMetrics(
            name=self.name,
            successful_calls=self._succeeded_first_try + after_retry,
            successful_calls_after_retry=after_retry,
            failed_calls=sum(by_reason.values()),
            failed_calls_by_reason=MappingProxyType(by_reason),
            retries=self._retries,
        )

    def add_listener(self, listener: Callable[[RetryEvent], object]) -> None:
        """Also tell ``listener`` about every retry event from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))
        self._update_fast_path()

    def remove_listener(self, listener: Callable[[RetryEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)
        self._update_fast_path()

    def __repr__(self) -> str:
        return (
            f"<RetryPolicy {self.name!r} max_retries={self.max_retries} "
            f"delay={self.initial_delay:g}..{self.max_delay:g}s x{self.backoff_multiplier:g}>"
        )


@overload
def retry(fn: Callable[P, T], /) -> Callable[P, T]: ...
@overload
def retry(
    *,
    name: str | None = None,
    max_retries: int = 3,
    initial_delay: Duration = 1.0,
    max_delay: Duration = 10.0,
    backoff_multiplier: float = 2.0,
    **options: Any,
) -> Callable[[Callable[P, T]], Callable[P, T]]: ...
def retry(
    fn: Callable[P, T] | None = None,
    /,
    *,
    name: str | None = None,
    max_retries: int = 3,
    initial_delay: Duration = 1.0,
    max_delay: Duration = 10.0,
    backoff_multiplier: float = 2.0,
    **options: Any,
) -> Callable[P, T] | Callable[[Callable[P, T]], Callable[P, T]]:
    """Give a function its own policy: ``@retry`` or ``@retry(max_retries=5, ...)``.

    The policy is named after the function unless ``name`` is given, and is reachable as
    the wrapper's ``retry_policy`` attribute. Options are those of ``RetryPolicy``.
    """

    def build(policy_name: str, register: bool) -> RetryPolicy:
        given = options if register else {k: v for k, v in options.items() if k != "registry"}
        return RetryPolicy(
            max_retries, initial_delay, max_delay, backoff_multiplier, name=policy_name, **given
        )

    return decorator_factory(fn, name, build)
