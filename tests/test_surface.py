"""One scheme across every primitive: names, reprs, events, metrics, listeners, reset.

The scheme (see CHANGELOG, "Changed"):

- every primitive has a ``name``, ``"default"`` unless given, and takes ``registry=``;
- its repr is ``<Kind 'name' ...>``;
- its events are frozen dataclasses whose first field is the primitive's ``name``, sent to
  ``listeners=`` / ``add_listener`` / ``remove_listener``, and ``<Prefix>Event`` is the
  union of every event it sends (one class today for some: listeners typed with the alias
  keep working when events are added);
- its ``metrics`` snapshot is ``<Kind>Metrics``, counters named ``<outcome>_<things>``;
- ``reset()`` returns a primitive that keeps state (a circuit, a bucket, a cache, the last
  entry used) to how it started; counters are kept, as exporters need them monotonic.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable

import pytest

import steinresil as sr
from steinresil.testing import FakeClock

MAKERS: dict[str, Callable[..., object]] = {
    "CircuitBreaker": sr.CircuitBreaker,
    "RetryPolicy": sr.RetryPolicy,
    "RetryBudget": sr.RetryBudget,
    "Bulkhead": lambda **kw: sr.Bulkhead(2, **kw),
    "RateLimiter": lambda **kw: sr.RateLimiter(5, **kw),
    "Timeout": lambda **kw: sr.Timeout(1.0, **kw),
    "FallbackChain": lambda **kw: sr.FallbackChain([lambda: 1], **kw),
    "HealthAggregator": sr.HealthAggregator,
}

EVENTS: dict[str, object] = {
    "CircuitBreaker": sr.CircuitEvent,
    "RetryPolicy": sr.RetryEvent,
    "RetryBudget": sr.RetryBudgetEvent,
    "Bulkhead": sr.BulkheadEvent,
    "RateLimiter": sr.RateLimitEvent,
    "Timeout": sr.TimeoutEvent,
    "FallbackChain": sr.FallbackEvent,
    "HealthAggregator": sr.HealthEvent,
}


@pytest.mark.parametrize("kind", MAKERS)
def test_every_primitive_is_named_default_unless_given_and_shows_it_first(kind: str) -> None:
    unnamed, named = MAKERS[kind](), MAKERS[kind](name="api")
    assert unnamed.name == "default"  # type: ignore[attr-defined]
    assert repr(unnamed).startswith(f"<{kind} 'default'")
    assert repr(named).startswith(f"<{kind} 'api'")
    assert repr(named).endswith(">")


@pytest.mark.parametrize("kind", MAKERS)
def test_every_event_starts_with_the_name_of_the_primitive_that_sent_it(kind: str) -> None:
    alias = EVENTS[kind]
    members = typing.get_args(alias) or (alias,)
    for event in members:
        assert isinstance(event, type)
        fields = dataclasses.fields(event)
        assert fields[0].name == "name", event
        assert event.__dataclass_params__.frozen  # type: ignore[attr-defined]
        # one word for the error an event carries: `error`, never `exception`
        assert "exception" not in {field.name for field in fields}


@pytest.mark.parametrize("kind", MAKERS)
def test_every_primitive_adds_and_removes_listeners(kind: str) -> None:
    primitive: typing.Any = MAKERS[kind]()
    events: list[object] = []
    primitive.add_listener(events.append)
    primitive.remove_listener(events.append)
    with pytest.raises(ValueError, match="is not a listener"):
        primitive.remove_listener(events.append)


WITHOUT_METRICS = {"FallbackChain", "HealthAggregator"}  # a chain's last_used, health's report


@pytest.mark.parametrize("kind", [kind for kind in MAKERS if kind not in WITHOUT_METRICS])
def test_metrics_are_named_after_their_class(kind: str) -> None:
    snapshot = MAKERS[kind](name="m").metrics  # type: ignore[attr-defined]
    assert type(snapshot).__name__ == f"{kind}Metrics"
    assert type(snapshot) is getattr(sr, f"{kind}Metrics")
    assert snapshot.name == "m"


def test_counters_name_the_outcome_then_what_is_counted() -> None:
    counters = {
        sr.CircuitBreakerMetrics: {"successful_calls", "failed_calls", "rejected_calls"},
        sr.BulkheadMetrics: {"admitted_calls", "rejected_calls"},
        sr.RateLimiterMetrics: {"admitted_calls", "rejected_calls"},
        sr.RetryBudgetMetrics: {"granted_retries", "refused_retries"},
        sr.TimeoutMetrics: {"timed_out_calls", "abandoned_calls"},
        sr.RetryPolicyMetrics: {"successful_calls", "failed_calls"},
    }
    for metrics, names in counters.items():
        assert names <= {field.name for field in dataclasses.fields(metrics)}, metrics


def test_a_timeout_error_says_seconds_as_its_timeout_does() -> None:
    error = sr.TimeoutExceededError("db", 2.0)
    assert (error.name, error.seconds) == ("db", sr.Timeout(2.0).seconds)


# ---- reset ---------------------------------------------------------------------------------


def test_rate_limiter_reset_refills_the_bucket_and_keeps_the_counters() -> None:
    limiter = sr.RateLimiter(1, per=60.0, clock=FakeClock())
    limiter.call(lambda: 1)
    with pytest.raises(sr.RateLimitExceededError):
        limiter.call(lambda: 1)
    limiter.reset()
    assert limiter.call(lambda: 2) == 2
    assert (limiter.metrics.admitted_calls, limiter.metrics.rejected_calls) == (2, 1)


def test_retry_budget_reset_refills_it_and_keeps_the_counters() -> None:
    budget = sr.RetryBudget(ratio=0.0, min_per_second=0.1, burst=1, clock=FakeClock())
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    budget.reset()
    assert budget.balance == 1
    assert (budget.metrics.granted_retries, budget.metrics.refused_retries) == (1, 1)


def test_retry_budget_tells_its_listeners_when_it_refuses() -> None:
    events: list[sr.RetryBudgetEvent] = []
    budget = sr.RetryBudget(
        ratio=0.0,
        min_per_second=0.1,
        burst=1,
        name="shared",
        clock=FakeClock(),
        listeners=[events.append],
    )
    assert budget.try_withdraw()
    assert events == []
    assert not budget.try_withdraw()
    assert events == [sr.RetryBudgetExhausted("shared", 0.0)]


def test_fallback_chain_reset_forgets_the_entry_used_last() -> None:
    chain = sr.FallbackChain([lambda: 1])
    chain.call()
    assert chain.last_used is not None
    chain.reset()
    assert chain.last_used is None


def test_health_reset_runs_every_check_afresh_and_announces_the_next_status_as_first() -> None:
    runs: list[int] = []
    changes: list[sr.HealthEvent] = []

    def check() -> bool:
        runs.append(1)
        return True

    health = sr.HealthAggregator(cache_ttl=60.0, clock=FakeClock(), listeners=[changes.append])
    health.register("db", check)
    health.check()
    health.check()
    assert len(runs) == 1  # cached
    health.reset()
    assert health.last_report is None
    health.check()
    assert len(runs) == 2
    firsts = [e for e in changes if isinstance(e, sr.HealthStatusChanged) and e.old_status is None]
    assert len(firsts) == 2
