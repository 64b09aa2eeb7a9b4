"""Every primitive with listeners can also remove them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import steinresil as sr

MAKERS: dict[str, Callable[[], object]] = {
    "breaker": lambda: sr.CircuitBreaker("b"),
    "retry": lambda: sr.RetryPolicy(max_retries=0),
    "retry_budget": sr.RetryBudget,
    "fallback": lambda: sr.FallbackChain([lambda: 1]),
    "health": sr.HealthAggregator,
    "timeout": lambda: sr.Timeout(1.0),
    "bulkhead": lambda: sr.Bulkhead(max_concurrent=1),
    "rate_limiter": lambda: sr.RateLimiter(rate=1, per=1.0),
}


@pytest.mark.parametrize("kind", MAKERS)
def test_remove_listener_undoes_add_listener(kind: str) -> None:
    primitive = MAKERS[kind]()
    events: list[object] = []
    primitive.add_listener(events.append)  # type: ignore[attr-defined]
    assert events.append in primitive._listeners  # type: ignore[attr-defined]
    primitive.remove_listener(events.append)  # type: ignore[attr-defined]
    assert primitive._listeners == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", MAKERS)
def test_removing_a_listener_never_added_names_it(kind: str) -> None:
    primitive = MAKERS[kind]()

    def stranger(event: object) -> None: ...

    with pytest.raises(ValueError, match=r"stranger.*is not a listener"):
        primitive.remove_listener(stranger)  # type: ignore[attr-defined]


def test_a_removed_listener_hears_nothing_more() -> None:
    events: list[sr.CircuitEvent] = []
    cb = sr.CircuitBreaker("b", failure_threshold=1, listeners=[events.append])
    cb.remove_listener(events.append)
    cb.force_open()
    assert events == []
