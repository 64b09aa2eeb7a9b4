"""A retry around a circuit breaker: the retry waits exactly until the circuit lets a trial in.

The docs page "Choosing settings" shows the marked section of this file.
Run: PYTHONPATH=src python3 examples/retry_around_breaker.py
"""

from __future__ import annotations

import steinresil as sr
from steinresil.testing import FakeClock

clock = FakeClock()  # so the example does not wait 5 s; use the default clock in real code
outage_calls = 2  # the payment service fails twice, then answers


def charge(order_id: str) -> str:
    global outage_calls  # noqa: PLW0603 - one counter for this small program
    if outage_calls > 0:
        outage_calls -= 1
        raise ConnectionError("payment service unreachable")
    return f"charged {order_id}"


# --8<-- [start:pipeline]
breaker = sr.CircuitBreaker(
    "payments", failure_threshold=2, success_threshold=1, reset_timeout=5.0, clock=clock
)
policy = sr.RetryPolicy(
    max_retries=4,
    initial_delay=0.1,
    max_delay=10.0,  # >= reset_timeout, or an open circuit ends the retries at once
    retry_on=(ConnectionError, sr.CircuitOpenError),  # name it to wait for the circuit
    clock=clock,
)
payments = sr.Pipeline(policy, breaker)  # the retry outside, the breaker inside

print(payments.call(charge, "A-1"))  # charged A-1
print(clock.sleeps)  # [0.1, 0.2, 4.8]
# attempt 1 fails; 0.1 s later attempt 2 fails and opens the circuit; 0.2 s later
# attempt 3 is refused with retry_after=4.8; 4.8 s later attempt 4 is the trial, and works
# --8<-- [end:pipeline]

if clock.sleeps != [0.1, 0.2, 4.8] or breaker.state is not sr.CircuitState.CLOSED:
    raise SystemExit("the example did not go as described")
