"""A whole stack on the success path: retry + breaker + bulkhead (+ timeout), steinresil's
``Pipeline`` against the same stack hand-built from peers (no peer composes these).

Groups:
- ``pipeline-sync``: retry, breaker, bulkhead. steinresil also with a ``Timeout`` inside
  the breaker (a sync timeout hands the call to a worker thread: a thread hand-off).
- ``pipeline-async``: retry, breaker, timeout, bulkhead (outermost first). Peers use
  ``asyncio.timeout`` and an ``asyncio.Semaphore`` for the parts they lack.
Run: python benchmarks/report.py -k pipeline
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiobreaker
import backoff
import circuitbreaker
import pybreaker
import pytest
import tenacity

import steinresil as sr
from bench_support import ASYNC_BATCH, batch_awaiting

# aiobreaker calls datetime.utcnow(), deprecated since 3.12: the peer's warning, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def work() -> int:
    return 1


async def awork() -> int:
    return 1


def _steinresil_stack(*, timeout: bool) -> sr.Pipeline:
    # The timeout goes inside the breaker, so a hung call counts as a failure.
    inner: list[Any] = [sr.Timeout(5.0)] if timeout else []
    return sr.Pipeline(
        sr.RetryPolicy(max_retries=3), sr.CircuitBreaker("bench"), *inner, sr.Bulkhead(10)
    )


def _tenacity_pybreaker(fn: Callable[[], int]) -> Callable[[], int]:
    slots = threading.BoundedSemaphore(10)

    def bulkheaded() -> int:
        with slots:
            return fn()

    guarded = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)(bulkheaded)
    return tenacity.retry(stop=tenacity.stop_after_attempt(4), reraise=True)(guarded)


def _backoff_circuitbreaker(fn: Callable[[], int]) -> Callable[[], int]:
    slots = threading.BoundedSemaphore(10)

    def bulkheaded() -> int:
        with slots:
            return fn()

    guarded = circuitbreaker.CircuitBreaker(failure_threshold=5, recovery_timeout=30)(bulkheaded)
    return backoff.on_exception(backoff.expo, Exception, max_tries=4, logger=None)(guarded)


SYNC: dict[str, Callable[[], Callable[[], int]]] = {
    "plain": lambda: work,
    "steinresil": lambda: _steinresil_stack(timeout=False)(work),
    "steinresil+timeout": lambda: _steinresil_stack(timeout=True)(work),
    "tenacity+pybreaker": lambda: _tenacity_pybreaker(work),
    "backoff+circuitbreaker": lambda: _backoff_circuitbreaker(work),
}


@pytest.mark.benchmark(group="pipeline-sync")
@pytest.mark.parametrize("stack", list(SYNC))
def test_pipeline_sync(benchmark: Any, stack: str) -> None:
    benchmark.extra_info["calls_per_round"] = 1
    assert benchmark(SYNC[stack]()) == 1


def _async_tenacity_aiobreaker() -> Callable[[], Any]:
    slots = asyncio.Semaphore(10)
    breaker = aiobreaker.CircuitBreaker(fail_max=5, timeout_duration=timedelta(seconds=30))

    @tenacity.retry(stop=tenacity.stop_after_attempt(4), reraise=True)
    @breaker
    async def stacked() -> int:
        async with asyncio.timeout(5.0), slots:
            return await awork()

    return stacked


def _async_backoff_circuitbreaker() -> Callable[[], Any]:
    slots = asyncio.Semaphore(10)

    @backoff.on_exception(backoff.expo, Exception, max_tries=4, logger=None)
    @circuitbreaker.CircuitBreaker(failure_threshold=5, recovery_timeout=30)
    async def stacked() -> int:
        async with asyncio.timeout(5.0), slots:
            return await awork()

    return stacked


ASYNC: dict[str, Callable[[], Callable[[], Any]]] = {
    "plain": lambda: awork,
    "steinresil": lambda: _steinresil_stack(timeout=True)(awork),
    "tenacity+aiobreaker": _async_tenacity_aiobreaker,
    "backoff+circuitbreaker": _async_backoff_circuitbreaker,
}


@pytest.mark.benchmark(group="pipeline-async")
@pytest.mark.parametrize("stack", list(ASYNC))
def test_pipeline_async(benchmark: Any, stack: str, loop: asyncio.AbstractEventLoop) -> None:
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(ASYNC[stack](), loop))
