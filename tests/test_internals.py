"""The small modules every primitive stands on: validation, the clock, outcome windows."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest

import steinresil as sr
from steinresil._validation import (
    check_duration,
    check_name,
    check_optional_duration,
    check_positive_int,
    check_rate,
)

# ---- _validation: the message names the owner, the field, the rule and the value ---------


@pytest.mark.parametrize("bad", ["", None, 3, b"x"])
def test_check_name(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^Owner: name must be a non-empty string, got "):
        check_name("Owner", bad)
    assert check_name("Owner", "ok") == "ok"


@pytest.mark.parametrize(
    ("value", "rule"), [(True, "an integer"), (1.0, "an integer"), ("2", "an integer"), (0, ">= 1")]
)
def test_check_positive_int(value: object, rule: str) -> None:
    with pytest.raises(ValueError, match=f"O: size must be {rule}, got {value!r}"):
        check_positive_int("O", "size", value)
    assert check_positive_int("O", "size", 0, minimum=0) == 0


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (True, "a number of seconds or a timedelta"),
        ("1", "a number of seconds or a timedelta"),
        (math.nan, "a finite number of seconds"),
        (math.inf, "a finite number of seconds"),
        (-1, ">= 0 seconds"),
        (timedelta(seconds=-1), ">= 0 seconds"),
    ],
)
def test_check_duration_refuses(value: object, rule: str) -> None:
    with pytest.raises(ValueError, match=f"O: wait must be {rule}"):
        check_duration("O", "wait", value)


def test_check_duration_accepts_numbers_and_timedeltas() -> None:
    assert check_duration("O", "wait", 2) == 2.0
    assert check_duration("O", "wait", timedelta(milliseconds=1500)) == 1.5
    assert check_duration("O", "wait", 0) == 0.0
    with pytest.raises(ValueError, match="> 0 seconds"):
        check_duration("O", "wait", 0, allow_zero=False)
    assert check_optional_duration("O", "wait", None) is None
    assert check_optional_duration("O", "wait", 1) == 1.0


@pytest.mark.parametrize("value", [0, -0.5, 1.5, math.nan, True, "0.5"])
def test_check_rate_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="O: rate must be"):
        check_rate("O", "rate", value)
    assert check_rate("O", "rate", 1) == 1.0


# ---- _clock ---------------------------------------------------------------------------------


def test_the_system_clock_is_the_monotonic_builtin_and_sleeps_for_real() -> None:
    assert sr.system_clock.monotonic is time.monotonic
    assert repr(sr.system_clock) == "SystemClock()"
    started = time.monotonic()
    sr.system_clock.sleep(0)  # zero and negative waits return at once
    sr.system_clock.sleep(-1)
    assert time.monotonic() - started < 0.5
    assert isinstance(sr.system_clock, sr.Clock)


@pytest.mark.anyio
async def test_the_system_clock_sleeps_on_the_running_loop() -> None:
    await sr.system_clock.sleep_async(0)  # a checkpoint on asyncio and on trio


# ---- _window --------------------------------------------------------------------------------


def test_count_window_judges_only_the_last_calls_and_needs_minimum_calls() -> None:
    tracker = sr.CountWindow(4, minimum_calls=2).tracker()
    totals = tracker.record(failed=True, slow=False, now=0)
    assert (totals.calls, totals.failure_rate) == (1, 1.0)
    for _ in range(4):
        totals = tracker.record(failed=False, slow=True, now=0)
    assert (totals.calls, totals.failure_rate, totals.slow_call_rate) == (4, 0.0, 1.0)
    tracker.clear()
    assert tracker.totals(0).calls == 0


def test_count_window_defaults_and_refusals() -> None:
    assert sr.CountWindow(5).minimum_calls == 5
    assert sr.CountWindow(100).minimum_calls == 10
    with pytest.raises(ValueError, match="minimum_calls must be <= size"):
        sr.CountWindow(3, minimum_calls=4)


def test_time_window_ages_calls_out_a_bucket_at_a_time() -> None:
    tracker = sr.TimeWindow(10, minimum_calls=1, buckets=10).tracker()
    tracker.record(failed=True, slow=False, now=0.5)
    tracker.record(failed=False, slow=False, now=5.5)
    assert tracker.totals(9.9).calls == 2
    totals = tracker.totals(10.5)  # the first bucket (0..1 s) has left the window
    assert (totals.calls, totals.failure_rate) == (1, 0.0)
    assert tracker.totals(100).calls == 0


def test_time_window_refusals() -> None:
    with pytest.raises(ValueError, match="TimeWindow: seconds must be > 0 seconds"):
        sr.TimeWindow(0)
    with pytest.raises(ValueError, match="TimeWindow: buckets must be >= 1"):
        sr.TimeWindow(10, buckets=0)
