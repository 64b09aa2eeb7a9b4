"""Retry overhead, side by side: steinresil, tenacity, stamina and backoff, each through
its own decorator (how users call it), with instrumentation and logging of the peers off
(steinresil has no listeners either).

Groups: a first-attempt success (sync, async), and one failed attempt followed by a
successful retry after a zero delay (sync, async). ``plain`` is the bare call, and for the
retry groups the hand-written ``try: f() except: f()``; ``wrapper`` (success groups) is the
bare call inside a decorator that does nothing, the floor under any decorator.
Run: python -m pytest benchmarks/test_retry_bench.py --benchmark-only
Table: python benchmarks/report.py -k retry
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import backoff
import pytest
import stamina
import stamina.instrumentation
import tenacity

import steinresil as sr
from bench_support import ASYNC_BATCH, batch_awaiting, pass_through, pass_through_async

ATTEMPTS = 4  # 1 + steinresil's default max_retries


class Flake(Exception):
    pass


@pytest.fixture(autouse=True)
def _quiet_peers() -> Iterator[None]:
    # stamina logs every retry by default; steinresil only emits to listeners it was given.
    stamina.instrumentation.set_on_retry_hooks([])
    yield
    stamina.instrumentation.set_on_retry_hooks(None)


def work() -> int:
    return 1


async def awork() -> int:
    return 1


def every_other_call_fails() -> Callable[[], int]:
    failed = False

    def flaky() -> int:
        nonlocal failed
        failed = not failed
        if failed:
            raise Flake
        return 1

    return flaky


def every_other_call_fails_async() -> Callable[[], Awaitable[int]]:
    flaky = every_other_call_fails()

    async def aflaky() -> int:
        return flaky()

    return aflaky


# Each maker decorates a function so that it is retried with no wait between attempts.
def _steinresil(fn: Callable[..., Any]) -> Callable[..., Any]:
    return sr.RetryPolicy(ATTEMPTS - 1, initial_delay=0, max_delay=0, name="bench")(fn)


def _tenacity(fn: Callable[..., Any]) -> Callable[..., Any]:
    return tenacity.retry(stop=tenacity.stop_after_attempt(ATTEMPTS), wait=tenacity.wait_none())(fn)


def _stamina(fn: Callable[..., Any]) -> Callable[..., Any]:
    return stamina.retry(
        on=Exception, attempts=ATTEMPTS, wait_initial=0, wait_max=0, wait_jitter=0
    )(fn)


def _backoff(fn: Callable[..., Any]) -> Callable[..., Any]:
    return backoff.on_exception(
        backoff.constant, Exception, max_tries=ATTEMPTS, interval=0, jitter=None, logger=None
    )(fn)


LIBRARIES = {
    "steinresil": _steinresil,
    "tenacity": _tenacity,
    "stamina": _stamina,
    "backoff": _backoff,
}


def _plain_retry(fn: Callable[[], int]) -> Callable[[], int]:
    def retried() -> int:
        try:
            return fn()
        except Flake:
            return fn()

    return retried


def _plain_retry_async(fn: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
    async def retried() -> int:
        try:
            return await fn()
        except Flake:
            return await fn()

    return retried


def _guard(library: str, fn: Callable[..., Any], *, is_async: bool) -> Callable[..., Any]:
    """``fn`` as ``library`` guards it; ``plain`` is ``fn``, ``wrapper`` a do-nothing decorator."""
    if library == "plain":
        return fn
    if library == "wrapper":
        return pass_through_async(fn) if is_async else pass_through(fn)
    return LIBRARIES[library](fn)


@pytest.mark.benchmark(group="retry-success-sync")
@pytest.mark.parametrize("library", ["plain", "wrapper", *LIBRARIES])
def test_success_sync(benchmark: Any, library: str) -> None:
    guarded = _guard(library, work, is_async=False)
    benchmark.extra_info["calls_per_round"] = 1
    assert benchmark(guarded) == 1


@pytest.mark.benchmark(group="retry-success-async")
@pytest.mark.parametrize("library", ["plain", "wrapper", *LIBRARIES])
def test_success_async(benchmark: Any, library: str, loop: asyncio.AbstractEventLoop) -> None:
    guarded = _guard(library, awork, is_async=True)
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(guarded, loop))


@pytest.mark.benchmark(group="retry-one-zero-delay-retry")
@pytest.mark.parametrize("library", ["plain", *LIBRARIES])
def test_one_zero_delay_retry_sync(benchmark: Any, library: str) -> None:
    flaky = every_other_call_fails()
    guarded = _plain_retry(flaky) if library == "plain" else LIBRARIES[library](flaky)
    benchmark.extra_info["calls_per_round"] = 1
    assert benchmark(guarded) == 1


@pytest.mark.benchmark(group="retry-one-zero-delay-retry-async")
@pytest.mark.parametrize("library", ["plain", *LIBRARIES])
def test_one_zero_delay_retry_async(
    benchmark: Any, library: str, loop: asyncio.AbstractEventLoop
) -> None:
    flaky = every_other_call_fails_async()
    guarded = _plain_retry_async(flaky) if library == "plain" else LIBRARIES[library](flaky)
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(guarded, loop))


@pytest.mark.benchmark(group="retry-success-sync-deadline-budget")
@pytest.mark.parametrize("library", ["plain", "steinresil"])
def test_success_with_deadline_and_budget(benchmark: Any, library: str) -> None:
    """What a success costs when the policy must read the clock and pay into a budget."""
    benchmark.extra_info["calls_per_round"] = 1
    guarded = (
        work
        if library == "plain"
        else sr.RetryPolicy(deadline=30.0, budget=sr.RetryBudget(), name="bench")(work)
    )
    assert benchmark(guarded) == 1
