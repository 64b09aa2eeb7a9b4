"""Migrating from pybreaker: the same breaker side by side, and where the two differ.

The docs page "Migrating > From pybreaker" shows the marked sections of this file.
Run (needs pybreaker installed): PYTHONPATH=src python3 examples/migrate_pybreaker.py
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


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

# --8<-- [start:pybreaker]
import pybreaker

inventory_breaker_pb = pybreaker.CircuitBreaker(
    fail_max=3,  # opens on the 3rd failure in a row
    reset_timeout=10,  # seconds before a trial call
    exclude=[KeyError],  # a caller's mistake, not an outage
    name="inventory",
)


@inventory_breaker_pb
def stock_level_pb(sku: str) -> int:
    return inventory.stock(sku)


# --8<-- [end:pybreaker]

# --8<-- [start:steinresil]
import steinresil as sr

inventory_breaker = sr.CircuitBreaker(
    "inventory",
    failure_threshold=3,  # opens on the 3rd failure in a row
    success_threshold=1,  # pybreaker's default; steinresil's is 2
    reset_timeout=10.0,  # seconds before a trial call
    ignore=KeyError,  # counted neither way (pybreaker counts it as a success)
)


@inventory_breaker
def stock_level(sku: str) -> int:
    return inventory.stock(sku)


# --8<-- [end:steinresil]


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"the example did not go as described: {what}")


# --8<-- [start:tripping]
# Three failures in a row. The third trips both breakers, but what it raises differs.
def errors_of(call: Callable[[str], int]) -> list[str]:
    raised = []
    for _ in range(4):
        try:
            call("G-7")
        except Exception as exc:
            raised.append(type(exc).__name__)
    return raised


pybreaker_errors = errors_of(stock_level_pb)
# ['ConnectionError', 'ConnectionError', 'CircuitBreakerError', 'CircuitBreakerError']
steinresil_errors = errors_of(stock_level)
# ['ConnectionError', 'ConnectionError', 'ConnectionError', 'CircuitOpenError']
# --8<-- [end:tripping]
print(f"pybreaker:  {pybreaker_errors}\nsteinresil: {steinresil_errors}")
check(pybreaker_errors[2] == "CircuitBreakerError", "pybreaker's tripping call")
check(steinresil_errors[2:] == ["ConnectionError", "CircuitOpenError"], "steinresil's")
check(inventory.calls == 6, f"{inventory.calls} calls reached the inventory")

# An open circuit says when to come back, so a retry policy can wait exactly that long.
try:
    stock_level("G-7")
except sr.CircuitOpenError as exc:
    check(exc.retry_after > 9.0, f"retry_after {exc.retry_after}")

# --8<-- [start:control]
inventory_breaker_pb.close()  # pybreaker: current_state == "closed"
inventory_breaker.reset()  # steinresil: state is CircuitState.CLOSED
inventory_breaker_pb.open()
inventory_breaker.force_open()  # stays open until reset() or force_closed()
# --8<-- [end:control]
check(inventory_breaker.state is sr.CircuitState.FORCED_OPEN, "forced open")
inventory_breaker_pb.close()
inventory_breaker.reset()


# Cancellation: pybreaker counts any BaseException as a failure, steinresil counts
# nothing for CancelledError, KeyboardInterrupt, SystemExit or GeneratorExit.
def cancelled(sku: str) -> int:
    raise asyncio.CancelledError(sku)


for _ in range(3):
    with contextlib.suppress(asyncio.CancelledError, pybreaker.CircuitBreakerError):
        inventory_breaker_pb.call(cancelled, "G-7")
    with contextlib.suppress(asyncio.CancelledError):
        inventory_breaker.call(cancelled, "G-7")
check(inventory_breaker_pb.current_state == "open", "pybreaker opened on cancellations")
check(inventory_breaker.state is sr.CircuitState.CLOSED, "steinresil stayed closed")
print("3 cancelled calls: pybreaker open, steinresil closed")


# The same breaker guards async code, no tornado needed.
@inventory_breaker
async def stock_level_async(sku: str) -> int:
    return inventory.stock(sku)


inventory.up = True
check(asyncio.run(stock_level_async("G-7")) == 42, "async call")
