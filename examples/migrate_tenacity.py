"""Migrating from tenacity: the same retries side by side, and where the two differ.

The docs page "Migrating > From tenacity" shows the marked sections of this file.
Run: PYTHONPATH=src python3 examples/migrate_tenacity.py
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING
from unittest import mock

import tenacity

if TYPE_CHECKING:
    from collections.abc import Callable


class Flaky:
    """A dependency that fails `failures` times, then answers `result`."""

    def __init__(self, failures: int, error: Exception, result: str | None = "ok") -> None:
        self.failures, self.error, self.result, self.calls = failures, error, result, 0

    def __call__(self) -> str | None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.result


# --8<-- [start:tenacity]
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential


@retry(
    stop=stop_after_attempt(4),  # 4 attempts in all
    wait=wait_exponential(multiplier=0.5, max=5),  # 0.5 s, 1 s, 2 s
    retry=retry_if_exception_type(ConnectionError),
    reraise=True,  # give up with the last error, not tenacity.RetryError
)
def fetch_rates_tenacity(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:tenacity]

# --8<-- [start:steinresil]
import steinresil as sr

rates_policy = sr.RetryPolicy(
    max_retries=3,  # 3 retries after the first attempt: 4 attempts in all
    initial_delay=0.5,  # 0.5 s, 1 s, 2 s (backoff_multiplier=2.0 is the default)
    max_delay=5.0,
    retry_on=ConnectionError,
)


@rates_policy  # the last error propagates as it is: there is no RetryError
def fetch_rates(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:steinresil]


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"the example did not go as described: {what}")


waits: list[float] = []
# Neither library waits for real in this example: every sleep is recorded instead.
no_waiting = mock.patch.object(time, "sleep", waits.append)
no_waiting.start()
# 1. Three dropped connections, then an answer: the same four attempts, the same waits.
check(fetch_rates_tenacity(Flaky(3, ConnectionError("reset"))) == "ok", "tenacity retried")
tenacity_waits, waits[:] = list(waits), []
check(fetch_rates(Flaky(3, ConnectionError("reset"))) == "ok", "steinresil retried")
check(tenacity_waits == waits == [0.5, 1.0, 2.0], f"{tenacity_waits} vs {waits}")
print(f"1. same waits: {waits}")

# 2. Always failing: both give up with the original error (tenacity needs reraise=True).
for fetch in (fetch_rates_tenacity, fetch_rates):
    down = Flaky(99, ConnectionError("down"))
    with contextlib.suppress(ConnectionError):
        fetch(down)
    check(down.calls == 4, "gave up with ConnectionError after 4 attempts")
try:
    fetch_rates_tenacity.retry_with(reraise=False)(Flaky(99, ConnectionError("down")))
except tenacity.RetryError as exc:
    print(f"2. without reraise=True tenacity raises {type(exc).__name__}")

# --8<-- [start:rejections]
# 3. A refusal from a guard (an open circuit) is retried by tenacity's default
#    retry=retry_if_exception_type(), never by steinresil's default retry_on=Exception.
refused = Flaky(99, sr.CircuitOpenError("payments", 30.0))
with contextlib.suppress(sr.CircuitOpenError):
    tenacity.Retrying(stop=stop_after_attempt(4), reraise=True)(refused)
print(f"3. tenacity called an open circuit {refused.calls} times")  # 4

refused = Flaky(99, sr.CircuitOpenError("payments", 30.0))
with contextlib.suppress(sr.CircuitOpenError):
    sr.RetryPolicy(max_retries=3).call(refused)
print(f"   steinresil called it {refused.calls} time")  # 1: it gives up at once
# --8<-- [end:rejections]
check(refused.calls == 1, "steinresil did not retry the refusal")

# 4. Retrying on a result: tenacity ends with RetryError, steinresil returns the last value.
pending = Flaky(0, ConnectionError(), result=None)
with contextlib.suppress(tenacity.RetryError):
    tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda r: r is None), stop=stop_after_attempt(2)
    )(pending)
last = sr.RetryPolicy(1, initial_delay=0, retry_on_result=lambda r: r is None).call(pending)
check(last is None, "steinresil returned the last result")

# 5. A block of code: the same loop shape.
# --8<-- [start:blocks]
dropped_once = Flaky(1, ConnectionError("reset"))  # fails once, then answers
for attempt in tenacity.Retrying(stop=stop_after_attempt(3), reraise=True):
    with attempt:
        answer = dropped_once()

dropped_once = Flaky(1, ConnectionError("reset"))
for attempt in sr.RetryPolicy(max_retries=2, initial_delay=0.1):
    with attempt:
        answer = dropped_once()
# --8<-- [end:blocks]
check(answer == "ok" and dropped_once.calls == 2, "blocks retried")
no_waiting.stop()
print("5. blocks: ok")
