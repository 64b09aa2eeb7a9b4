"""Circuit breaker overhead, side by side: steinresil, pybreaker, circuitbreaker,
aiobreaker and purgatory, each through its own decorator (how users call it).

Groups: closed success path (sync, async) and rejection by an open circuit (sync, async).
Run: python -m pytest benchmarks/test_breaker_bench.py --benchmark-only
Table: python benchmarks/report.py
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiobreaker
import circuitbreaker
import purgatory
import pybreaker
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry, generate_latest

import steinresil as sr
from bench_support import (
    ASYNC_BATCH,
    batch_awaiting,
    batch_awaiting_swallowing,
    pass_through,
    pass_through_async,
    swallowing,
)
from steinresil.contrib.otel import instrument
from steinresil.contrib.prometheus import register_collector

THRESHOLD = 5
# aiobreaker calls datetime.utcnow(), deprecated since 3.12: the peer's warning, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


class Down(Exception):
    pass


def work() -> int:
    return 1


async def awork() -> int:
    return 1


BROKEN_CALLS: list[int] = []  # how often the failing dependency actually ran


def raising() -> int:
    raise Down


async def araising() -> int:
    raise Down


def broken() -> int:
    BROKEN_CALLS.append(1)
    raise Down


async def abroken() -> int:
    BROKEN_CALLS.append(1)
    raise Down


# Each maker takes a function and returns (guarded function, the library's open-circuit error).
def _steinresil(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Any]:
    return sr.CircuitBreaker("bench", failure_threshold=THRESHOLD, reset_timeout=3600)(
        fn
    ), sr.CircuitOpenError


def _pybreaker(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Any]:
    return pybreaker.CircuitBreaker(fail_max=THRESHOLD, reset_timeout=3600)(
        fn
    ), pybreaker.CircuitBreakerError


def _circuitbreaker(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Any]:
    cb = circuitbreaker.CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=3600)
    return cb(fn), circuitbreaker.CircuitBreakerError


def _aiobreaker(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Any]:
    cb = aiobreaker.CircuitBreaker(fail_max=THRESHOLD, timeout_duration=timedelta(hours=1))
    return cb(fn), aiobreaker.CircuitBreakerError


def _purgatory(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Any]:
    is_async = asyncio.iscoroutinefunction(fn)
    factory = (
        purgatory.AsyncCircuitBreakerFactory if is_async else purgatory.SyncCircuitBreakerFactory
    )
    return factory(default_threshold=THRESHOLD, default_ttl=3600)("bench")(
        fn
    ), purgatory.domain.model.OpenedState


SYNC = {
    "steinresil": _steinresil,
    "pybreaker": _pybreaker,
    "circuitbreaker": _circuitbreaker,
    "aiobreaker": _aiobreaker,
    "purgatory": _purgatory,
}
# pybreaker's async support needs tornado; the other four guard coroutines natively.
ASYNC = {name: make for name, make in SYNC.items() if name != "pybreaker"}


def _open(
    make: Callable[..., Any], fn: Callable[..., Any], loop: asyncio.AbstractEventLoop | None
) -> tuple[Any, Any]:
    guarded, error = make(fn)
    for _ in range(THRESHOLD):
        try:
            if loop is None:
                guarded()
            else:
                loop.run_until_complete(guarded())
        except (Down, error):
            pass
    return guarded, error


@pytest.mark.benchmark(group="breaker-closed-sync")
@pytest.mark.parametrize("library", ["plain", "wrapper", *SYNC])
def test_closed_sync(benchmark: Any, library: str) -> None:
    """``wrapper`` is the bare call inside a decorator that does nothing."""
    if library in {"plain", "wrapper"}:
        guarded = work if library == "plain" else pass_through(work)
    else:
        guarded = SYNC[library](work)[0]
    benchmark.extra_info["calls_per_round"] = 1
    assert benchmark(guarded) == 1


@pytest.mark.benchmark(group="breaker-closed-async")
@pytest.mark.parametrize("library", ["plain", "wrapper", *ASYNC])
def test_closed_async(benchmark: Any, library: str, loop: asyncio.AbstractEventLoop) -> None:
    guarded: Callable[[], Awaitable[int]]
    if library in {"plain", "wrapper"}:
        guarded = awork if library == "plain" else pass_through_async(awork)
    else:
        guarded = ASYNC[library](awork)[0]
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    benchmark(batch_awaiting(guarded, loop))


@pytest.mark.benchmark(group="breaker-open-sync")
@pytest.mark.parametrize("library", ["plain", *SYNC])
def test_open_sync(benchmark: Any, library: str) -> None:
    """``plain`` here is the call without a breaker: the dead dependency raising at once,
    caught by the caller. Every rejection pays that raise too, so the overhead is what the
    breaker adds to it."""
    benchmark.extra_info["calls_per_round"] = 1
    if library == "plain":
        benchmark(swallowing(raising, Down))
        return
    guarded, error = _open(SYNC[library], broken, None)
    ran = len(BROKEN_CALLS)
    benchmark(swallowing(guarded, error))
    assert len(BROKEN_CALLS) == ran  # every call was rejected without running


@pytest.mark.benchmark(group="breaker-open-async")
@pytest.mark.parametrize("library", ["plain", *ASYNC])
def test_open_async(benchmark: Any, library: str, loop: asyncio.AbstractEventLoop) -> None:
    benchmark.extra_info["calls_per_round"] = ASYNC_BATCH
    if library == "plain":  # as for sync: the dead dependency raising at once, caught
        benchmark(batch_awaiting_swallowing(araising, Down, loop))
        return
    guarded, error = _open(ASYNC[library], abroken, loop)
    ran = len(BROKEN_CALLS)
    benchmark(batch_awaiting_swallowing(guarded, error, loop))
    assert len(BROKEN_CALLS) == ran  # every call was rejected without running


@pytest.mark.benchmark(group="breaker-closed-sync-observed")
@pytest.mark.parametrize("case", ["plain", "steinresil", "steinresil-observed"])
def test_observed_costs_nothing_on_the_hot_path(benchmark: Any, case: str) -> None:
    """A breaker exported to Prometheus and OpenTelemetry pays nothing per call."""
    benchmark.extra_info["calls_per_round"] = 1
    if case == "plain":
        assert benchmark(work) == 1
        return
    registry = sr.Registry()
    breaker = sr.CircuitBreaker("bench", registry=registry)
    if case == "steinresil-observed":
        prom = CollectorRegistry()
        register_collector(registry, prometheus_registry=prom)
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        instrument(registry, meter_provider=provider)
        generate_latest(prom)
        reader.get_metrics_data()
    assert benchmark(breaker(work)) == 1
    if case == "steinresil-observed":
        provider.shutdown()
