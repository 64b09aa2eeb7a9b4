"""Retrying a flaky dependency, step by step: backoff, Retry-After, deadline and budget.

Run: PYTHONPATH=src python3 examples/retry_demo.py
"""

from __future__ import annotations

import contextlib
import random
from typing import TYPE_CHECKING

import steinresil as sr
from steinresil.testing import FakeClock

if TYPE_CHECKING:
    from collections.abc import Callable

clock = FakeClock()  # so the demo does not wait for real; use the default clock in real code


def show(event: sr.RetryEvent) -> None:
    if isinstance(event, sr.RetryScheduled):
        why = "as the server asked" if event.from_retry_after else "backoff"
        print(f"    attempt {event.attempt} in {event.delay:.2f} s ({why})")
    elif isinstance(event, sr.RetryGaveUp):
        print(f"    gave up after {event.attempts} attempts: {event.reason.value}")
    elif isinstance(event, sr.RetrySucceeded):
        print(f"    succeeded at attempt {event.attempts}, {event.elapsed:.2f} s after the start")


class ThrottledError(Exception):
    """Like an HTTP 429: says how long to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"throttled, retry after {retry_after} s")
        self.retry_after = retry_after


def failing(times: int, error: Exception) -> Callable[[], str]:
    calls = 0

    def fetch() -> str:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise error
        return f"stock level after {calls} calls"

    return fetch


policy = sr.RetryPolicy(
    max_retries=3,
    initial_delay=0.5,
    max_delay=5.0,
    jitter="equal",
    random=random.Random(7).random,  # seeded, so the demo prints the same every run
    retry_on=(ConnectionError, ThrottledError),
    name="inventory",
    clock=clock,
    listeners=[show],
)

print("1. The service drops two connections, then answers:")
print(f"  -> {policy.call(failing(2, ConnectionError('reset by peer')))}")

print("2. The service says 'retry after 2 s': the policy waits exactly that long:")
print(f"  -> {policy.call(failing(1, ThrottledError(2.0)))}")

print("3. 'Retry after 60 s' is longer than max_delay: no point waiting, the error propagates:")
try:
    policy.call(failing(1, ThrottledError(60.0)))
except ThrottledError as exc:
    print(f"  -> {exc}")

print("4. A bug is not retried at all:")
try:
    policy.call(failing(1, KeyError("sku")))
except KeyError as exc:
    print(f"  -> KeyError {exc}")

print("5. A deadline of 1 s: no wait may end past it:")
hurried = sr.RetryPolicy(10, initial_delay=0.4, deadline=1.0, clock=clock, listeners=[show])
try:
    hurried.call(failing(99, ConnectionError("down")))
except ConnectionError as exc:
    print(f"  -> {exc}")

print("6. An outage, 100 calls, a budget of 10 % retries (and 1 in reserve):")
budget = sr.RetryBudget(ratio=0.1, min_per_second=0, burst=1, clock=clock)
outage = sr.RetryPolicy(3, initial_delay=0, max_delay=0, budget=budget, clock=clock)
for _ in range(100):
    with contextlib.suppress(ConnectionError):
        outage.call(failing(99, ConnectionError("down")))
m = outage.metrics
print(f"  -> {m.retries} retries for {m.calls} calls (without the budget: {3 * m.calls})")

totals = policy.metrics
print(
    f"inventory policy: {totals.successful_calls} succeeded ({totals.successful_calls_after_retry}"
    f" after retrying), {totals.failed_calls} failed, {totals.retries} retries,"
    f" slept {clock.slept:.2f} s"
)
if totals.successful_calls != 2 or m.retries > 11 or clock.sleeps[2] != 2.0:
    raise SystemExit("the demo did not go as described")
