from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import math
import threading
import time
from datetime import timedelta

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil import _timeout

# Real timers are unavoidable here: only the loop (or the OS) can cut a call short. The
# limits are tens of milliseconds, and blocked sync calls are released at the end of each
# test so no worker stays busy.
SHORT = 0.02


@pytest.fixture
def release() -> threading.Event:
    event = threading.Event()
    yield event
    event.set()


# ---- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, -1, math.nan, math.inf, True, "2", None])
def test_bad_seconds_are_refused_naming_the_field(seconds):
    with pytest.raises(ValueError, match=r"Timeout\('default'\): seconds must be"):
        sr.Timeout(seconds)


def test_bad_name_is_refused():
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        sr.Timeout(1.0, name="")


def test_timedelta_is_accepted_and_repr_reads_like_the_constructor():
    assert sr.Timeout(timedelta(milliseconds=1500)).seconds == 1.5
    assert repr(sr.Timeout(2)) == "<Timeout 'default' seconds=2>"
    assert repr(sr.Timeout(2.0, name="db")) == "<Timeout 'db' seconds=2>"


def test_registry_and_strategy_protocol():
    registry = sr.Registry()
    timeout = sr.Timeout(1.0, name="db", registry=registry)
    assert list(registry) == [timeout]
    assert isinstance(timeout, sr.Strategy)


def test_there_is_no_sync_with_because_nothing_could_interrupt_the_block():
    with pytest.raises(TypeError), sr.Timeout(1.0):  # type: ignore[attr-defined]
        pass


# ---- sync: a worker thread, waited for at most `seconds` ---------------------------------


def test_sync_call_returns_the_result_from_a_daemon_worker_thread():
    seen = {}

    def work(a, *, b):
        seen["thread"] = threading.current_thread()
        return a + b

    assert sr.Timeout(5.0).call(work, 1, b=2) == 3
    assert seen["thread"] is not threading.current_thread()
    assert seen["thread"].daemon


def test_a_limit_beyond_what_the_os_can_wait_for_still_works():
    assert sr.Timeout(1e300).call(lambda: "ok") == "ok"


def test_sync_call_sees_the_callers_context_variables():
    request_id = contextvars.ContextVar("request_id", default="none")
    request_id.set("r-42")
    assert sr.Timeout(5.0).call(request_id.get) == "r-42"


def test_sync_exceptions_propagate_unchanged():
    error = ValueError("boom")

    def fail():
        raise error

    with pytest.raises(ValueError, match="boom") as caught:
        sr.Timeout(5.0).call(fail)
    assert caught.value is error


def test_sync_base_exceptions_propagate_too():
    class Stop(BaseException):
        pass

    def stop():
        raise Stop

    with pytest.raises(Stop):
        sr.Timeout(5.0).call(stop)


def test_sync_call_that_runs_too_long_raises_and_is_abandoned(release):
    timeout = sr.Timeout(SHORT, name="slow")
    started = time.monotonic()
    with pytest.raises(sr.TimeoutExceededError) as caught:
        timeout.call(release.wait)
    assert SHORT <= time.monotonic() - started < 1.0
    assert isinstance(caught.value, TimeoutError)
    assert not isinstance(caught.value, sr.CallRejectedError)  # the call did run
    assert (caught.value.name, caught.value.seconds) == ("slow", SHORT)
    assert "cannot be stopped" in caught.value.__notes__[0]
    assert timeout.metrics == sr.TimeoutMetrics("slow", SHORT, timed_out_calls=1, abandoned_calls=1)


def test_sync_builtin_timeout_error_from_the_call_is_not_ours():
    def fail():
        raise TimeoutError("socket")

    timeout = sr.Timeout(5.0)
    with pytest.raises(TimeoutError, match="socket") as caught:
        timeout.call(fail)
    assert not isinstance(caught.value, sr.TimeoutExceededError)
    assert timeout.metrics.timed_out_calls == 0


def test_a_hung_call_does_not_hold_up_the_next_one(release):
    timeout = sr.Timeout(SHORT)
    with pytest.raises(sr.TimeoutExceededError):
        timeout.call(release.wait)
    assert sr.Timeout(5.0).call(lambda: "still served") == "still served"


def _timeout_workers() -> int:
    return sum(t.name == "steinresil-timeout" for t in threading.enumerate())


def test_workers_are_reused_between_calls():
    timeout = sr.Timeout(5.0)
    timeout.call(lambda: None)
    before = _timeout_workers()
    for _ in range(20):
        timeout.call(lambda: None)
    assert _timeout_workers() <= before + 1


def test_idle_workers_exit(monkeypatch):
    monkeypatch.setattr(_timeout, "_workers", _timeout._Workers())
    monkeypatch.setattr(_timeout, "_WORKER_IDLE_SECONDS", 0.01)
    thread_of_call = sr.Timeout(5.0).call(threading.current_thread)
    thread_of_call.join(timeout=5.0)
    assert not thread_of_call.is_alive()


def test_a_forked_child_starts_a_fresh_pool(monkeypatch):
    monkeypatch.setattr(_timeout, "_workers", _timeout._Workers())
    _timeout._forget_workers_after_fork()
    assert _timeout._workers is None
    assert sr.Timeout(5.0).call(lambda: 7) == 7


def test_concurrent_sync_calls_each_get_their_own_worker():
    barrier = threading.Barrier(4, timeout=5.0)
    timeout = sr.Timeout(5.0)
    results = []
    callers = [
        threading.Thread(target=lambda: results.append(timeout.call(barrier.wait)))
        for _ in range(3)
    ]
    for caller in callers:
        caller.start()
    barrier.wait()  # all three calls run at once, or this times out
    for caller in callers:
        caller.join()
    assert len(results) == 3


# ---- async: the call is cancelled ---------------------------------------------------------


@pytest.mark.anyio
async def test_async_call_returns_its_result():
    async def work(a, *, b):
        await anyio.lowlevel.checkpoint()
        return a + b

    assert await sr.Timeout(5.0).call_async(work, 1, b=2) == 3


@pytest.mark.anyio
async def test_async_call_that_runs_too_long_is_cancelled():
    cancelled = []

    async def slow():
        try:
            await anyio.sleep(5)
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise

    timeout = sr.Timeout(SHORT, name="slow")
    started = time.monotonic()
    with pytest.raises(sr.TimeoutExceededError) as caught:
        await timeout.call_async(slow)
    assert time.monotonic() - started < 1.0
    assert cancelled == [True]
    assert caught.value.name == "slow"
    assert timeout.metrics.timed_out_calls == 1


@pytest.mark.anyio
async def test_outer_cancellation_stays_a_cancellation():
    timeout = sr.Timeout(5.0)
    with anyio.move_on_after(SHORT) as outer:
        await timeout.call_async(anyio.sleep, 5)
    assert outer.cancelled_caught
    assert timeout.metrics.timed_out_calls == 0


def test_task_cancel_on_asyncio_propagates_as_cancelled_error():
    async def main():
        task = asyncio.create_task(sr.Timeout(5.0).call_async(asyncio.sleep, 5))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


@pytest.mark.anyio
async def test_async_builtin_timeout_error_from_the_call_is_not_ours():
    async def fail():
        raise TimeoutError("socket")

    with pytest.raises(TimeoutError, match="socket") as caught:
        await sr.Timeout(5.0).call_async(fail)
    assert not isinstance(caught.value, sr.TimeoutExceededError)


@pytest.mark.anyio
async def test_nested_timeouts_the_inner_one_fires_first():
    outer, inner = sr.Timeout(5.0, name="outer"), sr.Timeout(SHORT, name="inner")
    with pytest.raises(sr.TimeoutExceededError) as caught:
        await outer.call_async(inner.call_async, anyio.sleep, 5)
    assert caught.value.name == "inner"
    assert (outer.metrics.timed_out_calls, inner.metrics.timed_out_calls) == (0, 1)


@pytest.mark.anyio
async def test_nested_timeouts_the_outer_one_fires_first():
    outer, inner = sr.Timeout(SHORT, name="outer"), sr.Timeout(5.0, name="inner")
    with pytest.raises(sr.TimeoutExceededError) as caught:
        await outer.call_async(inner.call_async, anyio.sleep, 5)
    assert caught.value.name == "outer"
    assert (outer.metrics.timed_out_calls, inner.metrics.timed_out_calls) == (1, 0)


@pytest.mark.anyio
async def test_async_with_guards_a_block():
    timeout = sr.Timeout(SHORT)
    async with timeout as entered:
        assert entered is timeout
    with pytest.raises(sr.TimeoutExceededError):
        async with timeout:
            await anyio.sleep(5)


@pytest.mark.anyio
async def test_one_timeout_guards_blocks_in_many_tasks_and_nested_in_one():
    timeout = sr.Timeout(0.2)
    outcomes: dict[str, str] = {}

    async def block(label, seconds):
        try:
            async with timeout, timeout:  # nested: each block keeps its own deadline
                await anyio.sleep(seconds)
            outcomes[label] = "done"
        except sr.TimeoutExceededError:
            outcomes[label] = "timed out"

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(block, "fast", 0)
        tasks.start_soon(block, "slow", 5)
        tasks.start_soon(block, "fast too", 0.001)
    assert outcomes == {"fast": "done", "slow": "timed out", "fast too": "done"}


# ---- decorators, listeners ---------------------------------------------------------------


def test_decorating_a_function_keeps_its_signature():
    timeout = sr.Timeout(5.0)

    @timeout
    def add(a: int, b: int = 2) -> int:
        """Add."""
        return a + b

    assert add(1) == 3
    assert add.__name__ == "add"
    assert add.__doc__ == "Add."
    assert inspect.signature(add) == inspect.signature(add.__wrapped__)  # type: ignore[attr-defined]
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert add.timeout is timeout  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_decorating_a_coroutine_function_keeps_it_async():
    async def nap(seconds: float) -> str:
        await anyio.sleep(seconds)
        return "done"

    patient, impatient = sr.Timeout(5.0)(nap), sr.Timeout(SHORT)(nap)
    assert inspect.iscoroutinefunction(patient)
    assert list(inspect.signature(patient).parameters) == ["seconds"]
    assert await patient(0) == "done"
    with pytest.raises(sr.TimeoutExceededError):
        await impatient(5)


def test_decorating_something_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="decorates callables"):
        sr.Timeout(1.0)(42)  # type: ignore[call-overload]


@pytest.mark.anyio
async def test_listeners_hear_of_expired_calls_and_cannot_break_them(caplog):
    events = []

    def broken(event):
        raise RuntimeError("listener bug")

    timeout = sr.Timeout(SHORT, name="x", listeners=[events.append, broken])
    later = []
    timeout.add_listener(later.append)
    with (
        caplog.at_level(logging.ERROR, logger="steinresil"),
        pytest.raises(sr.TimeoutExceededError),
    ):
        await timeout.call_async(anyio.sleep, 5)
    assert events == later == [sr.TimeoutExpired("x", SHORT)]
    assert "listener bug" in caplog.text


def test_listeners_must_be_callable():
    with pytest.raises(ValueError, match="listeners must be callables"):
        sr.Timeout(1.0, listeners=[42])  # type: ignore[list-item]


# ---- hung sync calls are capped (issue 8: 1,000 hung calls must not mean 1,000 threads) ----


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_hung_sync_calls_beyond_max_abandoned_are_not_started(release):
    timeout = sr.Timeout(SHORT, name="hung", max_abandoned=3)
    started = 0

    def hang() -> None:
        nonlocal started
        started += 1
        release.wait()

    for _ in range(3):
        with pytest.raises(sr.TimeoutExceededError):
            timeout.call(hang)
    threads_before = threading.active_count()
    for _ in range(20):
        with pytest.raises(sr.TimeoutExceededError) as caught:
            timeout.call(hang)
    assert started == 3  # nothing more was started
    assert threading.active_count() <= threads_before
    assert "max_abandoned=3" in caught.value.__notes__[0]
    assert timeout.metrics.timed_out_calls == 23
    assert timeout.metrics.abandoned_calls == 3
    release.set()  # the hung calls end: room again
    wait_until(lambda: timeout.metrics.abandoned_calls == 0)
    assert timeout.call(lambda: "ok") == "ok"


def test_a_breaker_counts_the_refusal_as_a_failure(release):
    timeout = sr.Timeout(SHORT, max_abandoned=1)
    breaker = sr.CircuitBreaker("hung", failure_threshold=2)
    guarded = sr.Pipeline(breaker, timeout)
    for _ in range(2):
        with pytest.raises(sr.TimeoutExceededError):
            guarded.call(release.wait)
    assert breaker.state is sr.CircuitState.OPEN


def test_max_abandoned_none_means_no_limit_and_bad_values_are_refused():
    assert sr.Timeout(1.0, max_abandoned=None).max_abandoned is None
    for bad in (0, -1, 1.5, "3"):
        with pytest.raises(ValueError, match="max_abandoned"):
            sr.Timeout(1.0, max_abandoned=bad)
