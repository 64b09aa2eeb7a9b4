from __future__ import annotations

import asyncio
import inspect
import threading
import time
import warnings

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil import _pipeline


class Recorder:
    """A strategy that writes down when the call enters and leaves it."""

    def __init__(self, label, log):
        self.label = label
        self.log = log

    def call(self, fn, /, *args, **kwargs):
        self.log.append(f"{self.label}>")
        try:
            return fn(*args, **kwargs)
        finally:
            self.log.append(f"<{self.label}")

    async def call_async(self, fn, /, *args, **kwargs):
        self.log.append(f"{self.label}>")
        try:
            return await fn(*args, **kwargs)
        finally:
            self.log.append(f"<{self.label}")

    def __repr__(self):
        return f"Recorder({self.label!r})"


class ThreeAttempts:
    """A retry-like strategy: runs the rest of the pipeline up to three times."""

    name = "three"

    def call(self, fn, /, *args, **kwargs):
        for attempt in range(3):
            try:
                return fn(*args, **kwargs)
            except ConnectionError:
                if attempt == 2:
                    raise
        raise AssertionError

    async def call_async(self, fn, /, *args, **kwargs):
        for attempt in range(3):
            try:
                return await fn(*args, **kwargs)
            except ConnectionError:
                if attempt == 2:
                    raise
        raise AssertionError


class _Anonymous:
    """A strategy with neither a name nor a readable repr."""

    def call(self, fn, /, *args, **kwargs):
        return fn(*args, **kwargs)

    async def call_async(self, fn, /, *args, **kwargs):
        return await fn(*args, **kwargs)


def flaky(failures):
    calls = []

    def fn(*args, **kwargs):
        calls.append((args, kwargs))
        if len(calls) <= failures:
            raise ConnectionError("down")
        return "ok"

    async def afn(*args, **kwargs):
        return fn(*args, **kwargs)

    return fn, afn, calls


# ---- order -----------------------------------------------------------------------------


def test_the_first_strategy_listed_is_the_outermost():
    log = []
    pipeline = sr.Pipeline(Recorder("a", log), Recorder("b", log), Recorder("c", log))
    assert pipeline.call(lambda: log.append("call") or "done") == "done"
    assert log == ["a>", "b>", "c>", "call", "<c", "<b", "<a"]


@pytest.mark.anyio
async def test_the_first_strategy_listed_is_the_outermost_async():
    log = []
    pipeline = sr.Pipeline(Recorder("a", log), Recorder("b", log))

    async def call():
        log.append("call")
        return "done"

    assert await pipeline.call_async(call) == "done"
    assert log == ["a>", "b>", "call", "<b", "<a"]


def test_describe_names_the_strategies_outermost_first():
    pipeline = sr.Pipeline(
        sr.Timeout(2.0),
        ThreeAttempts(),
        sr.CircuitBreaker("x"),
        sr.Bulkhead(10, name="db"),
        sr.RateLimiter(100),
        sr.Pipeline(Recorder("inner", []), sr.Timeout(1.0)),
        _Anonymous(),
    )
    assert pipeline.describe() == [
        "Timeout 'default' seconds=2",
        "ThreeAttempts 'three'",
        "CircuitBreaker 'x' closed",
        "Bulkhead 'db' max_concurrent=10",
        "RateLimiter 'default' rate=100 per=1s burst=100",
        "Pipeline [Recorder('inner'), Timeout 'default' seconds=1]",
        "_Anonymous",
    ]
    assert repr(sr.Pipeline(sr.Timeout(2.0))) == "<Pipeline [Timeout 'default' seconds=2]>"
    assert len(pipeline) == 7


def test_an_empty_pipeline_just_calls():
    assert sr.Pipeline().call(lambda x: x + 1, 1) == 2
    assert sr.Pipeline().describe() == []


@pytest.mark.anyio
async def test_an_empty_pipeline_just_awaits():
    async def inc(x):
        return x + 1

    assert await sr.Pipeline().call_async(inc, 1) == 2


@pytest.mark.parametrize("bad", [42, "Timeout", sr.Timeout])
def test_something_that_is_not_a_strategy_is_refused_naming_its_place(bad):
    with pytest.raises(
        ValueError, match=r"strategies\[1\] must be an object with call\(\) and call_async\(\)"
    ):
        sr.Pipeline(sr.Timeout(1.0), bad)


def test_the_composition_hook_sees_every_strategy_once(monkeypatch):
    seen = []
    monkeypatch.setattr(_pipeline, "_check_composition", seen.append)
    breaker, timeout = sr.CircuitBreaker("x"), sr.Timeout(1.0)
    pipeline = sr.Pipeline(timeout, breaker)
    pipeline.call(lambda: None)
    assert seen == [(timeout, breaker)]


# ---- arguments, retries, errors ---------------------------------------------------------


def test_arguments_reach_the_function_every_time_it_is_retried():
    log = []
    fn, _, calls = flaky(failures=2)
    pipeline = sr.Pipeline(ThreeAttempts(), Recorder("inner", log))
    # Keyword names the pipeline uses internally must not clash with the caller's.
    assert pipeline.call(fn, 1, 2, fn="f", args="a", kwargs="k") == "ok"
    assert calls == [((1, 2), {"fn": "f", "args": "a", "kwargs": "k"})] * 3
    assert log == ["inner>", "<inner"] * 3


@pytest.mark.anyio
async def test_arguments_reach_the_function_every_time_it_is_retried_async():
    _, afn, calls = flaky(failures=2)
    pipeline = sr.Pipeline(ThreeAttempts(), sr.Bulkhead(1))
    assert await pipeline.call_async(afn, 1, fn="f") == "ok"
    assert calls == [((1,), {"fn": "f"})] * 3


def test_the_callers_exception_comes_through_unchanged():
    error = ValueError("boom")

    def fail():
        raise error

    with pytest.raises(ValueError, match="boom") as caught:
        sr.Pipeline(sr.Bulkhead(1), sr.CircuitBreaker("x")).call(fail)
    assert caught.value is error


def test_an_open_breaker_rejects_before_the_inner_strategies_run():
    breaker = sr.CircuitBreaker("x", failure_threshold=1)
    bulkhead = sr.Bulkhead(1)
    pipeline = sr.Pipeline(breaker, bulkhead)
    with pytest.raises(ZeroDivisionError):
        pipeline.call(lambda: 1 / 0)
    with pytest.raises(sr.CircuitOpenError):
        pipeline.call(lambda: None)
    assert bulkhead.metrics.admitted_calls == 1


def test_a_rate_limit_outside_a_bulkhead_refuses_first(clock):
    limiter = sr.RateLimiter(1, clock=clock)
    bulkhead = sr.Bulkhead(5)
    pipeline = sr.Pipeline(limiter, bulkhead)
    pipeline.call(lambda: None)
    with pytest.raises(sr.RateLimitExceededError):
        pipeline.call(lambda: None)
    assert (limiter.metrics.rejected_calls, bulkhead.metrics.admitted_calls) == (1, 1)


# ---- timeouts around the rest ------------------------------------------------------------


@pytest.mark.anyio
async def test_an_outer_timeout_cancels_the_inner_strategies_cleanly():
    breaker = sr.CircuitBreaker("x", failure_threshold=1)
    bulkhead = sr.Bulkhead(1)
    with pytest.warns(sr.PipelineOrderWarning, match="never opens the circuit"):
        pipeline = sr.Pipeline(sr.Timeout(0.02), breaker, bulkhead)
    with pytest.raises(sr.TimeoutExceededError):
        await pipeline.call_async(anyio.sleep, 5)
    assert bulkhead.metrics.in_use == 0
    # The breaker saw a cancellation, not a failure: cancellations are never counted.
    assert breaker.state is sr.CircuitState.CLOSED
    assert breaker.metrics.failed_calls == 0


@pytest.mark.anyio
async def test_an_outer_cancellation_passes_through_as_a_cancellation():
    pipeline = sr.Pipeline(sr.Timeout(5.0), sr.Bulkhead(1))
    with anyio.move_on_after(0.02) as scope:
        await pipeline.call_async(anyio.sleep, 5)
    assert scope.cancelled_caught


def test_a_sync_timeout_outside_runs_the_rest_in_a_worker_thread():
    bulkhead = sr.Bulkhead(1)
    release = threading.Event()
    pipeline = sr.Pipeline(sr.Timeout(0.02), bulkhead)
    try:
        with pytest.raises(sr.TimeoutExceededError):
            pipeline.call(release.wait)
        assert bulkhead.metrics.in_use == 1  # the abandoned call still holds its slot
    finally:
        release.set()
    deadline = time.monotonic() + 5.0
    while bulkhead.metrics.in_use and time.monotonic() < deadline:
        time.sleep(0.001)  # the abandoned call gives its slot back when it ends
    assert pipeline.call(threading.current_thread) is not threading.current_thread()


# ---- decorators, nesting -------------------------------------------------------------------


def test_decorating_a_function_keeps_its_signature():
    pipeline = sr.Pipeline(sr.Bulkhead(1), sr.CircuitBreaker("x"))

    @pipeline
    def add(a: int, b: int = 2) -> int:
        """Add."""
        return a + b

    assert add(1) == 3
    assert (add.__name__, add.__doc__) == ("add", "Add.")
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert add.pipeline is pipeline  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_decorating_a_coroutine_function_keeps_it_async():
    @sr.Pipeline(sr.Timeout(5.0), sr.Bulkhead(1))
    async def double(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return 2 * x

    assert inspect.iscoroutinefunction(double)
    assert await double(21) == 42


def test_pipelines_nest_and_are_strategies():
    log = []
    inner = sr.Pipeline(Recorder("b", log), Recorder("c", log))
    outer = sr.Pipeline(Recorder("a", log), inner)
    assert isinstance(inner, sr.Strategy)
    outer.call(lambda: None)
    assert log == ["a>", "b>", "c>", "<c", "<b", "<a"]


def test_a_pipeline_works_from_many_threads_and_loops_at_once():
    bulkhead = sr.Bulkhead(2, max_queue=16)
    pipeline = sr.Pipeline(sr.CircuitBreaker("x"), bulkhead)
    results = []

    async def one(n):
        await asyncio.sleep(0)
        return n

    def worker(n):
        results.append(pipeline.call(lambda: n))
        results.append(asyncio.run(pipeline.call_async(one, n)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([*range(8), *range(8)])
    assert bulkhead.metrics.in_use == 0


# ---- order warnings ---------------------------------------------------------------------


def test_retry_that_ignores_retry_after_around_a_breaker_warns():
    breaker = sr.CircuitBreaker("pay", reset_timeout=30.0)
    hammering = sr.RetryPolicy(retry_on=(sr.CircuitOpenError, OSError), wait_from=lambda e: None)
    with pytest.warns(sr.PipelineOrderWarning, match="will be rejected by the open circuit"):
        sr.Pipeline(hammering, breaker)
    with pytest.warns(sr.PipelineOrderWarning):  # also through a nested pipeline
        sr.Pipeline(hammering, sr.Pipeline(breaker))


def test_sensible_retry_and_breaker_orders_do_not_warn():
    breaker = sr.CircuitBreaker("pay", reset_timeout=30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sr.Pipeline(sr.RetryPolicy(), breaker)  # the default does not retry an open circuit
        sr.Pipeline(sr.RetryPolicy(retry_on=sr.CircuitOpenError, max_delay=60.0), breaker)
        sr.Pipeline(breaker, sr.RetryPolicy(retry_on=sr.CircuitOpenError, wait_from=lambda e: None))
        sr.Pipeline(sr.Timeout(10.0), sr.RetryPolicy(), breaker, sr.Timeout(1.0))
        sr.Pipeline(breaker, sr.Timeout(1.0))
