"""A rate limiter, a bulkhead, a circuit breaker and a timeout around one dependency.

The order matters: the limiter and the bulkhead sit outside the breaker, so their
refusals are not counted as the dependency's failures; the timeout sits inside it, so a
call that hangs is.

Run: PYTHONPATH=src python3 examples/pipeline_demo.py
"""

from __future__ import annotations

import asyncio

import steinresil as sr
from steinresil.testing import FakeClock

clock = FakeClock()  # breaker and limiter time; use the default clock in real code
breaker = sr.CircuitBreaker("inventory", failure_threshold=2, reset_timeout=30.0, clock=clock)
bulkhead = sr.Bulkhead(2, name="inventory")
limiter = sr.RateLimiter(3, per=1.0, name="inventory", clock=clock)
# The timeout uses the event loop's own timer: only the loop can cancel a task on time.
guarded = sr.Pipeline(limiter, bulkhead, breaker, sr.Timeout(0.05, name="inventory"))

service = {"up": True, "delay": 0.0}


@guarded
async def stock_level(sku: str) -> int:
    await asyncio.sleep(service["delay"])
    if not service["up"]:
        raise ConnectionError(f"inventory service unreachable for {sku}")
    return 42


async def attempt(sku: str) -> None:
    try:
        print(f"  {sku}: {await stock_level(sku)} in stock")
    except sr.RateLimitExceededError as exc:
        print(f"  {sku}: rate limited, retry after {exc.retry_after:.2f} s")
    except sr.CallRejectedError as exc:
        print(f"  {sku}: rejected fast ({type(exc).__name__}: {exc})")
    except sr.TimeoutExceededError as exc:
        print(f"  {sku}: gave up ({exc})")
    except ConnectionError as exc:
        print(f"  {sku}: failed ({exc})")


async def main() -> None:
    print("Outermost first:", guarded.describe())

    print("Three calls a second, the fourth is limited:")
    for sku in ("A-1", "A-2", "A-3", "A-4"):
        await attempt(sku)

    print("A second later the service hangs; the timeout cancels the call:")
    clock.advance(1.0)
    service["delay"] = 10.0
    await attempt("B-1")
    print(f"    the breaker counted it: {breaker.metrics.failed_calls} failure so far")

    print("Then it fails; that second failure opens the circuit, and calls are refused:")
    service["delay"], service["up"] = 0.0, False
    for sku in ("C-1", "C-2"):
        await attempt(sku)

    print("30 s later it is back; trial calls close the circuit again:")
    clock.advance(30.0)
    service["up"] = True
    for sku in ("D-1", "D-2"):
        await attempt(sku)

    print("Two calls in flight fill the bulkhead; a third at that moment is refused:")
    clock.advance(1.0)
    service["delay"] = 0.01
    await asyncio.gather(attempt("E-1"), attempt("E-2"), attempt("E-3"))

    slots, tokens = bulkhead.metrics, limiter.metrics
    print(
        f"bulkhead: {slots.admitted_calls} admitted, {slots.rejected_calls} rejected;"
        f" limiter: {tokens.admitted_calls} admitted, {tokens.rejected_calls} rejected;"
        f" circuit {breaker.state.value}"
    )
    if (
        breaker.state is not sr.CircuitState.CLOSED
        or breaker.metrics.failed_calls != 2
        or bulkhead.metrics.rejected_calls != 1
        or limiter.metrics.rejected_calls != 1
    ):
        raise SystemExit("the demo did not go as described")


asyncio.run(main())
