from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import steinresil as sr
from steinresil.testing import FakeClock


class Down(Exception):
    pass


def down() -> None:
    raise Down


def test_defaults() -> None:
    budget = sr.RetryBudget()
    assert (budget.ratio, budget.min_per_second, budget.burst) == (0.2, 10.0, 100.0)
    assert budget.name == "default"
    assert budget.balance == 100.0
    assert "ratio=0.2" in repr(budget)


def test_ratio_only_budget_holds_at_least_one_token() -> None:
    assert sr.RetryBudget(ratio=0.5, min_per_second=0).burst == 1.0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ratio": -0.1}, "ratio"),
        ({"ratio": math.nan}, "ratio"),
        ({"ratio": "0.2"}, "ratio"),
        ({"ratio": True}, "ratio"),
        ({"min_per_second": -1}, "min_per_second"),
        ({"min_per_second": math.inf}, "min_per_second"),
        ({"ratio": 0, "min_per_second": 0}, "ratio and min_per_second"),
        ({"burst": 0.5}, "burst"),
        ({"burst": -1}, "burst"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_configuration_names_the_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        sr.RetryBudget(**options)


def test_withdraw_until_empty_then_refuse(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.5, min_per_second=0, burst=2, clock=clock)
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    assert budget.balance == 0
    budget.deposit()
    assert not budget.try_withdraw()  # half a token is not a retry
    budget.deposit()
    assert budget.try_withdraw()
    m = budget.metrics
    assert (m.deposits, m.granted_retries, m.refused_retries, m.balance) == (2, 3, 2, 0)


def test_refills_with_time_up_to_burst(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.1, min_per_second=2, burst=5, clock=clock)
    for _ in range(5):
        assert budget.try_withdraw()
    assert not budget.try_withdraw()
    clock.advance(0.5)
    assert budget.try_withdraw()  # 0.5 s x 2/s = one token
    clock.advance(100)
    assert budget.balance == 5  # capped
    for _ in range(100):
        budget.deposit()
    assert budget.balance == 5


def test_registry() -> None:
    registry = sr.Registry()
    budget = sr.RetryBudget(name="shared", registry=registry)
    assert list(registry) == [budget]


def test_in_an_outage_retries_add_at_most_ratio_extra_load(clock: FakeClock) -> None:
    """1,000 calls fail during an outage: with a 20 % budget, at most 20 % more attempts."""
    budget = sr.RetryBudget(ratio=0.2, min_per_second=0, burst=1, clock=clock)
    policy = sr.RetryPolicy(3, initial_delay=0, max_delay=0, budget=budget, clock=clock)
    attempts = 0

    def failing() -> None:
        nonlocal attempts
        attempts += 1
        raise Down

    for _ in range(1000):
        with pytest.raises(Down):
            policy.call(failing)
    retries = attempts - 1000
    assert retries <= 0.2 * 1000 + 1  # plus the one token the bucket started with
    assert retries >= 0.2 * 1000 - 1
    assert policy.metrics.failed_calls_by_reason[sr.GiveUpReason.BUDGET] > 0
    without_budget = 3 * 1000
    assert retries < without_budget / 10


def test_min_per_second_keeps_a_quiet_client_retrying(clock: FakeClock) -> None:
    budget = sr.RetryBudget(ratio=0.0, min_per_second=1, burst=1, clock=clock)
    policy = sr.RetryPolicy(1, initial_delay=0, max_delay=0, budget=budget, clock=clock)
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise Down
        return "ok"

    for _ in range(5):
        assert policy.call(flaky) == "ok"
        clock.advance(1.0)
    assert budget.metrics.refused_retries == 0


operations = st.lists(
    st.one_of(
        st.just(("deposit", 0.0)),
        st.just(("withdraw", 0.0)),
        st.tuples(st.just("advance"), st.floats(0, 10, allow_nan=False)),
    ),
    max_size=200,
)


@given(
    ratio=st.floats(0, 2, allow_nan=False),
    min_per_second=st.floats(0, 50, allow_nan=False),
    burst=st.floats(1, 200, allow_nan=False),
    ops=operations,
)
def test_balance_never_negative_nor_above_burst(
    ratio: float, min_per_second: float, burst: float, ops: list[tuple[str, float]]
) -> None:
    if ratio == 0 and min_per_second == 0:
        min_per_second = 1.0
    clock = FakeClock()
    budget = sr.RetryBudget(ratio, min_per_second, burst=burst, clock=clock)
    deposits = granted = 0
    for op, seconds in ops:
        if op == "deposit":
            budget.deposit()
            deposits += 1
        elif op == "withdraw":
            granted += budget.try_withdraw()
        else:
            clock.advance(seconds)
        assert 0 <= budget.balance <= burst
    # Nothing is granted beyond what was there, deposited or refilled.
    earned = burst + ratio * deposits + min_per_second * clock.monotonic()
    assert granted <= earned + 1e-9
    assert budget.metrics.granted_retries == granted
