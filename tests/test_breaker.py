from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
from datetime import timedelta

import anyio
import pytest

import steinresil as sr
from steinresil.testing import FakeClock, set_state


class Boom(Exception):
    pass


def fail() -> None:
    raise Boom


def ok() -> str:
    return "ok"


def trip(cb: sr.CircuitBreaker, times: int | None = None) -> None:
    for _ in range(times if times is not None else cb.failure_threshold):
        with pytest.raises(Boom):
            cb.call(fail)


# ---- configuration ------------------------------------------------------------------


def test_seed_defaults_and_presets() -> None:
    cb = sr.CircuitBreaker("x")
    assert (cb.failure_threshold, cb.success_threshold, cb.reset_timeout) == (5, 2, 30.0)
    assert cb.half_open_max_calls == 1
    a = sr.CircuitBreaker.aggressive("a")
    assert (a.name, a.failure_threshold, a.success_threshold, a.reset_timeout) == ("a", 3, 2, 10.0)
    c = sr.CircuitBreaker.conservative("c", half_open_max_calls=3)
    assert (c.failure_threshold, c.success_threshold, c.reset_timeout) == (10, 5, 60.0)
    assert c.half_open_max_calls == 3


def test_timedelta_is_accepted() -> None:
    assert sr.CircuitBreaker("x", reset_timeout=timedelta(minutes=1)).reset_timeout == 60.0


@pytest.mark.parametrize(
    ("options", "field", "value"),
    [
        ({"failure_threshold": 0}, "failure_threshold", "0"),
        ({"failure_threshold": -1}, "failure_threshold", "-1"),
        ({"success_threshold": 0}, "success_threshold", "0"),
        ({"reset_timeout": 0}, "reset_timeout", "0"),
        ({"reset_timeout": -5.0}, "reset_timeout", "-5.0"),
        ({"reset_timeout": math.nan}, "reset_timeout", "nan"),
        ({"half_open_max_calls": 0}, "half_open_max_calls", "0"),
        ({"failure_rate_threshold": 0}, "failure_rate_threshold", "0"),
        ({"failure_rate_threshold": 1.5}, "failure_rate_threshold", "1.5"),
        (
            {"slow_call_rate_threshold": -0.1, "slow_call_duration": 1},
            "slow_call_rate_threshold",
            "-0.1",
        ),
        ({"slow_call_duration": 1.0}, "slow_call_rate_threshold", "None"),
        ({"slow_call_duration": 0, "slow_call_rate_threshold": 0.5}, "slow_call_duration", "0"),
        ({"record": 42}, "record", "42"),
        ({"ignore": (ValueError, 3)}, "ignore", "3"),
        ({"window": 100}, "window", "100"),
        ({"failure_threshold": True}, "failure_threshold", "True"),
    ],
)
def test_bad_configuration_names_field_and_value(
    options: dict[str, object], field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=field) as info:
        sr.CircuitBreaker("x", **options)  # type: ignore[arg-type]
    assert value in str(info.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: sr.CountWindow(0), "size"),
        (lambda: sr.CountWindow(5, minimum_calls=10), "minimum_calls"),
        (lambda: sr.TimeWindow(0), "seconds"),
        (lambda: sr.TimeWindow(10, minimum_calls=0), "minimum_calls"),
        (lambda: sr.TimeWindow(10, buckets=0), "buckets"),
    ],
)
def test_bad_windows(make: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()  # type: ignore[operator]


def test_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="name"):
        sr.CircuitBreaker("")


# ---- consecutive mode -------------------------------------------------------------------


def test_opens_on_threshold_and_tripping_call_raises_its_own_error(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=3, clock=clock)
    trip(cb, 2)
    assert cb.state is sr.CircuitState.CLOSED
    with pytest.raises(Boom):  # the third failure trips it, and raises Boom, not CircuitOpenError
        cb.call(fail)
    assert cb.state is sr.CircuitState.OPEN
    calls = []
    with pytest.raises(sr.CircuitOpenError) as info:
        cb.call(calls.append, 1)
    assert calls == []
    assert info.value.name == "x"
    assert info.value.retry_after == 30.0
    clock.advance(10)
    with pytest.raises(sr.CircuitOpenError) as info:
        cb.call(ok)
    assert info.value.retry_after == pytest.approx(20.0)
    assert "retry after 20.000 s" in str(info.value)


def test_success_resets_the_consecutive_count(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=3, clock=clock)
    for _ in range(5):
        trip(cb, 2)
        cb.call(ok)
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.failed_calls == 10


def test_half_open_recovery_and_relapse(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_threshold=2, success_threshold=2, reset_timeout=5, clock=clock
    )
    trip(cb)
    clock.advance(5)
    assert cb.state is sr.CircuitState.HALF_OPEN
    with pytest.raises(Boom):  # a failed trial reopens at once
        cb.call(fail)
    assert cb.state is sr.CircuitState.OPEN
    assert cb.metrics.retry_after == 5.0
    clock.advance(5)
    assert cb.call(ok) == "ok"
    assert cb.state is sr.CircuitState.HALF_OPEN
    assert cb.call(ok) == "ok"
    assert cb.state is sr.CircuitState.CLOSED
    trip(cb, 1)
    assert cb.state is sr.CircuitState.CLOSED  # the count started afresh


def test_half_open_admits_only_max_calls_at_once(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_threshold=1, half_open_max_calls=2, success_threshold=3, clock=clock
    )
    trip(cb)
    clock.advance(30)
    entered: list[int] = []

    def nested(depth: int) -> None:
        entered.append(depth)
        if depth < 3:
            cb.call(nested, depth + 1)

    with pytest.raises(sr.CircuitOpenError) as info:
        cb.call(nested, 1)
    assert entered == [1, 2]  # the third concurrent trial was refused
    assert info.value.retry_after == 0.3  # busy: 1 % of reset_timeout, not "now"
    # the refusal passed through both trials; a refusal is not the dependency failing,
    # so neither trial counted and both slots are free again
    assert cb.state is sr.CircuitState.HALF_OPEN
    assert cb.metrics.ignored_calls == 2


def test_inner_rejections_are_not_failures_unless_recorded(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)
    with pytest.raises(sr.BulkheadFullError):
        cb.call(lambda: (_ for _ in ()).throw(sr.BulkheadFullError("inner", 1)))
    assert cb.state is sr.CircuitState.CLOSED
    strict = sr.CircuitBreaker("y", failure_threshold=1, record=sr.ResilienceError, clock=clock)
    with pytest.raises(sr.BulkheadFullError):
        strict.call(lambda: (_ for _ in ()).throw(sr.BulkheadFullError("inner", 1)))
    assert strict.state is sr.CircuitState.OPEN


def test_late_trial_from_an_old_half_open_period_is_harmless(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, success_threshold=1, clock=clock)
    trip(cb)
    clock.advance(30)
    with cb:  # trial 1 of the first half-open period
        set_state(cb, sr.CircuitState.OPEN)
        clock.advance(30)
        assert cb.call(ok) == "ok"  # a fresh period's trial closes it
        assert cb.state is sr.CircuitState.CLOSED
    # trial 1 ends now; it must not disturb the closed circuit
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.successful_calls == 2


# ---- what counts --------------------------------------------------------------------


def test_ignored_exceptions_count_as_nothing(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, ignore=KeyError, clock=clock)
    for _ in range(3):
        with pytest.raises(KeyError):
            cb.call(lambda: {}["k"])
    assert cb.state is sr.CircuitState.CLOSED
    m = cb.metrics
    assert (m.ignored_calls, m.failed_calls, m.successful_calls) == (3, 0, 0)


def test_exceptions_outside_record_count_as_success(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_threshold=2, record=(ConnectionError, TimeoutError), clock=clock
    )
    trip_error = ConnectionError("down")
    with pytest.raises(ConnectionError):
        cb.call(lambda: (_ for _ in ()).throw(trip_error))
    with pytest.raises(ValueError):  # the caller's own mistake: the dependency answered
        cb.call(int, "x")
    with pytest.raises(ConnectionError):
        cb.call(lambda: (_ for _ in ()).throw(trip_error))
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.successful_calls == 1


def test_record_and_ignore_predicates(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x",
        failure_threshold=1,
        record=lambda e: "fatal" in str(e),
        ignore=lambda e: "skip" in str(e),
        clock=clock,
    )
    with pytest.raises(Boom):
        cb.call(lambda: (_ for _ in ()).throw(Boom("skip fatal")))
    with pytest.raises(Boom):
        cb.call(lambda: (_ for _ in ()).throw(Boom("mild")))
    assert cb.state is sr.CircuitState.CLOSED
    with pytest.raises(Boom):
        cb.call(lambda: (_ for _ in ()).throw(Boom("fatal")))
    assert cb.state is sr.CircuitState.OPEN


def test_record_result_counts_values_as_failures_but_returns_them(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=2, record_result=lambda r: r is None, clock=clock)
    assert cb.call(lambda: None) is None
    assert cb.call(lambda: None) is None  # the tripping call still returns its value
    assert cb.state is sr.CircuitState.OPEN
    assert cb.metrics.failed_calls == 2


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError]
)
def test_cancellation_is_never_counted(clock: FakeClock, error: type[BaseException]) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)

    def stop() -> None:
        raise error

    with pytest.raises(error):
        cb.call(stop)
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.failed_calls == 0


def test_cancelled_trial_frees_its_slot(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)
    trip(cb)
    clock.advance(30)

    def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        cb.call(cancelled)
    assert cb.state is sr.CircuitState.HALF_OPEN
    assert cb.call(ok) == "ok"  # the slot came back


# ---- failure-rate mode --------------------------------------------------------------------


def test_count_window_opens_on_rate_once_minimum_calls_seen(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_rate_threshold=0.5, window=sr.CountWindow(10, minimum_calls=4), clock=clock
    )
    trip(cb, 3)  # 3 of 3 failed, but fewer than minimum_calls
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.failure_rate == 1.0
    cb.call(ok)  # 3 of 4 failed: 75% >= 50%
    assert cb.state is sr.CircuitState.OPEN


def test_count_window_forgets_old_outcomes(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_rate_threshold=0.5, window=sr.CountWindow(4, minimum_calls=4), clock=clock
    )
    trip(cb, 1)
    for _ in range(3):
        cb.call(ok)  # 1 of 4
    for _ in range(4):
        cb.call(ok)  # the failure rolled out
    assert cb.metrics.failure_rate == 0.0
    assert cb.metrics.window_calls == 4
    trip(cb, 1)
    assert cb.state is sr.CircuitState.CLOSED  # 1 of 4 = 25%
    trip(cb, 1)
    assert cb.state is sr.CircuitState.OPEN  # 2 of 4 = 50%


def test_window_defaults() -> None:
    cb = sr.CircuitBreaker("x", failure_rate_threshold=0.25)
    assert cb.window == sr.CountWindow(100, minimum_calls=10)
    cb = sr.CircuitBreaker("x", window=sr.TimeWindow(60))
    assert cb.failure_rate_threshold == 0.5
    assert sr.CountWindow(4).minimum_calls == 4


def test_time_window_ages_out_by_bucket(clock: FakeClock) -> None:
    window = sr.TimeWindow(10, minimum_calls=3, buckets=10)
    cb = sr.CircuitBreaker("x", failure_rate_threshold=0.6, window=window, clock=clock)
    trip(cb, 2)
    clock.advance(9.5)
    cb.call(ok)  # 2 of 3 = 67% >= 60%: opens
    assert cb.state is sr.CircuitState.OPEN
    cb.reset()
    trip(cb, 2)
    clock.advance(10.5)  # the two failures are older than the window now
    cb.call(ok)
    cb.call(ok)
    trip(cb, 1)
    assert cb.state is sr.CircuitState.CLOSED  # 1 of 3
    assert cb.metrics.window_calls == 3
    clock.advance(1000)  # far past the whole window: everything gone, in one step
    assert cb.metrics.window_calls == 0


def test_time_window_memory_does_not_grow(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", window=sr.TimeWindow(60, buckets=6), clock=clock)
    tracker = cb._tracker
    for _ in range(10_000):
        cb.call(ok)
        clock.advance(0.01)
    assert len(tracker._calls) == 6  # type: ignore[union-attr]
    # the window spans 5 whole buckets plus the current, partly filled one
    window_calls = cb.metrics.window_calls
    assert window_calls is not None
    assert 5000 - 1 <= window_calls <= 6000


def test_slow_calls_open_the_circuit(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x",
        slow_call_duration=1.0,
        slow_call_rate_threshold=0.5,
        window=sr.CountWindow(4, minimum_calls=4),
        clock=clock,
    )
    assert cb.failure_rate_threshold is None

    def slow() -> str:
        clock.advance(2.0)
        return "late"

    cb.call(ok)
    cb.call(ok)
    cb.call(slow)
    assert cb.state is sr.CircuitState.CLOSED
    cb.call(slow)  # 2 of 4 slow
    assert cb.state is sr.CircuitState.OPEN
    m = cb.metrics
    assert (m.slow_calls, m.successful_calls) == (2, 4)
    clock.advance(30)
    cb.call(slow)  # a slow trial counts as a failed trial
    assert cb.state is sr.CircuitState.OPEN


def test_rate_mode_half_open_closes_after_success_threshold(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", success_threshold=1, window=sr.CountWindow(2), clock=clock)
    trip(cb, 2)
    assert cb.state is sr.CircuitState.OPEN
    clock.advance(30)
    cb.call(ok)
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.window_calls == 0  # a new closed period starts with an empty window


# ---- manual control, events, metrics --------------------------------------------------------


def test_forced_states(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)
    cb.force_open()
    with pytest.raises(sr.CircuitOpenError) as info:
        cb.call(ok)
    assert info.value.retry_after == math.inf
    clock.advance(10_000)
    assert cb.state is sr.CircuitState.FORCED_OPEN
    cb.force_closed()
    trip(cb, 3)
    assert cb.state is sr.CircuitState.FORCED_CLOSED
    assert cb.metrics.failed_calls == 3
    cb.reset()
    assert cb.state is sr.CircuitState.CLOSED
    trip(cb, 1)
    assert cb.state is sr.CircuitState.OPEN
    assert cb.metrics.rejected_calls == 1


def test_events_and_logs(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    events: list[sr.CircuitEvent] = []
    cb = sr.CircuitBreaker(
        "pay", failure_threshold=1, success_threshold=1, clock=clock, listeners=[events.append]
    )
    with caplog.at_level(logging.INFO, logger="steinresil"):
        trip(cb)
        with pytest.raises(sr.CircuitOpenError):
            cb.call(ok)
        clock.advance(30)
        cb.call(ok)
    assert events == [
        sr.CircuitStateChanged(
            "pay", sr.CircuitState.CLOSED, sr.CircuitState.OPEN, "1 consecutive failures", 0.0
        ),
        sr.CircuitRejected("pay", sr.CircuitState.OPEN, 30.0),
        sr.CircuitStateChanged(
            "pay", sr.CircuitState.OPEN, sr.CircuitState.HALF_OPEN, "reset timeout elapsed", 30.0
        ),
        sr.CircuitStateChanged(
            "pay",
            sr.CircuitState.HALF_OPEN,
            sr.CircuitState.CLOSED,
            "1 trial calls succeeded",
            30.0,
        ),
    ]
    assert "circuit 'pay' opened (1 consecutive failures)" in caplog.text
    with pytest.raises(AttributeError):
        events[0].name = "other"  # type: ignore[misc]


def test_a_raising_listener_is_logged_and_never_breaks_the_call(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def bad_listener(event: sr.CircuitEvent) -> None:
        raise RuntimeError("listener bug")

    seen: list[sr.CircuitEvent] = []
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock, listeners=[bad_listener])
    cb.add_listener(seen.append)
    trip(cb)  # raises Boom, not RuntimeError
    with pytest.raises(sr.CircuitOpenError):
        cb.call(ok)
    assert len(seen) == 2  # later listeners still ran
    assert "listener bug" in caplog.text


def test_listeners_must_be_callable() -> None:
    with pytest.raises(ValueError, match="listeners"):
        sr.CircuitBreaker("x", listeners=[42])  # type: ignore[list-item]


def test_metrics_snapshot(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("m", failure_threshold=2, clock=clock)
    cb.call(ok)
    trip(cb, 1)
    m = cb.metrics
    assert m.name == "m"
    assert m.state is sr.CircuitState.CLOSED
    assert (m.calls, m.successful_calls, m.failed_calls, m.consecutive_failures) == (2, 1, 1, 1)
    assert m.failure_rate is None
    assert m.opened_at is None
    trip(cb, 1)
    clock.advance(12)
    m = cb.metrics
    assert (m.opened_at, m.retry_after) == (0.0, 18.0)


def test_accepting_calls_takes_no_slot(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)
    assert cb.accepting_calls
    trip(cb)
    assert not cb.accepting_calls
    clock.advance(30)
    assert cb.accepting_calls
    assert cb.accepting_calls  # asking did not take the trial slot
    with cb:
        assert not cb.accepting_calls  # the one trial slot is busy now
    cb.force_open()
    assert not cb.accepting_calls
    cb.force_closed()
    assert cb.accepting_calls
    assert cb.metrics.rejected_calls == 0  # asking is never counted as a rejection


def test_set_state_from_testing(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", clock=clock)
    set_state(cb, sr.CircuitState.OPEN)
    with pytest.raises(sr.CircuitOpenError):
        cb.call(ok)
    set_state(cb, sr.CircuitState.HALF_OPEN)
    cb.call(ok)
    cb.call(ok)
    assert cb.state is sr.CircuitState.CLOSED
    with pytest.raises(ValueError, match="CircuitState"):
        set_state(cb, "open")  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(sr.CircuitBreaker("db")) == "<CircuitBreaker 'db' closed>"


# ---- call styles ---------------------------------------------------------------------------


def test_decorator_keeps_signature_and_metadata(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", clock=clock)

    @cb
    def add(a: int, b: int = 2, *, scale: int = 1) -> int:
        """Add things."""
        return (a + b) * scale

    assert add(1, scale=3) == 9
    assert add.__name__ == "add"
    assert add.__doc__ == "Add things."
    assert str(inspect.signature(add)) == "(a: 'int', b: 'int' = 2, *, scale: 'int' = 1) -> 'int'"
    assert add.circuit_breaker is cb  # type: ignore[attr-defined]


def test_decorator_refuses_non_callables() -> None:
    with pytest.raises(TypeError):
        sr.CircuitBreaker("x")(42)  # type: ignore[call-overload]


def test_context_manager(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=2, clock=clock)
    for _ in range(2):
        with pytest.raises(Boom), cb:
            raise Boom
    with pytest.raises(sr.CircuitOpenError), cb:
        pytest.fail("must not run")
    clock.advance(30)
    with cb:
        pass
    assert cb.state is sr.CircuitState.HALF_OPEN
    assert cb.metrics.successful_calls == 1


def test_nested_context_managers_keep_their_own_permits(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_threshold=1, success_threshold=1, half_open_max_calls=2, clock=clock
    )
    trip(cb)
    clock.advance(30)
    with cb:
        with pytest.raises(Boom), cb:
            raise Boom  # inner trial fails: reopens
        assert cb.state is sr.CircuitState.OPEN
    assert cb.state is sr.CircuitState.OPEN  # outer trial belonged to the old period


def test_circuit_breaker_factory(clock: FakeClock) -> None:
    @sr.circuit_breaker(failure_threshold=1, reset_timeout=10.0, clock=clock)
    def flaky() -> None:
        raise Boom

    breaker = flaky.circuit_breaker  # type: ignore[attr-defined]
    assert breaker.name.endswith("flaky")
    with pytest.raises(Boom):
        flaky()
    with pytest.raises(sr.CircuitOpenError):
        flaky()

    @sr.circuit_breaker
    def plain() -> int:
        return 1

    assert plain() == 1
    with pytest.raises(ValueError, match="failure_threshold"):
        sr.circuit_breaker(failure_threshold=0)


def test_factory_with_registry_registers_once() -> None:
    registry = sr.Registry()

    @sr.circuit_breaker(name="svc", registry=registry)
    def call() -> int:
        return 1

    assert call() == 1
    assert registry.circuit_breaker("svc") is call.circuit_breaker  # type: ignore[attr-defined]


def test_registry() -> None:
    registry = sr.Registry()
    cb = sr.CircuitBreaker("db", registry=registry)
    assert registry.circuit_breaker("db") is cb
    assert registry.circuit_breaker("cache", failure_threshold=2).failure_threshold == 2
    assert [b.name for b in registry.circuit_breakers()] == ["cache", "db"]
    with pytest.raises(ValueError, match="'db' is registered already"):
        sr.CircuitBreaker("db", registry=registry)
    registry.remove(cb)
    assert len(registry) == 1


# ---- async ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_styles(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=2, clock=clock)

    @cb
    async def afail(tag: str) -> None:
        raise Boom(tag)

    async def aok(value: int) -> int:
        return value

    assert inspect.iscoroutinefunction(afail)
    assert await cb.call_async(aok, 3) == 3
    with pytest.raises(Boom):
        await afail("a")
    with pytest.raises(Boom):
        async with cb:
            raise Boom
    assert cb.state is sr.CircuitState.OPEN
    with pytest.raises(sr.CircuitOpenError):
        await cb.call_async(aok, 1)
    clock.advance(30)
    async with cb:
        pass
    assert await cb.call_async(aok, 5) == 5
    assert cb.state is sr.CircuitState.CLOSED


@pytest.mark.anyio
async def test_async_cancellation_is_not_counted(clock: FakeClock, anyio_backend: str) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, clock=clock)

    async def forever() -> None:
        await anyio.sleep_forever()

    async with anyio.create_task_group() as tg:

        async def run() -> None:
            await cb.call_async(forever)

        tg.start_soon(run)
        await anyio.lowlevel.checkpoint()
        tg.cancel_scope.cancel()
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.ignored_calls == 1
    assert cb.metrics.failed_calls == 0


class AsyncCallable:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, fail: bool) -> str:
        self.calls += 1
        if fail:
            raise Boom
        return "ok"


@pytest.mark.anyio
async def test_objects_with_async_call_and_partials_are_guarded_as_async(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=2, clock=clock)
    guarded = cb(AsyncCallable())
    assert inspect.iscoroutinefunction(guarded)
    assert await guarded(fail=False) == "ok"
    with pytest.raises(Boom):
        await guarded(fail=True)  # the failure is seen when awaited, not when called
    partial = cb(functools.partial(AsyncCallable(), fail=True))
    with pytest.raises(Boom):
        await partial()
    assert cb.state is sr.CircuitState.OPEN
    for strategy in (sr.RetryPolicy(max_retries=0), sr.Bulkhead(1), sr.Pipeline()):
        assert inspect.iscoroutinefunction(strategy(AsyncCallable()))
