"""Migrating from circuitbreaker: the same breaker side by side, and where the two differ.

The docs page "Migrating > From circuitbreaker" shows the marked sections of this file.
Run (needs circuitbreaker installed): PYTHONPATH=src python3 examples/migrate_circuitbreaker.py
"""

from __future__ import annotations

import asyncio
import contextlib


class Inventory:
    """A dependency that is down until `up` is set."""

    def __init__(self) -> None:
        self.up, self.calls = False, 0

    def stock(self, sku: str) -> int:
        self.calls += 1
        if not self.up:
            raise ConnectionError(f"inventory unreachable for {sku}")
        return 42


inventory = Inventory()
LAST_KNOWN = {"G-7": 40}

# --8<-- [start:circuitbreaker]
from circuitbreaker import CircuitBreakerError, circuit


def cached_stock_level(sku: str) -> int:
    return LAST_KNOWN.get(sku, 0)  # what to answer while the inventory is away


@circuit(
    failure_threshold=3,  # opens on the 3rd failure in a row
    recovery_timeout=10,  # seconds before a trial call
    expected_exception=ConnectionError,  # what counts as a failure
    fallback_function=cached_stock_level,  # called instead while open
)
def stock_level_cb(sku: str) -> int:
    return inventory.stock(sku)


# --8<-- [end:circuitbreaker]

# --8<-- [start:steinresil]
import steinresil as sr


@sr.circuit_breaker(
    failure_threshold=3,  # opens on the 3rd failure in a row
    reset_timeout=10.0,  # seconds before a trial call
    success_threshold=1,  # circuitbreaker closes on one good trial; steinresil's default is 2
    record=ConnectionError,  # what counts as a failure
)
def stock_level_guarded(sku: str) -> int:
    return inventory.stock(sku)


def stock_level(sku: str) -> int:
    try:
        return stock_level_guarded(sku)
    except sr.CircuitOpenError:  # no fallback_function: catch the refusal ...
        return cached_stock_level(sku)


# ... or let a chain skip the open circuit without calling it
stock_chain = sr.FallbackChain([stock_level_guarded, cached_stock_level], name="stock")
# --8<-- [end:steinresil]


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"the example did not go as described: {what}")


# 1. Three failures trip both breakers, and the tripping call raises its own error in both.
for stock in (stock_level_cb, stock_level):
    for _ in range(3):
        with contextlib.suppress(ConnectionError):
            stock("G-7")
    check(stock("G-7") == 40, "the fallback answers while open")
check(inventory.calls == 6, f"{inventory.calls} calls reached the inventory")
check(stock_chain.call("G-7") == 40 and inventory.calls == 6, "the chain skipped the breaker")

# --8<-- [start:open_error]
# 2. What an open circuit raises when there is no fallback, and when to come back.
from circuitbreaker import CircuitBreakerMonitor

probe_cb = circuit(failure_threshold=1, recovery_timeout=10, name="probe")(inventory.stock)
probe = sr.circuit_breaker(failure_threshold=1, reset_timeout=10.0, name="probe")(inventory.stock)
for guarded in (probe_cb, probe):
    with contextlib.suppress(ConnectionError):
        guarded("G-7")  # the first failure opens both

try:
    probe_cb("G-7")
except CircuitBreakerError:
    wait = CircuitBreakerMonitor.get("probe").open_remaining  # whole seconds, on the breaker
try:
    probe("G-7")
except sr.CircuitOpenError as exc:
    wait = exc.retry_after  # seconds as a float, on the error (math.inf when forced open)
# --8<-- [end:open_error]
check(9.0 < wait <= 10.0, f"retry_after {wait}")


# 3. Cancellation: circuitbreaker takes an exception that is not a failure for a success
#    and closes the circuit; steinresil counts nothing for CancelledError.
@circuit(failure_threshold=2, expected_exception=ConnectionError, name="cancel")
def cancelled_cb(fail: bool) -> None:
    raise ConnectionError if fail else asyncio.CancelledError


cancel_breaker = sr.CircuitBreaker("cancel", failure_threshold=2)


@cancel_breaker
def cancelled(fail: bool) -> None:
    raise ConnectionError if fail else asyncio.CancelledError


for call in (cancelled_cb, cancelled):
    for fail in (True, False, True):  # failure, cancelled, failure
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            call(fail)
check(CircuitBreakerMonitor.get("cancel").closed, "circuitbreaker reset its count")
check(cancel_breaker.state is sr.CircuitState.OPEN, "steinresil kept counting")
print("failure, cancelled, failure: circuitbreaker closed, steinresil open")
