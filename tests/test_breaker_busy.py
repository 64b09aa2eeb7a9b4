"""A half-open circuit whose trial slots are taken says "wait", not "retry now"."""

from __future__ import annotations

import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


def busy_breaker(clock: FakeClock) -> sr.CircuitBreaker:
    cb = sr.CircuitBreaker("b", failure_threshold=1, reset_timeout=10, clock=clock)
    with pytest.raises(Boom), cb:
        raise Boom
    clock.advance(10)
    return cb


def test_busy_trial_slots_give_a_positive_wait_that_grows(clock: FakeClock) -> None:
    cb = busy_breaker(clock)
    with cb:  # the trial runs
        with pytest.raises(sr.CircuitOpenError) as first:
            cb.call(lambda: 1)
        assert first.value.retry_after == pytest.approx(0.1)  # 1 % of reset_timeout
        clock.advance(2)
        with pytest.raises(sr.CircuitOpenError) as later:
            cb.call(lambda: 1)
        assert later.value.retry_after == pytest.approx(2.0)  # as long again as it ran
        clock.advance(60)
        with pytest.raises(sr.CircuitOpenError) as long_after:
            cb.call(lambda: 1)
        assert long_after.value.retry_after == pytest.approx(10.0)  # at most reset_timeout


def test_a_retry_around_a_busy_breaker_backs_off_instead_of_spinning(clock: FakeClock) -> None:
    cb = busy_breaker(clock)
    policy = sr.RetryPolicy(
        max_retries=5,
        initial_delay=0,
        max_delay=60,
        retry_on=(sr.CircuitOpenError,),
        clock=clock,
    )
    # a trial holds the only slot while the retries run
    with cb, pytest.raises(sr.CircuitOpenError):
        policy.call(cb.call, lambda: 1)
    # each wait as long again as the trial has run so far: a backoff, not a spin
    assert clock.sleeps == pytest.approx([0.1, 0.1, 0.2, 0.4, 0.8])
