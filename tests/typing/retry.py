"""Checked by mypy --strict, never run: retry keeps signatures for type checkers."""

from __future__ import annotations

import random
from collections.abc import Coroutine
from typing import Any, assert_type

import steinresil as sr
from steinresil.testing import is_testing, set_testing

policy = sr.RetryPolicy(
    max_retries=5,
    initial_delay=0.1,
    jitter="full",
    retry_on=(ConnectionError, TimeoutError),
    retry_on_result=lambda r: r is None,
    deadline=30,
    budget=sr.RetryBudget(ratio=0.2, min_per_second=10),
    random=random.Random(1).random,
    listeners=[print],
)


@policy
def fetch(order_id: str, *, timeout: float = 1.0) -> bytes:
    return b""


@policy
async def fetch_async(order_id: str) -> int:
    return 1


@sr.retry(max_retries=5, initial_delay=0.1)
def factory_made(x: int) -> float:
    return float(x)


@sr.retry
def bare(x: int) -> str:
    return str(x)


assert_type(fetch("a", timeout=2.0), bytes)
assert_type(factory_made(1), float)
assert_type(bare(1), str)
assert_type(policy.call(fetch, "a"), bytes)
assert_type(policy.metrics, sr.RetryPolicyMetrics)
assert_type(policy.metrics.failed_calls_by_reason[sr.GiveUpReason.DEADLINE], int)
assert_type(policy.delay(2), float)
assert_type(sr.retry_after_from(ValueError()), float | None)
assert_type(sr.parse_retry_after("120"), float | None)
assert_type(sr.RetryBudget().try_withdraw(), bool)
assert_type(is_testing(), bool)

for attempt in policy:
    assert_type(attempt, sr.RetryAttempt)
    with attempt:
        assert_type(attempt.number, int)


async def use() -> None:
    assert_type(fetch_async("a"), Coroutine[Any, Any, int]).close()
    assert_type(await fetch_async("a"), int)
    assert_type(await policy.call_async(fetch_async, "a"), int)
    async for attempt in policy:
        with attempt as entered:
            assert_type(entered, sr.RetryAttempt)
    with set_testing(True):
        pass


fetch(1)  # type: ignore[arg-type]
fetch("a", timeout="x")  # type: ignore[arg-type]
policy.call(fetch, 1)  # type: ignore[arg-type]
sr.RetryPolicy(jitter="partial")  # type: ignore[arg-type]
sr.RetryPolicy(max_retries="3")  # type: ignore[arg-type]


def on_event(event: sr.RetryEvent) -> None:
    if isinstance(event, sr.RetryScheduled):
        assert_type(event.delay, float)
    elif isinstance(event, sr.RetryGaveUp):
        assert_type(event.reason, sr.GiveUpReason)
        assert_type(event.error, Exception | None)


sr.RetryPolicy(listeners=[on_event])
