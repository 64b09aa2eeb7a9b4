"""The README's tour, runnable: every primitive in a few lines.

Run: PYTHONPATH=src python3 examples/tour.py
"""

from __future__ import annotations

import asyncio

import steinresil as sr
from steinresil.testing import FakeClock, set_testing

clock = FakeClock()  # the tour does not wait; real code leaves clock= out
registry = sr.Registry()

# A breaker: five failures in a row open it for 30 s.
payments = sr.CircuitBreaker("payments", failure_threshold=5, reset_timeout=30.0, registry=registry)

# A retry policy: 3 retries, 0.2 s doubling up to 5 s, full jitter, 10 s in all.
fetch_policy = sr.RetryPolicy(
    max_retries=3, initial_delay=0.2, max_delay=5.0, jitter="full", deadline=10.0, clock=clock
)


@fetch_policy
async def fetch_rates(currency: str) -> float:
    return 1.08 if currency == "USD" else 1.0


# A fallback chain: the first provider that answers wins; open circuits are skipped.
async def openai(prompt: str) -> str:
    raise ConnectionError(f"openai is down; dropped {prompt!r}")


async def local(prompt: str) -> str:
    return f"(local model) {prompt}"


ai = sr.FallbackChain(
    [
        sr.Fallback(openai, breaker=sr.CircuitBreaker("openai", failure_threshold=1)),
        sr.Fallback(local, last_resort=True),
    ],
    name="ai",
)

# Health: concurrent checks with timeouts, rolled up into healthy / degraded / unhealthy.
health = sr.HealthAggregator(timeout=2.0)
health.register("database", lambda: True, critical=True)
health.register("cache", lambda: False, critical=False)  # down, but not critical
health.attach_breakers(registry)

# A pipeline: retry outside, then the breaker, then a per-attempt timeout and a bulkhead.
guarded = sr.Pipeline(
    sr.RetryPolicy(max_retries=2, initial_delay=0.1, clock=clock),
    payments,
    sr.Timeout(2.0),
    sr.Bulkhead(max_concurrent=10),
)


@guarded
async def charge(order_id: str, cents: int) -> str:
    return f"charged {order_id}: {cents / 100:.2f} EUR"


async def main() -> None:
    print(await fetch_rates("USD"))
    print(await ai.call_async("Summarise order A-1"), "| served by", ai.last_used)
    report = await health.check_async()
    components = sorted(report.to_dict()["components"])
    print("health:", report.status.value, report.status.code, components)
    print(await charge("A-1", 1999), "|", guarded.describe())
    with set_testing(True):  # in tests: retries never wait
        print(await fetch_rates("EUR"))


asyncio.run(main())
