"""Checked by mypy --strict, never run: the breaker keeps signatures for type checkers."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, assert_type

import steinresil as sr

cb = sr.CircuitBreaker("typing")


@cb
def fetch(order_id: str, *, retries: int = 0) -> bytes:
    return b""


@cb
async def fetch_async(order_id: str) -> int:
    return 1


@sr.circuit_breaker(failure_threshold=3)
def factory_made(x: int) -> float:
    return float(x)


@sr.circuit_breaker
def bare(x: int) -> str:
    return str(x)


assert_type(fetch("a", retries=1), bytes)
assert_type(factory_made(1), float)
assert_type(bare(1), str)
assert_type(cb.call(fetch, "a"), bytes)
assert_type(cb.state, sr.CircuitState)
assert_type(cb.metrics, sr.CircuitBreakerMetrics)
assert_type(cb.metrics.failure_rate, float | None)


async def use() -> None:
    assert_type(fetch_async("a"), Coroutine[Any, Any, int]).close()
    assert_type(await fetch_async("a"), int)
    assert_type(await cb.call_async(fetch_async, "a"), int)
    async with cb as entered:
        assert_type(entered, sr.CircuitBreaker)
    with cb:
        pass


fetch(1)  # type: ignore[arg-type]
fetch("a", retries="x")  # type: ignore[arg-type]
cb.call(fetch, 1)  # type: ignore[arg-type]
sr.CircuitBreaker("x", failure_threshold="5")  # type: ignore[arg-type]


def on_event(event: sr.CircuitEvent) -> None:
    if isinstance(event, sr.CircuitStateChanged):
        assert_type(event.new_state, sr.CircuitState)
    else:
        assert_type(event.retry_after, float)


sr.CircuitBreaker("events", listeners=[on_event])
