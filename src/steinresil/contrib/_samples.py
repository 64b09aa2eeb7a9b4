"""What the metrics integrations export, computed once for all of them.

Every registered instance is turned into samples at collection time, from its ``metrics``
snapshot. The integrations only translate these samples into their own types, so the
names, labels and meanings below are the same for Prometheus and OpenTelemetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from steinresil._breaker import CircuitBreakerMetrics
from steinresil._budget import RetryBudgetMetrics
from steinresil._bulkhead import BulkheadMetrics
from steinresil._circuit_state import CircuitState
from steinresil._rate_limit import RateLimiterMetrics
from steinresil._retry import RetryPolicyMetrics
from steinresil._timeout import TimeoutMetrics

if TYPE_CHECKING:
    from collections.abc import Iterator

    from steinresil._registry import Registry

__all__ = ["SPECS", "MetricSpec", "Sample", "samples"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One exported metric: ``name`` is without namespace and without ``_total``."""

    name: str
    kind: Literal["gauge", "counter"]
    help: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    spec: MetricSpec
    labels: tuple[str, ...]
    value: float


def _spec(name: str, kind: Literal["gauge", "counter"], help_: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, kind, help_, ("name", *labels))


BREAKER_STATE = _spec(
    "circuit_breaker_state", "gauge", "1 for the state the circuit breaker is in, else 0.", "state"
)
BREAKER_CALLS = _spec(
    "circuit_breaker_calls",
    "counter",
    "Calls through the circuit breaker by outcome: success, failure, ignored, rejected.",
    "outcome",
)
BREAKER_SLOW_CALLS = _spec(
    "circuit_breaker_slow_calls", "counter", "Calls that took slow_call_duration or longer."
)
BREAKER_FAILURE_RATE = _spec(
    "circuit_breaker_failure_rate", "gauge", "Failed share of the sliding window (rate mode only)."
)
BULKHEAD_IN_USE = _spec("bulkhead_in_use", "gauge", "Calls running inside the bulkhead now.")
BULKHEAD_QUEUED = _spec("bulkhead_queued", "gauge", "Calls waiting for a bulkhead slot now.")
BULKHEAD_MAX = _spec("bulkhead_max_concurrent", "gauge", "Calls the bulkhead runs at once.")
BULKHEAD_CALLS = _spec(
    "bulkhead_calls", "counter", "Calls at the bulkhead by outcome: admitted, rejected.", "outcome"
)
LIMITER_CALLS = _spec(
    "rate_limiter_calls",
    "counter",
    "Calls at the rate limiter by outcome: admitted, rejected.",
    "outcome",
)
LIMITER_AVAILABLE = _spec("rate_limiter_available", "gauge", "Tokens available now.")
RETRY_CALLS = _spec(
    "retry_calls",
    "counter",
    "Finished calls by outcome: success_first_try, success_after_retry, or the give-up "
    "reason (exhausted, deadline, budget, not_retryable, retry_after_too_long).",
    "outcome",
)
RETRY_RETRIES = _spec("retry_retries", "counter", "Retries made (waits scheduled).")
BUDGET_BALANCE = _spec("retry_budget_balance", "gauge", "Retries the budget would grant now.")
BUDGET_RETRIES = _spec(
    "retry_budget_retries", "counter", "Retries asked of the budget by outcome.", "outcome"
)
TIMEOUT_CALLS = _spec(
    "timeout_calls", "counter", "Calls at the timeout by outcome: timed_out.", "outcome"
)
TIMEOUT_ABANDONED = _spec(
    "timeout_abandoned_calls", "gauge", "Sync calls given up on that still run in a thread."
)
TIMEOUT_SECONDS = _spec("timeout_seconds", "gauge", "The time limit, in seconds.")

SPECS: tuple[MetricSpec, ...] = (
    BREAKER_STATE,
    BREAKER_CALLS,
    BREAKER_SLOW_CALLS,
    BREAKER_FAILURE_RATE,
    BULKHEAD_IN_USE,
    BULKHEAD_QUEUED,
    BULKHEAD_MAX,
    BULKHEAD_CALLS,
    LIMITER_CALLS,
    LIMITER_AVAILABLE,
    RETRY_CALLS,
    RETRY_RETRIES,
    BUDGET_BALANCE,
    BUDGET_RETRIES,
    TIMEOUT_CALLS,
    TIMEOUT_ABANDONED,
    TIMEOUT_SECONDS,
)


def _breaker(m: CircuitBreakerMetrics) -> Iterator[Sample]:
    for state in CircuitState:
        yield Sample(BREAKER_STATE, (m.name, state.value), float(m.state is state))
    yield Sample(BREAKER_CALLS, (m.name, "success"), m.successful_calls)
    yield Sample(BREAKER_CALLS, (m.name, "failure"), m.failed_calls)
    yield Sample(BREAKER_CALLS, (m.name, "ignored"), m.ignored_calls)
    yield Sample(BREAKER_CALLS, (m.name, "rejected"), m.rejected_calls)
    yield Sample(BREAKER_SLOW_CALLS, (m.name,), m.slow_calls)
    if m.failure_rate is not None:
        yield Sample(BREAKER_FAILURE_RATE, (m.name,), m.failure_rate)


def _bulkhead(m: BulkheadMetrics) -> Iterator[Sample]:
    yield Sample(BULKHEAD_IN_USE, (m.name,), m.in_use)
    yield Sample(BULKHEAD_QUEUED, (m.name,), m.queued)
    yield Sample(BULKHEAD_MAX, (m.name,), m.max_concurrent)
    yield Sample(BULKHEAD_CALLS, (m.name, "admitted"), m.admitted_calls)
    yield Sample(BULKHEAD_CALLS, (m.name, "rejected"), m.rejected_calls)


def _limiter(m: RateLimiterMetrics) -> Iterator[Sample]:
    yield Sample(LIMITER_CALLS, (m.name, "admitted"), m.admitted_calls)
    yield Sample(LIMITER_CALLS, (m.name, "rejected"), m.rejected_calls)
    yield Sample(LIMITER_AVAILABLE, (m.name,), m.available)


def _retry(m: RetryPolicyMetrics) -> Iterator[Sample]:
    first_try = m.successful_calls - m.successful_calls_after_retry
    yield Sample(RETRY_CALLS, (m.name, "success_first_try"), first_try)
    yield Sample(RETRY_CALLS, (m.name, "success_after_retry"), m.successful_calls_after_retry)
    for reason, count in m.failed_calls_by_reason.items():
        yield Sample(RETRY_CALLS, (m.name, reason.value), count)
    yield Sample(RETRY_RETRIES, (m.name,), m.retries)


def _budget(m: RetryBudgetMetrics) -> Iterator[Sample]:
    yield Sample(BUDGET_BALANCE, (m.name,), m.balance)
    yield Sample(BUDGET_RETRIES, (m.name, "granted"), m.granted_retries)
    yield Sample(BUDGET_RETRIES, (m.name, "refused"), m.refused_retries)


def _timeout(m: TimeoutMetrics) -> Iterator[Sample]:
    yield Sample(TIMEOUT_CALLS, (m.name, "timed_out"), m.timed_out_calls)
    yield Sample(TIMEOUT_ABANDONED, (m.name,), m.abandoned_calls)
    yield Sample(TIMEOUT_SECONDS, (m.name,), m.seconds)


def samples(registry: Registry) -> Iterator[Sample]:
    """Every sample for every instance in ``registry`` that has metrics to export."""
    for instance in registry:
        snapshot = getattr(instance, "metrics", None)
        if isinstance(snapshot, CircuitBreakerMetrics):
            yield from _breaker(snapshot)
        elif isinstance(snapshot, BulkheadMetrics):
            yield from _bulkhead(snapshot)
        elif isinstance(snapshot, RateLimiterMetrics):
            yield from _limiter(snapshot)
        elif isinstance(snapshot, RetryPolicyMetrics):
            yield from _retry(snapshot)
        elif isinstance(snapshot, RetryBudgetMetrics):
            yield from _budget(snapshot)
        elif isinstance(snapshot, TimeoutMetrics):
            yield from _timeout(snapshot)
