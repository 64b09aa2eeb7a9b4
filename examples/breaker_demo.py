"""A circuit breaker in front of a flaky dependency, step by step.

Run: PYTHONPATH=src python3 examples/breaker_demo.py
"""

from __future__ import annotations

import steinresil as sr
from steinresil.testing import FakeClock

clock = FakeClock()  # so the demo does not wait 30 s; use the default clock in real code
events: list[str] = []
breaker = sr.CircuitBreaker(
    "inventory",
    failure_threshold=3,
    success_threshold=2,
    reset_timeout=30.0,
    clock=clock,
    listeners=[lambda event: events.append(repr(event))],
)
service_up = False


@breaker
def stock_level(sku: str) -> int:
    if not service_up:
        raise ConnectionError(f"inventory service unreachable for {sku}")
    return 42


def attempt(sku: str) -> None:
    try:
        print(f"  {sku}: {stock_level(sku)} in stock")
    except sr.CircuitOpenError as exc:
        print(f"  {sku}: rejected fast ({exc})")
    except ConnectionError as exc:
        print(f"  {sku}: failed ({exc})")
    print(f"    state={breaker.state.value}")


print("The service is down; three failures open the circuit:")
for sku in ("A-1", "A-2", "A-3", "A-4"):
    attempt(sku)

print("30 s later the service is back; two trial calls close the circuit:")
clock.advance(30.0)
service_up = True
for sku in ("B-1", "B-2", "B-3"):
    attempt(sku)

metrics = breaker.metrics
print(
    f"totals: {metrics.successful_calls} succeeded, {metrics.failed_calls} failed, "
    f"{metrics.rejected_calls} rejected"
)
if breaker.state is not sr.CircuitState.CLOSED or metrics.rejected_calls != 1:
    raise SystemExit("the demo did not go as described")
