"""A decorated ``async def`` stays a coroutine function: ``asyncio.run`` accepts it.

Checked by mypy, never executed.
"""

from __future__ import annotations

import asyncio
from typing import assert_type

import steinresil as sr


async def fetch(key: str) -> int:
    return len(key)


breaker = sr.CircuitBreaker("b")
policy = sr.RetryPolicy()
timeout = sr.Timeout(1.0)
bulkhead = sr.Bulkhead(max_concurrent=2)
limiter = sr.RateLimiter(rate=10, per=1.0)
pipeline = sr.Pipeline(timeout, breaker)

assert_type(asyncio.run(breaker(fetch)("a")), int)
assert_type(asyncio.run(policy(fetch)("a")), int)
assert_type(asyncio.run(timeout(fetch)("a")), int)
assert_type(asyncio.run(bulkhead(fetch)("a")), int)
assert_type(asyncio.run(limiter(fetch)("a")), int)
assert_type(asyncio.run(pipeline(fetch)("a")), int)
assert_type(asyncio.run(sr.circuit_breaker(fetch)("a")), int)
assert_type(asyncio.run(sr.circuit_breaker(failure_threshold=2)(fetch)("a")), int)
assert_type(asyncio.run(sr.retry(fetch)("a")), int)
assert_type(asyncio.run(sr.retry(max_retries=1)(fetch)("a")), int)
assert_type(asyncio.run(sr.fallback(fetch)(fetch)("a")), int)
assert_type(asyncio.run(sr.FallbackChain([fetch])(fetch)("a")), int)
