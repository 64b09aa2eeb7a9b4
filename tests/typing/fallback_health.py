"""Checked by mypy --strict, never run: chains keep their entries' types, health is typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, assert_type

import steinresil as sr

breaker = sr.CircuitBreaker("typing-openai")


async def openai(prompt: str) -> str:
    return prompt


async def ollama(prompt: str) -> str:
    return prompt


async def local(prompt: str) -> str:
    return prompt


def sync_primary(order_id: int, *, verbose: bool = False) -> bytes:
    return b""


def sync_backup(order_id: int, *, verbose: bool = False) -> bytes:
    return b""


async def no_key() -> bool:
    return False


# Every entry a Fallback: a list is fine. Mixing plain functions and Fallback objects needs
# a tuple (mypy joins a mixed list to list[object]).
ai = sr.FallbackChain(
    [
        sr.Fallback(openai, breaker=breaker, health=no_key),
        sr.Fallback(ollama, health=lambda: sr.HealthStatus.DEGRADED),
        sr.Fallback(local, last_resort=True),
    ],
    name="ai",
)
ai_typed: sr.FallbackChain[[str], Coroutine[Any, Any, str]] = ai
mixed = sr.FallbackChain((openai, sr.Fallback(ollama, when=ConnectionError), local))
mixed_typed: sr.FallbackChain[[str], Coroutine[Any, Any, str]] = mixed
orders = sr.FallbackChain([sync_primary, sync_backup], hedge_after=0.5)
assert_type(orders.call(1, verbose=True), bytes)
assert_type(orders.last_used, str | None)
best_order = orders.best_available()
if best_order is not None:
    assert_type(best_order(1, verbose=False), bytes)
assert_type(ai.entries[0].name, str)


@orders
def decorated(order_id: int, *, verbose: bool = False) -> bytes:
    return b"x"


assert_type(decorated(1), bytes)


@sr.fallback(ollama, sr.Fallback(local, last_resort=True))
async def primary(prompt: str) -> str:
    return prompt


async def use_chains() -> None:
    assert_type(await ai.call_async("hi"), str)
    assert_type(await orders.call_async(1), bytes)
    assert_type(await primary("hi"), str)
    best = await ai.best_available_async()
    if best is not None:
        assert_type(await best.fn("hi"), str)
    try:
        await ai.call_async("hi")
    except sr.AllFallbacksFailedError as group:
        assert_type(group.entry_names, tuple[str, ...])
        assert_type(group.by_entry, dict[str, Exception])


def on_event(event: sr.FallbackEvent) -> None:
    if isinstance(event, sr.EntrySkipped):
        assert_type(event.reason, sr.SkipReason)


sr.FallbackChain([sync_primary], listeners=[on_event])

# ---- health ------------------------------------------------------------------------------

health = sr.HealthAggregator(timeout=2.0, cache_ttl=5.0)


def db_check() -> bool:
    return True


async def redis_check() -> sr.HealthStatus:
    return sr.HealthStatus.HEALTHY


async def ai_check() -> sr.ComponentHealth:
    return sr.ComponentHealth(sr.HealthStatus.DEGRADED, {"providers": 1}, 0.01)


health.register("db", db_check)
health.register("redis", redis_check, critical=False)
health.register("ai", ai_check, critical=False, timeout=1.0)
health.attach_breakers(sr.default_registry, open_is=sr.HealthStatus.UNHEALTHY)
health.attach_breakers([breaker])
report = health.check()
assert_type(report, sr.HealthReport)
assert_type(report.status, sr.HealthStatus)
assert_type(report.status.code, int)
assert_type(report.to_dict(), dict[str, Any])
assert_type(report.components["db"], sr.ComponentReport)
assert_type(report.components["db"].latency, float | None)
assert_type(health.last_report, sr.HealthReport | None)


async def use_health() -> None:
    assert_type(await health.check_async(), sr.HealthReport)
    check: sr.HealthCheck = redis_check
    del check


def on_health(event: sr.HealthEvent) -> None:
    if isinstance(event, sr.HealthStatusChanged):
        assert_type(event.old_status, sr.HealthStatus | None)


health.add_listener(on_health)
not_awaitable: Callable[[], Awaitable[sr.HealthResult]] = redis_check

# ---- mistakes the type checker catches ------------------------------------------------------

orders.call("not an order id")  # type: ignore[arg-type]
health.register("bad", lambda: "fine")  # type: ignore[arg-type]
