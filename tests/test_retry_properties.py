"""Properties that hold for every configuration, checked with hypothesis on a fake clock."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class StartRecordingClock(FakeClock):
    """Also records when each sleep started."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.starts.append(self.monotonic())
        super().sleep(seconds)


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    initial = draw(st.floats(0, 5, allow_nan=False))
    return {
        "max_retries": draw(st.integers(0, 8)),
        "initial_delay": initial,
        "max_delay": initial + draw(st.floats(0, 20, allow_nan=False)),
        "backoff_multiplier": draw(st.floats(1, 4, allow_nan=False)),
        "jitter": draw(st.sampled_from([None, "full", "equal", "decorrelated"])),
        "deadline": draw(st.none() | st.floats(0.01, 60, allow_nan=False)),
        "random": random.Random(draw(st.integers(0, 2**32))).random,
    }


@given(
    config=policies(),
    attempt_durations=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=12),
    waits_asked=st.lists(st.none() | st.floats(0, 30, allow_nan=False), min_size=1, max_size=12),
)
def test_attempts_and_delays_stay_within_bounds(
    config: dict[str, Any], attempt_durations: list[float], waits_asked: list[float | None]
) -> None:
    clock = StartRecordingClock()
    events: list[sr.RetryEvent] = []
    policy = sr.RetryPolicy(clock=clock, listeners=[events.append], **config)
    raised: list[Boom] = []

    def attempt() -> None:
        n = len(raised)
        clock.advance(attempt_durations[n % len(attempt_durations)])
        raised.append(Boom(waits_asked[n % len(waits_asked)]))
        raise raised[-1]

    with pytest.raises(Boom) as info:
        policy.call(attempt)

    # At most 1 + max_retries attempts, and the last error is the one that propagates.
    assert 1 <= len(raised) <= 1 + config["max_retries"]
    assert info.value is raised[-1]
    # No delay exceeds max_delay; no sleep ends past the deadline.
    for start, seconds in zip(clock.starts, clock.sleeps, strict=True):
        assert 0 < seconds <= config["max_delay"]
        if config["deadline"] is not None:
            assert start + seconds <= config["deadline"] + 1e-9
    # A wait the error asked for is honoured exactly, never shortened.
    scheduled = [e for e in events if isinstance(e, sr.RetryScheduled)]
    for event, error in zip(scheduled, raised, strict=False):
        if error.retry_after is not None:
            assert event.from_retry_after
            assert event.delay == error.retry_after
    # The events agree with what happened.
    gave_up = events[-1]
    assert isinstance(gave_up, sr.RetryGaveUp)
    assert gave_up.attempts == len(raised)
    assert policy.metrics.retries == len(raised) - 1


@given(config=policies(), failures=st.integers(0, 10))
def test_a_call_that_recovers_in_time_returns_its_value(
    config: dict[str, Any], failures: int
) -> None:
    clock = FakeClock()
    policy = sr.RetryPolicy(clock=clock, **config)
    calls = 0

    def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls <= failures:
            raise Boom
        return calls

    try:
        result = policy.call(flaky)
    except Boom:
        assert calls <= failures
        assert calls <= 1 + config["max_retries"]
    else:
        assert result == failures + 1
        assert failures <= config["max_retries"]
    m = policy.metrics
    assert m.calls == 1
    assert m.retries == calls - 1


@given(
    max_retries=st.integers(0, 20),
    initial=st.floats(0, 10, allow_nan=False),
    extra=st.floats(0, 100, allow_nan=False),
    multiplier=st.floats(1, 10, allow_nan=False),
    retry=st.integers(0, 5000),
)
def test_delay_formula(
    max_retries: int, initial: float, extra: float, multiplier: float, retry: int
) -> None:
    policy = sr.RetryPolicy(max_retries, initial, initial + extra, multiplier)
    delay = policy.delay(retry)
    assert 0 <= delay <= initial + extra
    if retry < 50:
        assert delay == min(initial + extra, initial * multiplier**retry)
