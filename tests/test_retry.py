from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil.testing import FakeClock, is_testing, set_testing


class Boom(Exception):
    pass


class Other(Exception):
    pass


class Flaky:
    """Fails ``failures`` times (with fresh ``Boom``s), then returns ``value``."""

    def __init__(
        self, failures: int, value: object = "ok", error: Callable[[int], Exception] = Boom
    ) -> None:
        self.failures = failures
        self.value = value
        self.error = error
        self.calls = 0
        self.raised: list[Exception] = []

    def __call__(self, *args: Any, **kwargs: Any) -> object:
        self.calls += 1
        if self.calls <= self.failures:
            exc = self.error(self.calls)
            self.raised.append(exc)
            raise exc
        return self.value

    async def run_async(self) -> object:
        await anyio.lowlevel.checkpoint()
        return self()


class NoSleepClock(FakeClock):
    """Fails the test if anything sleeps."""

    def sleep(self, seconds: float) -> None:
        pytest.fail(f"slept {seconds} s")

    async def sleep_async(self, seconds: float) -> None:
        pytest.fail(f"slept {seconds} s")


def sequence(*values: float) -> Callable[[], float]:
    """A deterministic random source that hands out ``values`` in order."""
    it: Iterator[float] = iter(values)
    return lambda: next(it)


@pytest.fixture(autouse=True)
def _no_test_mode() -> Iterator[None]:
    with set_testing(False):
        yield


# ---- configuration ------------------------------------------------------------------


def test_seed_defaults() -> None:
    policy = sr.RetryPolicy()
    assert (policy.max_retries, policy.initial_delay, policy.max_delay) == (3, 1.0, 10.0)
    assert policy.backoff_multiplier == 2.0
    assert policy.jitter is None
    assert policy.deadline is None
    assert policy.budget is None
    assert policy.name == "default"
    assert policy.wait_from is sr.retry_after_from


def test_timedelta_is_accepted() -> None:
    policy = sr.RetryPolicy(
        initial_delay=timedelta(milliseconds=500),
        max_delay=timedelta(seconds=3),
        deadline=timedelta(minutes=1),
    )
    assert (policy.initial_delay, policy.max_delay, policy.deadline) == (0.5, 3.0, 60.0)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"initial_delay": -1}, "initial_delay"),
        ({"initial_delay": math.inf}, "initial_delay"),
        ({"max_delay": math.nan}, "max_delay"),
        ({"initial_delay": 5, "max_delay": 2}, "max_delay"),
        ({"backoff_multiplier": 0.5}, "backoff_multiplier"),
        ({"backoff_multiplier": math.nan}, "backoff_multiplier"),
        ({"backoff_multiplier": "2"}, "backoff_multiplier"),
        ({"jitter": "ful"}, "jitter"),
        ({"jitter": True}, "jitter"),
        ({"retry_on": "ValueError"}, "retry_on"),
        ({"retry_on": (ValueError, 3)}, "retry_on"),
        ({"retry_on": [ValueError]}, "retry_on"),
        ({"retry_on": KeyboardInterrupt}, "retry_on"),
        ({"retry_on": (ValueError, asyncio.CancelledError)}, "retry_on"),
        ({"retry_on_result": 3}, "retry_on_result"),
        ({"deadline": 0}, "deadline"),
        ({"deadline": -1.0}, "deadline"),
        ({"budget": 0.2}, "budget"),
        ({"wrap_budget_error": True}, "wrap_budget_error"),
        ({"budget": sr.RetryBudget(), "wrap_budget_error": 1}, "wrap_budget_error"),
        ({"wait_from": 3}, "wait_from"),
        ({"random": 0.5}, "random"),
        ({"name": ""}, "name"),
        ({"listeners": [3]}, "listeners"),
    ],
)
def test_bad_configuration_names_the_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        sr.RetryPolicy(**options)


def test_bad_value_is_shown_in_the_message() -> None:
    with pytest.raises(ValueError, match=r"max_retries must be >= 0, got -2"):
        sr.RetryPolicy(max_retries=-2)


def test_repr_names_the_policy() -> None:
    assert "payments" in repr(sr.RetryPolicy(name="payments"))


def test_registry() -> None:
    registry = sr.Registry()
    policy = sr.RetryPolicy(name="db", registry=registry)
    assert list(registry) == [policy]
    with pytest.raises(ValueError, match="db"):
        sr.RetryPolicy(name="db", registry=registry)


# ---- delays -------------------------------------------------------------------------


def test_default_delays_and_the_last_error_propagates(clock: FakeClock) -> None:
    flaky = Flaky(10)
    policy = sr.RetryPolicy(clock=clock)
    with pytest.raises(Boom) as info:
        policy.call(flaky)
    assert flaky.calls == 4  # 1 + max_retries
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert info.value is flaky.raised[-1]


def test_delays_are_capped_by_max_delay(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(6, initial_delay=1, max_delay=5, clock=clock)
    with pytest.raises(Boom):
        policy.call(Flaky(10))
    assert clock.sleeps == [1, 2, 4, 5, 5, 5]


def test_multiplier_and_formula() -> None:
    policy = sr.RetryPolicy(initial_delay=0.5, max_delay=100, backoff_multiplier=3)
    assert [policy.delay(n) for n in range(5)] == [min(100, 0.5 * 3**n) for n in range(5)]


def test_huge_retry_numbers_do_not_overflow() -> None:
    policy = sr.RetryPolicy(initial_delay=1, max_delay=7)
    assert policy.delay(10_000) == 7.0
    assert sr.RetryPolicy(initial_delay=0, max_delay=0).delay(10_000) == 0.0


def test_success_after_retries_returns_the_value(clock: FakeClock) -> None:
    flaky = Flaky(2, value=42)
    assert sr.RetryPolicy(clock=clock).call(flaky) == 42
    assert clock.sleeps == [1.0, 2.0]


def test_arguments_are_passed_on_every_attempt(clock: FakeClock) -> None:
    seen: list[tuple[Any, ...]] = []

    def fn(a: int, *, b: int) -> int:
        seen.append((a, b))
        if len(seen) < 2:
            raise Boom
        return a + b

    assert sr.RetryPolicy(clock=clock).call(fn, 1, b=2) == 3
    assert seen == [(1, 2), (1, 2)]


def test_zero_delay_never_sleeps() -> None:
    policy = sr.RetryPolicy(5, initial_delay=0, max_delay=0, clock=NoSleepClock())
    flaky = Flaky(5)
    assert policy.call(flaky) == "ok"
    assert flaky.calls == 6


@pytest.mark.anyio
async def test_zero_delay_never_sleeps_async() -> None:
    policy = sr.RetryPolicy(2, initial_delay=0, max_delay=0, clock=NoSleepClock())
    flaky = Flaky(2)
    assert await policy.call_async(flaky.run_async) == "ok"


def test_max_retries_zero_means_one_attempt(clock: FakeClock) -> None:
    flaky = Flaky(1)
    with pytest.raises(Boom):
        sr.RetryPolicy(0, clock=clock).call(flaky)
    assert flaky.calls == 1
    assert clock.sleeps == []


# ---- jitter -------------------------------------------------------------------------


def test_full_jitter(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(jitter="full", clock=clock, random=sequence(0.5, 0.25, 0.0))
    with pytest.raises(Boom):
        policy.call(Flaky(10))
    assert clock.sleeps == [0.5 * 1, 0.25 * 2]  # the 0.0 draw is a zero delay: no sleep


def test_equal_jitter(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(jitter="equal", clock=clock, random=sequence(0.5, 0.0, 0.99))
    with pytest.raises(Boom):
        policy.call(Flaky(10))
    assert clock.sleeps == pytest.approx([0.5 + 0.25, 1.0, 2.0 + 0.99 * 2.0])


def test_decorrelated_jitter(clock: FakeClock) -> None:
    # sleep = min(cap, uniform(base, previous * 3)), previous starting at base.
    policy = sr.RetryPolicy(
        4, initial_delay=1, max_delay=6, jitter="decorrelated", clock=clock,
        random=sequence(0.5, 1.0, 0.0, 0.9),
    )  # fmt: skip
    with pytest.raises(Boom):
        policy.call(Flaky(10))
    first = 1 + 0.5 * (3 - 1)  # 2.0
    second = min(6, 1 + 1.0 * (first * 3 - 1))  # capped: 6
    third = 1 + 0.0 * (second * 3 - 1)  # 1.0
    fourth = min(6, 1 + 0.9 * (third * 3 - 1))  # 2.8
    assert clock.sleeps == pytest.approx([first, second, third, fourth])


@pytest.mark.parametrize("jitter", ["full", "equal", "decorrelated"])
def test_seeded_jitter_is_repeatable_and_bounded(jitter: sr.Jitter) -> None:
    def sleeps(seed: int) -> list[float]:
        clock = FakeClock()
        policy = sr.RetryPolicy(
            8, initial_delay=0.1, max_delay=2.0, jitter=jitter, clock=clock,
            random=random.Random(seed).random,
        )  # fmt: skip
        with pytest.raises(Boom):
            policy.call(Flaky(100))
        return clock.sleeps

    assert sleeps(7) == sleeps(7)
    assert sleeps(7) != sleeps(8)
    assert all(0 <= s <= 2.0 for s in sleeps(7))
    if jitter == "equal":
        assert all(s >= min(2.0, 0.1 * 2**n) / 2 for n, s in enumerate(sleeps(3)))
    if jitter == "decorrelated":
        assert all(s >= 0.1 for s in sleeps(3))


# ---- what is retried ----------------------------------------------------------------


def test_retry_on_types(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(retry_on=(Boom, KeyError), clock=clock)
    assert policy.call(Flaky(1, error=KeyError)) == "ok"
    other = Flaky(1, error=Other)
    with pytest.raises(Other):
        policy.call(other)
    assert other.calls == 1
    assert clock.sleeps == [1.0]


def test_retry_on_predicate(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(retry_on=lambda exc: exc.args == (1,), clock=clock)
    flaky = Flaky(5)
    with pytest.raises(Boom) as info:
        policy.call(flaky)
    assert flaky.calls == 2  # Boom(1) was retried, Boom(2) was not
    assert info.value.args == (2,)


def test_non_retryable_error_keeps_its_traceback(clock: FakeClock) -> None:
    def broken() -> None:
        raise Other

    with pytest.raises(Other) as info:
        sr.RetryPolicy(retry_on=Boom, clock=clock).call(broken)
    assert info.traceback[-1].name == "broken"
    assert info.value.__context__ is None


def test_the_last_error_is_not_chained_to_earlier_attempts(clock: FakeClock) -> None:
    with pytest.raises(Boom) as info:
        sr.RetryPolicy(clock=clock).call(Flaky(10))
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


@pytest.mark.parametrize(
    "rejection",
    [
        sr.CircuitOpenError("db", 0.0),
        sr.BulkheadFullError("pool", 4),
        sr.RateLimitExceededError("api", 0.0),
    ],
)
def test_library_rejections_are_not_retried_by_default(
    clock: FakeClock, rejection: sr.CallRejectedError
) -> None:
    calls = 0

    def rejected() -> None:
        nonlocal calls
        calls += 1
        raise rejection

    for policy in (sr.RetryPolicy(clock=clock), sr.RetryPolicy(retry_on=Exception, clock=clock)):
        with pytest.raises(type(rejection)):
            policy.call(rejected)
    assert calls == 2
    gave_up = sr.RetryPolicy(clock=clock)
    with pytest.raises(type(rejection)):
        gave_up.call(rejected)
    assert gave_up.metrics.failed_calls_by_reason[sr.GiveUpReason.NOT_RETRYABLE] == 1


def test_rejections_are_retried_when_retry_on_names_them(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(retry_on=(ConnectionError, sr.CircuitOpenError), clock=clock)
    assert policy.call(Flaky(2, error=lambda n: sr.CircuitOpenError("db", 0.5 * n))) == "ok"
    assert clock.sleeps == [0.5, 1.0]  # each waited exactly its retry_after
    everything = sr.RetryPolicy(retry_on=sr.CallRejectedError, clock=clock)
    assert everything.call(Flaky(1, error=lambda n: sr.BulkheadFullError("p", 1))) == "ok"
    by_predicate = sr.RetryPolicy(retry_on=lambda exc: True, clock=clock)
    assert by_predicate.call(Flaky(1, error=lambda n: sr.BulkheadFullError("p", 1))) == "ok"
    other_rejections = sr.RetryPolicy(retry_on=sr.CircuitOpenError, clock=clock)
    with pytest.raises(sr.BulkheadFullError):
        other_rejections.call(Flaky(1, error=lambda n: sr.BulkheadFullError("p", 1)))


@pytest.mark.parametrize("cancel", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_cancellation_is_never_retried_or_counted(
    clock: FakeClock, cancel: type[BaseException]
) -> None:
    calls = 0

    def interrupted() -> None:
        nonlocal calls
        calls += 1
        raise cancel

    policy = sr.RetryPolicy(clock=clock, retry_on=lambda exc: True)
    with pytest.raises(cancel):
        policy.call(interrupted)
    with pytest.raises(cancel):
        policy(interrupted)()
    assert calls == 2
    assert clock.sleeps == []
    assert policy.metrics.calls == 0


@pytest.mark.anyio
async def test_async_cancellation_is_never_retried(clock: FakeClock) -> None:
    calls = 0
    policy = sr.RetryPolicy(clock=clock, retry_on=lambda exc: True)

    @policy
    async def hangs() -> None:
        nonlocal calls
        calls += 1
        await anyio.sleep_forever()

    async with anyio.create_task_group() as tg:
        tg.start_soon(hangs)
        while calls == 0:
            await anyio.lowlevel.checkpoint()
        tg.cancel_scope.cancel()
    assert calls == 1
    assert clock.sleeps == []
    assert policy.metrics.calls == 0


def test_asyncio_cancelled_error_is_never_retried(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)
    calls = 0

    async def cancelled() -> None:
        nonlocal calls
        calls += 1
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(policy.call_async(cancelled))
    assert calls == 1


# ---- results ------------------------------------------------------------------------


def test_retry_on_result(clock: FakeClock) -> None:
    answers = iter([None, None, "ready"])
    policy = sr.RetryPolicy(retry_on_result=lambda r: r is None, clock=clock)
    assert policy.call(lambda: next(answers)) == "ready"
    assert clock.sleeps == [1.0, 2.0]
    assert policy.metrics.successful_calls_after_retry == 1


def test_retry_on_result_returns_the_last_result_when_exhausted(clock: FakeClock) -> None:
    answers = iter(range(10))
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(
        2, retry_on_result=lambda r: r < 100, clock=clock, listeners=[events.append]
    )
    assert policy.call(lambda: next(answers)) == 2
    gave_up = events[-1]
    assert isinstance(gave_up, sr.RetryGaveUp)
    assert (gave_up.reason, gave_up.error, gave_up.result) == (sr.GiveUpReason.EXHAUSTED, None, 2)
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.EXHAUSTED] == 1


def test_accepted_result_on_first_try_counts_once(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(retry_on_result=lambda r: r is None, clock=clock)
    assert policy.call(lambda: 1) == 1
    assert (policy.metrics.successful_calls, policy.metrics.successful_calls_after_retry) == (1, 0)
    assert clock.sleeps == []


def test_mixed_errors_and_results(clock: FakeClock) -> None:
    outcomes: list[object] = [Boom(), None, Boom(), "done"]

    def fn() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = sr.RetryPolicy(retry_on_result=lambda r: r is None, clock=clock)
    assert policy.call(fn) == "done"
    assert clock.sleeps == [1.0, 2.0, 4.0]


# ---- deadline -----------------------------------------------------------------------


def test_deadline_no_sleep_ends_past_it(clock: FakeClock) -> None:
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(10, deadline=6.5, clock=clock, listeners=[events.append])
    flaky = Flaky(100)
    with pytest.raises(Boom) as info:
        policy.call(flaky)
    assert clock.sleeps == [1.0, 2.0]  # the next sleep (4 s) would end at 7 > 6.5
    assert info.value is flaky.raised[-1]
    assert isinstance(events[-1], sr.RetryGaveUp)
    assert events[-1].reason is sr.GiveUpReason.DEADLINE
    assert events[-1].elapsed == 3.0


def test_deadline_counts_the_time_attempts_take(clock: FakeClock) -> None:
    def slow() -> None:
        clock.advance(2.0)
        raise Boom

    policy = sr.RetryPolicy(10, initial_delay=0.5, max_delay=0.5, deadline=5.0, clock=clock)
    with pytest.raises(Boom):
        policy.call(slow)
    # t=2 fail, sleep to 2.5; t=4.5 fail, sleeping to 5.0 ends at the deadline: allowed;
    # t=7 fail: past the deadline.
    assert clock.sleeps == [0.5, 0.5]
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.DEADLINE] == 1


def test_deadline_sleep_ending_exactly_at_it_is_allowed(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(10, deadline=3.0, clock=clock)
    with pytest.raises(Boom):
        policy.call(Flaky(100))
    assert clock.sleeps == [1.0, 2.0]


# ---- waits the error asks for -------------------------------------------------------


class Throttled(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


class HTTPError(Exception):
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(status_code)
        self.response = Response(status_code, headers)


def failing_with(*errors: Exception) -> Callable[[], str]:
    pending = list(errors)

    def fn() -> str:
        if pending:
            raise pending.pop(0)
        return "ok"

    return fn


def test_retry_after_is_waited_exactly_instead_of_the_backoff(clock: FakeClock) -> None:
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(jitter="full", clock=clock, listeners=[events.append])
    assert policy.call(failing_with(Throttled(3.25), Throttled(timedelta(seconds=0.5)))) == "ok"
    assert clock.sleeps == [3.25, 0.5]
    scheduled = [e for e in events if isinstance(e, sr.RetryScheduled)]
    assert [e.from_retry_after for e in scheduled] == [True, True]


def test_retry_after_longer_than_max_delay_gives_up_at_once(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(max_delay=5, clock=clock)
    with pytest.raises(Throttled):
        policy.call(failing_with(Throttled(60)))
    assert clock.sleeps == []
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.RETRY_AFTER_TOO_LONG] == 1
    forced_open = sr.RetryPolicy(retry_on=sr.CircuitOpenError, clock=clock)
    with pytest.raises(sr.CircuitOpenError):
        forced_open.call(failing_with(sr.CircuitOpenError("db", math.inf)))
    assert clock.sleeps == []


def test_retry_after_past_the_deadline_gives_up(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(deadline=4, clock=clock)
    with pytest.raises(Throttled):
        policy.call(failing_with(Throttled(4.5)))
    assert clock.sleeps == []
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.DEADLINE] == 1


def test_http_429_and_503_retry_after(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)
    fn = failing_with(
        HTTPError(429, {"Retry-After": "2"}),
        HTTPError(503, {"retry-after": "7"}),
        HTTPError(500, {"Retry-After": "9"}),  # not a status that asks to wait: backoff
    )
    assert policy.call(fn) == "ok"
    assert clock.sleeps == [2.0, 7.0, 4.0]


def test_custom_wait_from_and_none(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock, wait_from=lambda exc: 0.25 if exc.args[0] == 1 else None)
    assert policy.call(Flaky(2)) == "ok"
    assert clock.sleeps == [0.25, 2.0]
    ignoring = sr.RetryPolicy(clock=clock, wait_from=None)
    assert ignoring.call(failing_with(Throttled(9))) == "ok"
    assert clock.sleeps[-1] == 1.0
    as_timedelta = sr.RetryPolicy(clock=clock, wait_from=lambda exc: timedelta(seconds=3))
    assert as_timedelta.call(Flaky(1)) == "ok"
    assert clock.sleeps[-1] == 3.0


class EarlyClock(FakeClock):
    """Wakes up early, as asyncio may by up to its clock resolution."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds * 0.9 if seconds > 0.1 else seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)
        await anyio.lowlevel.checkpoint()


class FrozenClock(FakeClock):
    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_retry_after_top_up_stops_when_the_clock_does_not_move() -> None:
    clock = FrozenClock()
    assert sr.RetryPolicy(clock=clock).call(failing_with(Throttled(2))) == "ok"
    assert clock.sleeps == [2.0, 2.0]


def test_retry_after_never_retries_early() -> None:
    clock = EarlyClock()
    seen: list[float] = []

    def fn() -> str:
        seen.append(clock.monotonic())
        if len(seen) == 1:
            raise Throttled(10)
        return "ok"

    assert sr.RetryPolicy(clock=clock).call(fn) == "ok"
    assert seen[1] >= 10.0
    assert clock.sleeps == pytest.approx([9.0, 0.9, 0.1])


@pytest.mark.anyio
async def test_retry_after_never_retries_early_async() -> None:
    clock = EarlyClock()
    attempts_at: list[float] = []

    async def fn() -> str:
        attempts_at.append(clock.monotonic())
        if len(attempts_at) == 1:
            raise Throttled(10)
        return "ok"

    assert await sr.RetryPolicy(clock=clock).call_async(fn) == "ok"
    assert attempts_at[1] >= 10.0


# ---- budget -------------------------------------------------------------------------


def test_empty_budget_raises_the_original_error_at_once(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.1, min_per_second=0, burst=1, clock=clock)
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(budget=budget, clock=clock, listeners=[events.append])
    flaky = Flaky(100)
    with pytest.raises(Boom) as info:
        policy.call(flaky)
    # One token from the full bucket (+0.1 deposited): one retry, then refused.
    assert flaky.calls == 2
    assert clock.sleeps == [1.0]
    assert info.value is flaky.raised[-1]
    gave_up = events[-1]
    assert isinstance(gave_up, sr.RetryGaveUp)
    assert gave_up.reason is sr.GiveUpReason.BUDGET
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.BUDGET] == 1
    assert budget.metrics.refused_retries == 1


def test_wrap_budget_error_opts_into_the_library_error(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.1, min_per_second=0, burst=1, name="payments", clock=clock)
    budget.try_withdraw()
    policy = sr.RetryPolicy(budget=budget, wrap_budget_error=True, clock=clock)
    flaky = Flaky(100)
    with pytest.raises(sr.RetryBudgetExhaustedError, match="payments") as info:
        policy.call(flaky)
    assert info.value.__cause__ is flaky.raised[0]
    answers = iter([None, None])
    results = sr.RetryPolicy(
        budget=budget, wrap_budget_error=True, retry_on_result=lambda r: r is None, clock=clock
    )
    with pytest.raises(sr.RetryBudgetExhaustedError):
        results.call(lambda: next(answers))


def test_budget_is_shared_between_policies(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.5, min_per_second=0, burst=2, clock=clock)
    first = sr.RetryPolicy(initial_delay=0, max_delay=0, budget=budget, clock=clock)
    second = sr.RetryPolicy(initial_delay=0, max_delay=0, budget=budget, clock=clock)
    for _ in range(4):
        assert first.call(lambda: "ok") == "ok"  # successes deposit too
    with pytest.raises(Boom):
        second.call(Flaky(100))
    assert budget.metrics.deposits == 5
    assert budget.metrics.granted_retries == 2  # 2 tokens (burst), deposits beyond it are lost
    assert budget.balance == pytest.approx(0.0)


# ---- events, logs and metrics --------------------------------------------------------


def test_events_tell_the_story(clock: FakeClock) -> None:
    events: list[sr.RetryEvent] = []
    flaky = Flaky(2)
    policy = sr.RetryPolicy(name="inventory", clock=clock, listeners=[events.append])
    assert policy.call(flaky) == "ok"
    assert events == [
        sr.RetryAttemptFailed("inventory", 1, flaky.raised[0]),
        sr.RetryScheduled("inventory", 2, 1.0, from_retry_after=False, error=flaky.raised[0]),
        sr.RetryAttemptFailed("inventory", 2, flaky.raised[1]),
        sr.RetryScheduled("inventory", 3, 2.0, from_retry_after=False, error=flaky.raised[1]),
        sr.RetrySucceeded("inventory", 3, 3.0),
    ]


def test_gave_up_events_carry_the_reason(clock: FakeClock) -> None:
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(1, clock=clock, retry_on=Boom, listeners=[events.append])
    with pytest.raises(Other):
        policy.call(Flaky(1, error=Other))
    with pytest.raises(Boom):
        policy.call(Flaky(5))
    reasons = [e.reason for e in events if isinstance(e, sr.RetryGaveUp)]
    assert reasons == [sr.GiveUpReason.NOT_RETRYABLE, sr.GiveUpReason.EXHAUSTED]
    assert [e.attempts for e in events if isinstance(e, sr.RetryGaveUp)] == [1, 2]


def test_first_try_success_sends_no_event(clock: FakeClock) -> None:
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(clock=clock, listeners=[events.append])
    assert policy.call(lambda: 1) == 1
    assert events == []


def test_a_failing_listener_is_logged_and_never_breaks_the_call(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_listener(event: sr.RetryEvent) -> None:
        raise RuntimeError("listener bug")

    policy = sr.RetryPolicy(clock=clock, listeners=[broken_listener])
    with caplog.at_level(logging.ERROR, logger="steinresil"):
        assert policy.call(Flaky(1)) == "ok"
    assert "listener" in caplog.text


def test_add_listener(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)
    events: list[sr.RetryEvent] = []
    policy.add_listener(events.append)
    assert policy.call(Flaky(1)) == "ok"
    assert isinstance(events[-1], sr.RetrySucceeded)
    with pytest.raises(ValueError, match="listeners"):
        policy.add_listener(3)


def test_logs(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    policy = sr.RetryPolicy(1, name="search", clock=clock)
    with caplog.at_level(logging.DEBUG, logger="steinresil"), pytest.raises(Boom):
        policy.call(Flaky(5))
    with caplog.at_level(logging.DEBUG, logger="steinresil"), pytest.raises(Other):
        sr.RetryPolicy(retry_on=Boom).call(Flaky(1, error=Other))  # not retryable: no log
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["retry policy 'search' gave up after 2 attempts (exhausted): Boom(2)"]
    assert caplog.records[0].levelno == logging.INFO


def test_metrics(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(2, name="m", retry_on=Boom, clock=clock)
    policy.call(lambda: 1)
    policy.call(lambda: 1)
    policy.call(Flaky(1))
    with pytest.raises(Boom):
        policy.call(Flaky(10))
    with pytest.raises(Other):
        policy.call(Flaky(1, error=Other))
    m = policy.metrics
    assert (m.name, m.successful_calls, m.successful_calls_after_retry, m.retries) == ("m", 3, 1, 3)
    assert m.failed_calls_by_reason[sr.GiveUpReason.EXHAUSTED] == 1
    assert m.failed_calls_by_reason[sr.GiveUpReason.NOT_RETRYABLE] == 1
    assert set(m.failed_calls_by_reason) == set(sr.GiveUpReason)
    assert (m.successful_calls, m.failed_calls, m.calls) == (3, 2, 5)
    with pytest.raises(TypeError):
        m.failed_calls_by_reason[sr.GiveUpReason.BUDGET] = 5  # type: ignore[index]


# ---- decorators -----------------------------------------------------------------------


def test_decorator_keeps_the_signature(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)

    def fetch(order_id: str, *, timeout: float = 1.0) -> str:
        """Fetch an order."""
        return order_id

    wrapped = policy(fetch)
    assert inspect.signature(wrapped) == inspect.signature(fetch)
    assert (wrapped.__name__, wrapped.__doc__) == ("fetch", "Fetch an order.")
    assert wrapped.__wrapped__ is fetch  # type: ignore[attr-defined]
    assert wrapped.retry_policy is policy  # type: ignore[attr-defined]
    assert wrapped("a", timeout=2) == "a"


@pytest.mark.anyio
async def test_async_decorator(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)
    flaky = Flaky(2)

    @policy
    async def fetch(x: int) -> object:
        await anyio.lowlevel.checkpoint()
        return (x, flaky())

    assert inspect.iscoroutinefunction(fetch)
    assert await fetch(1) == (1, "ok")
    assert clock.sleeps == [1.0, 2.0]
    assert policy.metrics.successful_calls_after_retry == 1


@pytest.mark.anyio
async def test_call_async(clock: FakeClock) -> None:
    flaky = Flaky(3)
    policy = sr.RetryPolicy(clock=clock)
    assert await policy.call_async(flaky.run_async) == "ok"
    assert clock.sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(Boom):
        await policy.call_async(Flaky(10).run_async)


@pytest.mark.anyio
async def test_async_results_deadline_and_budget(clock: FakeClock) -> None:
    answers = iter([None, None, 3])

    async def poll() -> int | None:
        return next(answers)

    budget = sr.RetryBudget(clock=clock)
    policy = sr.RetryPolicy(
        retry_on_result=lambda r: r is None, deadline=60, budget=budget, clock=clock
    )
    assert await policy.call_async(poll) == 3
    assert budget.metrics.granted_retries == 2
    wrapped = policy(poll)
    answers = iter([None] * 10)
    assert await wrapped() is None
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.EXHAUSTED] == 1


def test_decorating_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        sr.RetryPolicy()(3)  # type: ignore[call-overload]


def test_retry_factory(clock: FakeClock) -> None:
    flaky = Flaky(2)

    @sr.retry(max_retries=5, initial_delay=0.1, clock=clock)
    def fetch() -> object:
        return flaky()

    assert fetch() == "ok"
    assert clock.sleeps == pytest.approx([0.1, 0.2])
    policy = fetch.retry_policy  # type: ignore[attr-defined]
    assert policy.max_retries == 5
    assert policy.name.endswith("test_retry_factory.<locals>.fetch")


def test_bare_retry_decorator() -> None:
    @sr.retry
    def fetch(x: int) -> int:
        return x

    assert fetch(3) == 3
    assert fetch.retry_policy.max_retries == 3  # type: ignore[attr-defined]


def test_retry_factory_validates_where_it_is_written() -> None:
    with pytest.raises(ValueError, match="jitter"):
        sr.retry(jitter="partial")  # type: ignore[call-overload]


def test_retry_factory_with_registry_registers_only_the_real_policy() -> None:
    registry = sr.Registry()

    @sr.retry(name="db", registry=registry)
    def fetch() -> int:
        return 1

    assert [p.name for p in registry] == ["db"]


# ---- attempt iteration --------------------------------------------------------------


def run_block(policy: sr.RetryPolicy, body: Callable[[], object]) -> None:
    for attempt in policy:
        with attempt:
            body()


async def run_block_async(policy: sr.RetryPolicy, body: Callable[[], Awaitable[object]]) -> None:
    async for attempt in policy:
        with attempt:
            await body()


def test_for_attempt_in_policy(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock)
    flaky = Flaky(2)
    numbers = []
    for attempt in policy:
        with attempt:
            numbers.append(attempt.number)
            result = flaky()
    assert result == "ok"
    assert numbers == [1, 2, 3]
    assert clock.sleeps == [1.0, 2.0]
    assert policy.metrics.successful_calls_after_retry == 1
    assert "Attempt 3" in repr(attempt)


def test_for_attempt_gives_up_with_the_original_error(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(2, clock=clock)
    flaky = Flaky(10)
    with pytest.raises(Boom) as info:
        run_block(policy, flaky)
    assert flaky.calls == 3
    assert info.value is flaky.raised[-1]
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.EXHAUSTED] == 1


def test_for_attempt_success_first_time_and_non_retryable(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(retry_on=Boom, clock=clock)
    runs = 0
    for attempt in policy:
        with attempt:
            runs += 1
    assert runs == 1
    assert (policy.metrics.successful_calls, policy.metrics.successful_calls_after_retry) == (1, 0)
    with pytest.raises(Other):
        run_block(policy, Flaky(1, error=Other))

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_block(policy, interrupted)
    assert clock.sleeps == []
    assert policy.metrics.calls == 2


def test_an_attempt_used_without_with_ends_the_loop(clock: FakeClock) -> None:
    assert len(list(sr.RetryPolicy(clock=clock))) == 1


def test_each_loop_is_independent(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(1, clock=clock)
    for _ in range(3):
        flaky = Flaky(1)
        for attempt in policy:
            with attempt:
                flaky()
    assert clock.sleeps == [1.0, 1.0, 1.0]


@pytest.mark.anyio
async def test_async_for_attempt(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(clock=clock, deadline=100)
    flaky = Flaky(3)
    async for attempt in policy:
        with attempt:
            result = await flaky.run_async()
    assert result == "ok"
    assert attempt.number == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(Boom):
        await run_block_async(policy, Flaky(10).run_async)


# ---- test mode ----------------------------------------------------------------------


def test_test_mode_removes_every_wait() -> None:
    policy = sr.RetryPolicy(clock=NoSleepClock())
    flaky = Flaky(3)
    with set_testing(True):
        assert is_testing()
        assert policy.call(flaky) == "ok"
        assert policy.call(failing_with(Throttled(5))) == "ok"
    assert not is_testing()
    assert flaky.calls == 4


def test_test_mode_attempts(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(5, clock=clock)
    with set_testing(True, attempts=1):
        flaky = Flaky(1)
        with pytest.raises(Boom):
            policy.call(flaky)
        assert flaky.calls == 1
    with set_testing(True, attempts=10):
        flaky = Flaky(100)
        with pytest.raises(Boom):
            policy.call(flaky)
        assert flaky.calls == 10
    with set_testing(True, attempts=10, cap=True):
        flaky = Flaky(100)
        with pytest.raises(Boom):
            policy.call(flaky)
        assert flaky.calls == 6  # capped by the policy's own 1 + 5
    assert clock.sleeps == []


def test_set_testing_plain_call_and_nesting() -> None:
    set_testing(True, attempts=2)
    try:
        with set_testing(False):
            assert not is_testing()
        assert is_testing()
    finally:
        set_testing(False)
    assert not is_testing()


@pytest.mark.parametrize(
    ("options", "field"), [({"attempts": 0}, "attempts"), ({"cap": True}, "cap")]
)
def test_set_testing_validates(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        set_testing(True, **options)
    assert not is_testing()


@pytest.mark.anyio
async def test_test_mode_async() -> None:
    policy = sr.RetryPolicy(clock=NoSleepClock())
    with set_testing(True):
        assert await policy.call_async(Flaky(3).run_async) == "ok"
        async for attempt in policy:
            with attempt:
                Flaky(0)()
