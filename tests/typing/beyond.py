"""Type checks for Timeout, Bulkhead, RateLimiter and Pipeline: checked by mypy, never run."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol, assert_type

import steinresil as sr

timeout = sr.Timeout(2.0)
bulkhead = sr.Bulkhead(10, max_queue=5, queue_timeout=1.0)
limiter = sr.RateLimiter(100, per=1.0, burst=20, wait=True, timeout=0.5)
breaker = sr.CircuitBreaker("payments")


def fetch(user_id: int, *, verbose: bool = False) -> str:
    return str(user_id)


async def fetch_async(user_id: int, *, verbose: bool = False) -> str:
    return str(user_id)


class FetchLike(Protocol):
    def __call__(self, user_id: int, *, verbose: bool = False) -> str: ...


# Every primitive, and a pipeline of them, is a Strategy.
strategies: list[sr.Strategy] = [timeout, bulkhead, limiter, breaker]
pipeline = sr.Pipeline(timeout, breaker, bulkhead, limiter)
nested = sr.Pipeline(pipeline, sr.Pipeline())
assert_type(pipeline.describe(), list[str])
assert_type(pipeline.strategies, tuple[sr.Strategy, ...])

# call keeps the return type and checks the arguments against the function.
assert_type(timeout.call(fetch, 1), str)
assert_type(bulkhead.call(fetch, 1, verbose=True), str)
assert_type(limiter.call(fetch, 1), str)
assert_type(pipeline.call(fetch, 1), str)
timeout.call(fetch, "1")  # type: ignore[arg-type]
pipeline.call(fetch, 1, loud=True)  # type: ignore[call-arg]

# Decorators keep the signature, sync and async.
signature_kept: FetchLike = timeout(fetch)
signature_kept = bulkhead(fetch)
signature_kept = limiter(fetch)
signature_kept = pipeline(fetch)
assert_type(bulkhead(fetch)(1), str)
assert_type(limiter(fetch)(1, verbose=True), str)
assert_type(pipeline(fetch)(1), str)
assert_type(timeout(fetch_async)(1), Coroutine[Any, Any, str]).close()
assert_type(bulkhead(fetch_async)(1), Coroutine[Any, Any, str]).close()
assert_type(limiter(fetch_async)(1), Coroutine[Any, Any, str]).close()
assert_type(pipeline(fetch_async)(1), Coroutine[Any, Any, str]).close()
pipeline(fetch)("1")  # type: ignore[arg-type]

# Metrics are typed snapshots.
assert_type(timeout.metrics, sr.TimeoutMetrics)
assert_type(timeout.metrics.timed_out_calls, int)
assert_type(bulkhead.metrics, sr.BulkheadMetrics)
assert_type(bulkhead.metrics.available, int)
assert_type(limiter.metrics, sr.RateLimiterMetrics)
assert_type(limiter.metrics.available, int)
assert_type(limiter.acquire(), float)
assert_type(limiter.acquire(wait=True, timeout=1.0), float)

# Listeners receive the primitive's own event type.
timeout.add_listener(lambda event: assert_type(event, sr.TimeoutExpired))
bulkhead.add_listener(lambda event: assert_type(event, sr.BulkheadRejected))
limiter.add_listener(lambda event: assert_type(event, sr.RateLimitRejected))

# Blocks: Bulkhead and RateLimiter both ways; Timeout only async (a sync block cannot be
# interrupted, so there is no sync ``with``).
with bulkhead as entered_bulkhead:
    assert_type(entered_bulkhead, sr.Bulkhead)
with limiter as entered_limiter:
    assert_type(entered_limiter, sr.RateLimiter)
with timeout:  # type: ignore[attr-defined]
    pass


async def async_usage() -> None:
    assert_type(await timeout.call_async(fetch_async, 1), str)
    assert_type(await bulkhead.call_async(fetch_async, 1), str)
    assert_type(await limiter.call_async(fetch_async, 1), str)
    assert_type(await pipeline.call_async(fetch_async, 1), str)
    assert_type(await nested.call_async(fetch_async, 1, verbose=True), str)
    assert_type(await limiter.acquire_async(), float)
    async with timeout as entered_timeout:
        assert_type(entered_timeout, sr.Timeout)
    async with bulkhead as entered_bulkhead:
        assert_type(entered_bulkhead, sr.Bulkhead)
    async with limiter as entered_limiter:
        assert_type(entered_limiter, sr.RateLimiter)
    await timeout.call_async(fetch, 1)  # type: ignore[arg-type]
