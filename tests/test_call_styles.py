"""Each primitive's scenarios through every call style: one fixture, no drift between them.

A *style* turns "run this function through that primitive" into each way users write it:
``call``, the decorator, ``with`` (sync), and ``call_async``, the async decorator, ``async
with`` (async). A scenario written once must hold in every style.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


Runner = Callable[[Any, Callable[[], object]], Awaitable[object]]


async def via_call(primitive: Any, fn: Callable[[], object]) -> object:
    return primitive.call(fn)


async def via_decorator(primitive: Any, fn: Callable[[], object]) -> object:
    return primitive(fn)()


async def via_with(primitive: Any, fn: Callable[[], object]) -> object:
    with primitive:
        return fn()


async def via_call_async(primitive: Any, fn: Callable[[], object]) -> object:
    async def afn() -> object:
        return fn()

    return await primitive.call_async(afn)


async def via_async_decorator(primitive: Any, fn: Callable[[], object]) -> object:
    async def afn() -> object:
        return fn()

    return await primitive(afn)()


async def via_async_with(primitive: Any, fn: Callable[[], object]) -> object:
    async with primitive:
        return fn()


ALL_STYLES = {
    "call": via_call,
    "decorator": via_decorator,
    "with": via_with,
    "call_async": via_call_async,
    "async decorator": via_async_decorator,
    "async with": via_async_with,
}
NO_WITH = {k: v for k, v in ALL_STYLES.items() if "with" not in k}


@pytest.fixture(params=list(ALL_STYLES))
def style(request: pytest.FixtureRequest) -> Runner:
    return ALL_STYLES[request.param]


@pytest.fixture(params=list(NO_WITH))
def calling_style(request: pytest.FixtureRequest) -> Runner:
    return NO_WITH[request.param]


def fail() -> None:
    raise Boom


# ---- breaker --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_breaker_opens_rejects_and_recovers_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    cb = sr.CircuitBreaker("b", failure_threshold=2, success_threshold=1, clock=clock)
    assert await style(cb, lambda: "ok") == "ok"
    for _ in range(2):
        with pytest.raises(Boom):
            await style(cb, fail)
    assert cb.state is sr.CircuitState.OPEN
    with pytest.raises(sr.CircuitOpenError):
        await style(cb, lambda: "never")
    clock.advance(30)
    assert await style(cb, lambda: "back") == "back"
    assert cb.state is sr.CircuitState.CLOSED
    metrics = cb.metrics
    assert (metrics.successful_calls, metrics.failed_calls, metrics.rejected_calls) == (2, 2, 1)


# ---- bulkhead and rate limiter ----------------------------------------------------------------


@pytest.mark.anyio
async def test_bulkhead_admits_and_counts_in_every_style(style: Runner) -> None:
    bulkhead = sr.Bulkhead(max_concurrent=1)
    assert await style(bulkhead, lambda: 1) == 1
    with bulkhead, pytest.raises(sr.BulkheadFullError):  # the only slot is taken
        await style(bulkhead, lambda: 2)
    assert bulkhead.metrics.in_use == 0


@pytest.mark.anyio
async def test_rate_limiter_admits_then_refuses_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    limiter = sr.RateLimiter(rate=1, per=10.0, clock=clock)
    assert await style(limiter, lambda: 1) == 1
    with pytest.raises(sr.RateLimitExceededError) as info:
        await style(limiter, lambda: 2)
    assert info.value.retry_after == pytest.approx(10.0)


# ---- retry (no `with`: its block form is `for attempt in policy`) ------------------------------


@pytest.mark.anyio
async def test_retry_retries_then_answers_in_every_style(
    calling_style: Runner, clock: FakeClock
) -> None:
    outcomes = iter([Boom(), Boom(), "third time"])

    def flaky() -> object:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = sr.RetryPolicy(max_retries=2, initial_delay=1.0, clock=clock)
    assert await calling_style(policy, flaky) == "third time"
    assert clock.sleeps == [1.0, 2.0]
