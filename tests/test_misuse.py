"""Mistakes refused with a clear ``TypeError`` instead of silently left unguarded.

Generator functions and classes cannot be guarded by a decorator; an async function given
to ``call`` or a plain one given to ``call_async`` is refused and counts nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

import steinresil as sr
from steinresil._concurrency import is_async_callable
from steinresil.testing import FakeClock


def numbers() -> Iterator[int]:
    yield 1


async def anumbers() -> AsyncIterator[int]:
    yield 1


class Client:
    def __init__(self) -> None:
        self.ready = True


DECORATORS: dict[str, Callable[[], Callable[[Callable[..., object]], object]]] = {
    "breaker": lambda: sr.CircuitBreaker("b"),
    "retry": lambda: sr.RetryPolicy(max_retries=1, initial_delay=0),
    "timeout": lambda: sr.Timeout(1.0),
    "bulkhead": lambda: sr.Bulkhead(max_concurrent=1),
    "rate_limiter": lambda: sr.RateLimiter(rate=10, per=1.0),
    "pipeline": lambda: sr.Pipeline(sr.RetryPolicy(max_retries=0)),
    "fallback": lambda: sr.fallback(lambda: 2),
    "circuit_breaker()": lambda: sr.circuit_breaker(failure_threshold=2),
    "retry()": lambda: sr.retry(max_retries=1),
}


@pytest.mark.parametrize("kind", DECORATORS)
@pytest.mark.parametrize("target", [numbers, anumbers], ids=["generator", "async generator"])
def test_generator_functions_are_refused_when_decorated(
    kind: str, target: Callable[..., object]
) -> None:
    with pytest.raises(TypeError, match=r"generator function.*only creating the generator"):
        DECORATORS[kind]()(target)


@pytest.mark.parametrize("kind", DECORATORS)
def test_classes_are_refused_when_decorated(kind: str) -> None:
    with pytest.raises(TypeError, match="cannot decorate the class Client"):
        DECORATORS[kind]()(Client)


def test_the_message_says_what_to_do_instead() -> None:
    with pytest.raises(TypeError, match="with breaker:"):
        sr.CircuitBreaker("b")(numbers)
    with pytest.raises(TypeError, match="for attempt in policy"):
        sr.RetryPolicy()(anumbers)


# ---- item 8: an instance with async __call__ vs the class itself --------------------------


class AsyncCallable:
    async def __call__(self) -> int:
        return 1


def test_a_class_with_async_call_is_not_an_async_function() -> None:
    assert not is_async_callable(AsyncCallable)
    assert is_async_callable(AsyncCallable())


@pytest.mark.anyio
async def test_an_instance_with_async_call_is_guarded_as_async() -> None:
    cb = sr.CircuitBreaker("b")
    guarded = cb(AsyncCallable())
    assert inspect.iscoroutinefunction(guarded)
    assert await guarded() == 1


# ---- item 9: call(async_fn) and call_async(sync_fn) -----------------------------------------


async def answer() -> int:
    return 42


def plain() -> int:
    return 42


def test_breaker_call_refuses_an_async_function_and_counts_nothing(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("b", failure_threshold=1, clock=clock)
    with pytest.raises(TypeError, match=r"returned a coroutine.*call_async"):
        cb.call(answer)
    assert cb.metrics.successful_calls == cb.metrics.failed_calls == 0


@pytest.mark.anyio
async def test_breaker_call_async_refuses_a_plain_function_and_counts_nothing(
    clock: FakeClock,
) -> None:
    cb = sr.CircuitBreaker("b", failure_threshold=1, clock=clock)
    for _ in range(3):
        with pytest.raises(
            TypeError, match=r"call_async needs a function that returns an awaitable"
        ):
            await cb.call_async(plain)  # type: ignore[arg-type]
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.failed_calls == 0


@pytest.mark.anyio
async def test_breaker_call_async_still_counts_a_type_error_from_the_awaited_call(
    clock: FakeClock,
) -> None:
    async def broken() -> None:
        raise TypeError("a real bug in the dependency")

    cb = sr.CircuitBreaker("b", failure_threshold=1, clock=clock)
    with pytest.raises(TypeError, match="a real bug"):
        await cb.call_async(broken)
    assert cb.state is sr.CircuitState.OPEN


@pytest.mark.anyio
async def test_call_async_accepts_a_lambda_returning_a_coroutine(clock: FakeClock) -> None:
    def later() -> Awaitable[int]:  # a plain function that hands back a coroutine
        return answer()

    cb = sr.CircuitBreaker("b", clock=clock)
    assert await cb.call_async(later) == 42
    policy = sr.RetryPolicy(clock=clock)
    assert await policy.call_async(later) == 42


@pytest.mark.anyio
async def test_retry_call_async_does_not_retry_a_plain_function(clock: FakeClock) -> None:
    calls = 0

    def counted() -> int:
        nonlocal calls
        calls += 1
        return 1

    policy = sr.RetryPolicy(max_retries=3, clock=clock)
    with pytest.raises(TypeError, match="call_async needs a function"):
        await policy.call_async(counted)  # type: ignore[arg-type]
    assert calls == 1
    assert clock.sleeps == []


def test_retry_call_refuses_an_async_function(clock: FakeClock) -> None:
    policy = sr.RetryPolicy(max_retries=3, clock=clock)
    with pytest.raises(TypeError, match="returned a coroutine"):
        policy.call(answer)
    assert policy.metrics.successful_calls == 0
