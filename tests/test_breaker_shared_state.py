"""Breakers of the same name sharing transitions through a state store."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


def trip(cb: sr.CircuitBreaker) -> None:
    for _ in range(cb.failure_threshold):
        with pytest.raises(Boom):
            cb.call(lambda: (_ for _ in ()).throw(Boom()))


def pair(
    store: sr.CircuitStateStore, **options: object
) -> tuple[sr.CircuitBreaker, sr.CircuitBreaker]:
    # Two "processes": separate breakers and separate clocks, one store between them.
    def make():
        return sr.CircuitBreaker(
            "payments",
            failure_threshold=2,
            success_threshold=1,
            reset_timeout=30,
            clock=FakeClock(),
            state_store=store,
            **options,
        )

    return make(), make()


def test_opening_in_one_opens_the_other() -> None:
    a, b = pair(sr.InMemoryStateStore())
    trip(a)
    assert b.state is sr.CircuitState.OPEN
    with pytest.raises(sr.CircuitOpenError) as info:
        b.call(lambda: 1)
    assert info.value.retry_after == 30.0


def test_recovery_in_one_closes_the_other() -> None:
    a, b = pair(sr.InMemoryStateStore())
    trip(a)
    a.clock.advance(30)  # type: ignore[attr-defined]
    assert a.call(lambda: 1) == 1  # one trial succeeds: closed
    assert a.state is sr.CircuitState.CLOSED
    assert b.state is sr.CircuitState.CLOSED
    assert b.call(lambda: 2) == 2


def test_half_open_stays_local() -> None:
    a, b = pair(sr.InMemoryStateStore())
    trip(a)
    a.clock.advance(30)  # type: ignore[attr-defined]
    assert a.state is sr.CircuitState.HALF_OPEN
    assert b.state is sr.CircuitState.OPEN  # b's own timer has not run out


def test_forced_states_and_reset_are_shared() -> None:
    a, b = pair(sr.InMemoryStateStore())
    a.force_open()
    assert b.state is sr.CircuitState.FORCED_OPEN
    a.force_closed()
    assert b.state is sr.CircuitState.FORCED_CLOSED
    a.reset()
    assert b.state is sr.CircuitState.CLOSED


def test_a_late_breaker_starts_with_the_shared_state() -> None:
    store = sr.InMemoryStateStore()
    a, _ = pair(store)
    trip(a)
    late = sr.CircuitBreaker("payments", clock=FakeClock(), state_store=store)
    assert late.state is sr.CircuitState.OPEN


def test_other_names_are_not_affected() -> None:
    store = sr.InMemoryStateStore()
    a, _ = pair(store)
    other = sr.CircuitBreaker("search", clock=FakeClock(), state_store=store)
    trip(a)
    assert other.state is sr.CircuitState.CLOSED


def test_shared_changes_reach_listeners_but_are_not_echoed() -> None:
    published: list[sr.SharedState] = []

    class Recording(sr.InMemoryStateStore):
        def publish(self, name: str, shared: sr.SharedState) -> None:
            published.append(shared)
            super().publish(name, shared)

    events: list[sr.CircuitEvent] = []
    a, _b = pair(Recording(), listeners=[events.append])
    trip(a)
    assert [s.state for s in published] == [sr.CircuitState.OPEN]  # b did not republish
    assert [e.reason for e in events if isinstance(e, sr.CircuitStateChanged)] == [
        "2 consecutive failures",
        "changed by another breaker of this name",
    ]


def test_a_failing_store_never_breaks_the_call(caplog: pytest.LogCaptureFixture) -> None:
    class Down(sr.InMemoryStateStore):
        def publish(self, name: str, shared: sr.SharedState) -> None:
            raise ConnectionError("store unreachable")

    a, _ = pair(Down())
    with caplog.at_level(logging.ERROR, logger="steinresil"):
        trip(a)  # raises Boom, not ConnectionError
    assert a.state is sr.CircuitState.OPEN
    assert "could not publish" in caplog.text


def test_a_late_breaker_gets_the_wait_that_is_left() -> None:
    clock = FakeClock()
    store = sr.InMemoryStateStore(clock=clock)
    first = sr.CircuitBreaker("payments", failure_threshold=1, clock=clock, state_store=store)
    with pytest.raises(Boom):
        first.call(lambda: (_ for _ in ()).throw(Boom()))
    clock.advance(20)
    joining = sr.CircuitBreaker("payments", clock=clock, state_store=store)
    with pytest.raises(sr.CircuitOpenError) as info:
        joining.call(lambda: 1)
    assert info.value.retry_after == pytest.approx(10.0)


def test_a_breaker_joining_after_the_wait_ran_out_lets_a_trial_through() -> None:
    clock = FakeClock()
    store = sr.InMemoryStateStore(clock=clock)
    first = sr.CircuitBreaker("payments", failure_threshold=1, clock=clock, state_store=store)
    with pytest.raises(Boom):
        first.call(lambda: (_ for _ in ()).throw(Boom()))
    clock.advance(31)
    joining = sr.CircuitBreaker("payments", clock=clock, state_store=store)
    assert joining.accepting_calls
    assert joining.call(lambda: 1) == 1


def test_the_store_does_not_keep_dropped_breakers_alive() -> None:
    store = sr.InMemoryStateStore()
    a, b = pair(store)
    assert store.subscribers("payments") == 2
    gone = weakref.ref(b)
    del b
    gc.collect()
    assert gone() is None
    assert store.subscribers("payments") == 1
    trip(a)  # publishing to a dropped breaker is not an error
    assert store.subscribers("payments") == 1


def test_unsubscribe_of_an_unknown_pair_is_ignored() -> None:
    sr.InMemoryStateStore().unsubscribe("nobody", "nowhere")


def test_origins_are_random_per_breaker() -> None:
    store = sr.InMemoryStateStore()
    a, b = pair(store)
    assert a._origin != b._origin
    assert a._origin.startswith("payments@")
