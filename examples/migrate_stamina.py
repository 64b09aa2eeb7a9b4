"""Migrating from stamina: the same retries side by side, and where the two differ.

The docs page "Migrating > From stamina" shows the marked sections of this file.
Run (needs stamina installed): PYTHONPATH=src python3 examples/migrate_stamina.py
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING
from unittest import mock

import stamina.instrumentation

if TYPE_CHECKING:
    from collections.abc import Callable

# stamina logs every retry by default (a WARNING, printed to stderr when logging is not
# configured); this example stays quiet.
stamina.instrumentation.set_on_retry_hooks([])


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


# --8<-- [start:stamina]
import stamina


@stamina.retry(
    on=ConnectionError,
    attempts=4,  # 4 attempts in all
    timeout=45.0,  # the default: 45 s for all attempts and waits
    wait_initial=0.5,  # 0.5 s, 1 s, 2 s ...
    wait_max=5.0,  # ... at most 5 s
    wait_jitter=0.0,  # stamina adds up to 1 s by default
)
def fetch_rates_stamina(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:stamina]

# --8<-- [start:steinresil]
import steinresil as sr


@sr.retry(
    retry_on=ConnectionError,  # optional: the default is any Exception (but no refusals)
    max_retries=3,  # 3 retries after the first attempt: 4 attempts in all
    deadline=45.0,  # optional: by default there is none
    initial_delay=0.5,  # 0.5 s, 1 s, 2 s ... (backoff_multiplier=2.0, like wait_exp_base)
    max_delay=5.0,  # ... at most 5 s
)
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
check(fetch_rates_stamina(Flaky(3, ConnectionError("reset"))) == "ok", "stamina retried")
stamina_waits, waits[:] = list(waits), []
check(fetch_rates(Flaky(3, ConnectionError("reset"))) == "ok", "steinresil retried")
check(stamina_waits == waits == [0.5, 1.0, 2.0], f"{stamina_waits} vs {waits}")
print(f"1. same waits: {waits}")


# --8<-- [start:retry_after]
# 2. Waits the error asks for. stamina: a backoff hook that returns the wait.
#    steinresil: built in (retry_after attributes, Retry-After headers), and a wait
#    longer than max_delay gives up at once instead of waiting.
def wait_or_retry(exc: Exception) -> bool | float:
    if isinstance(exc, ThrottledError):
        return exc.retry_after
    return isinstance(exc, ConnectionError)


@stamina.retry(on=wait_or_retry, attempts=2)
def quote_stamina(source: Callable[[], str | None]) -> str | None:
    return source()


@sr.retry(retry_on=(ConnectionError, ThrottledError), max_retries=1, max_delay=10.0)
def quote(source: Callable[[], str | None]) -> str | None:
    return source()


# --8<-- [end:retry_after]
no_waiting.stop()
started = time.perf_counter()
quote_stamina(Flaky(1, ThrottledError(0.05)))  # both wait exactly the 0.05 s asked for
quote(Flaky(1, ThrottledError(0.05)))
check(time.perf_counter() - started >= 0.1, "both waited what the error asked")
no_waiting.start()
waits.clear()
quote_stamina(Flaky(1, ThrottledError(60.0)))  # stamina waits the whole minute
throttled = Flaky(1, ThrottledError(60.0))
with contextlib.suppress(ThrottledError):
    quote(throttled)  # steinresil gives up at once: 60 s is longer than max_delay
check(waits == [60.0] and throttled.calls == 1, f"waits {waits}")
print("2. 'retry after 60 s': stamina waited 60 s, steinresil gave up at once")

# 3. Test mode: the same switch, the same shape.
# --8<-- [start:testing]
from steinresil.testing import set_testing

with stamina.set_testing(True, attempts=2), set_testing(True, attempts=2):
    for fetch in (fetch_rates_stamina, fetch_rates):
        source = Flaky(99, ConnectionError("down"))
        with contextlib.suppress(ConnectionError):
            fetch(source)  # 2 attempts, no waiting
        check(source.calls == 2, f"{source.calls} attempts in test mode")
# --8<-- [end:testing]

# 4. Blocks of code.
# --8<-- [start:blocks]
dropped_once = Flaky(1, ConnectionError("reset"))  # fails once, then answers
for attempt in stamina.retry_context(on=ConnectionError, attempts=3):
    with attempt:
        answer = dropped_once()

dropped_once = Flaky(1, ConnectionError("reset"))
for attempt in sr.RetryPolicy(max_retries=2, retry_on=ConnectionError):
    with attempt:
        answer = dropped_once()
# --8<-- [end:blocks]
check(answer == "ok" and dropped_once.calls == 2, "blocks retried")
no_waiting.stop()
print("3, 4. test mode and blocks: ok")
