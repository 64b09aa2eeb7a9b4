"""Migrating from backoff: the same retries side by side, and where the two differ.

The docs page "Migrating > From backoff" shows the marked sections of this file.
Run (needs backoff installed): PYTHONPATH=src python3 examples/migrate_backoff.py
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING
from unittest import mock

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


class ThrottledError(Exception):
    """Like an HTTP 429: says how long to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"throttled, retry after {retry_after} s")
        self.retry_after = retry_after


# --8<-- [start:backoff]
import backoff


@backoff.on_exception(
    backoff.expo,
    ConnectionError,
    max_tries=4,  # 4 attempts in all
    factor=0.5,  # 0.5 s, 1 s, 2 s ...
    max_value=5,  # ... at most 5 s
    jitter=None,  # backoff's default is full jitter
)
def fetch_rates_backoff(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:backoff]

# --8<-- [start:steinresil]
import steinresil as sr

rates_policy = sr.RetryPolicy(
    max_retries=3,  # 3 retries after the first attempt: 4 attempts in all
    initial_delay=0.5,  # 0.5 s, 1 s, 2 s ... (backoff_multiplier=2.0 is the default)
    max_delay=5.0,  # ... at most 5 s
    jitter=None,  # the default: no jitter ("full" is backoff's full_jitter)
    retry_on=ConnectionError,
)


@rates_policy
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
check(fetch_rates_backoff(Flaky(3, ConnectionError("reset"))) == "ok", "backoff retried")
backoff_waits, waits[:] = list(waits), []
check(fetch_rates(Flaky(3, ConnectionError("reset"))) == "ok", "steinresil retried")
check(backoff_waits == waits == [0.5, 1.0, 2.0], f"{backoff_waits} vs {waits}")
print(f"1. same waits: {waits}")


# --8<-- [start:retry_after]
# 2. Waits the error asks for: backoff needs a runtime wait generator, steinresil reads
#    `retry_after` attributes and Retry-After headers itself.
@backoff.on_exception(
    backoff.runtime,
    ThrottledError,
    value=lambda exc: exc.retry_after,
    max_tries=2,
    jitter=None,
)
def quote_backoff(source: Callable[[], str | None]) -> str | None:
    return source()


quote_policy = sr.RetryPolicy(max_retries=1, max_delay=10.0, retry_on=ThrottledError)
# --8<-- [end:retry_after]
waits.clear()
quote_backoff(Flaky(1, ThrottledError(60.0)))  # backoff waits the whole minute
throttled = Flaky(1, ThrottledError(60.0))
with contextlib.suppress(ThrottledError):
    quote_policy.call(throttled)  # longer than max_delay: steinresil gives up at once
check(waits == [60.0] and throttled.calls == 1, f"waits {waits}")
print("2. 'retry after 60 s': backoff waited 60 s, steinresil gave up at once")


# 3. Retrying on a result: both give the last value back when they give up.
# --8<-- [start:predicate]
@backoff.on_predicate(backoff.constant, lambda r: r is None, interval=0.2, max_tries=3)
def poll_backoff(source: Callable[[], str | None]) -> str | None:
    return source()


@sr.retry(
    max_retries=2,
    initial_delay=0.2,
    backoff_multiplier=1.0,
    jitter="full",
    retry_on_result=lambda r: r is None,
)
def poll(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:predicate]


pending = Flaky(0, ConnectionError(), result=None)
check(poll_backoff(pending) is None and poll(pending) is None, "the last value came back")
check(pending.calls == 6, f"{pending.calls} calls")

# 4. A refusal from a guard: `backoff.on_exception(..., Exception)` retries an open
#    circuit; steinresil's retry_on=Exception does not, unless retry_on names it.
refused = Flaky(99, sr.CircuitOpenError("payments", 30.0))


@backoff.on_exception(backoff.expo, Exception, max_tries=4)
def pay_backoff() -> str | None:
    return refused()


with contextlib.suppress(sr.CircuitOpenError):
    pay_backoff()
backoff_calls = refused.calls
refused = Flaky(99, sr.CircuitOpenError("payments", 30.0))
with contextlib.suppress(sr.CircuitOpenError):
    sr.RetryPolicy(max_retries=3, retry_on=Exception).call(refused)
check((backoff_calls, refused.calls) == (4, 1), f"{backoff_calls}, {refused.calls}")
print(f"4. an open circuit: backoff called it {backoff_calls} times, steinresil once")
no_waiting.stop()
