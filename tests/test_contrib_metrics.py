"""The Prometheus collector and the OpenTelemetry instruments, scraped for real."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import steinresil as sr
from steinresil.contrib.otel import instrument
from steinresil.contrib.prometheus import SteinresilCollector, register_collector
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


def populated(clock: FakeClock) -> sr.Registry:
    registry = sr.Registry()
    db = sr.CircuitBreaker("db", failure_threshold=2, clock=clock, registry=registry)
    db.call(lambda: 1)
    for _ in range(2):
        with pytest.raises(Boom):
            db.call(lambda: (_ for _ in ()).throw(Boom()))
    with pytest.raises(sr.CircuitOpenError):
        db.call(lambda: 1)
    search = sr.CircuitBreaker(
        "search", window=sr.CountWindow(4, minimum_calls=4), registry=registry
    )
    search.call(lambda: 1)
    bulkhead = sr.Bulkhead(2, name="reports", registry=registry)
    bulkhead.call(lambda: 1)
    limiter = sr.RateLimiter(1, per=60.0, name="mail", clock=clock, registry=registry)
    limiter.call(lambda: 1)
    with pytest.raises(sr.RateLimitExceededError):
        limiter.call(lambda: 1)
    budget = sr.RetryBudget(
        ratio=0.1, min_per_second=0, burst=1, name="shared", clock=clock, registry=registry
    )
    policy = sr.RetryPolicy(
        max_retries=2, initial_delay=0, budget=budget, name="fetch", clock=clock, registry=registry
    )
    policy.call(lambda: 1)
    attempts = iter([Boom(), None])

    def flaky() -> int:
        error = next(attempts)
        if error is not None:
            raise error
        return 2

    assert policy.call(flaky) == 2
    with pytest.raises(Boom):
        policy.call(lambda: (_ for _ in ()).throw(Boom()))
    assert registry.timeout("render", seconds=2.5).call(lambda: 3) == 3
    return registry


def scrape(
    registry: sr.Registry, namespace: str = "steinresil"
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    prom = CollectorRegistry()
    register_collector(registry, prometheus_registry=prom, namespace=namespace)
    text = generate_latest(prom).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_prometheus_collector_exports_every_instance(clock: FakeClock) -> None:
    found = scrape(populated(clock))
    assert found[("steinresil_circuit_breaker_state", (("name", "db"), ("state", "open")))] == 1
    assert found[("steinresil_circuit_breaker_state", (("name", "db"), ("state", "closed")))] == 0
    assert (
        found[("steinresil_circuit_breaker_state", (("name", "search"), ("state", "closed")))] == 1
    )
    calls = {
        outcome: found[
            ("steinresil_circuit_breaker_calls_total", (("name", "db"), ("outcome", outcome)))
        ]
        for outcome in ("success", "failure", "ignored", "rejected")
    }
    assert calls == {"success": 1, "failure": 2, "ignored": 0, "rejected": 1}
    assert found[("steinresil_circuit_breaker_failure_rate", (("name", "search"),))] == 0.0
    assert ("steinresil_circuit_breaker_failure_rate", (("name", "db"),)) not in found
    assert found[("steinresil_bulkhead_in_use", (("name", "reports"),))] == 0
    assert found[("steinresil_bulkhead_max_concurrent", (("name", "reports"),))] == 2
    assert (
        found[("steinresil_bulkhead_calls_total", (("name", "reports"), ("outcome", "admitted")))]
        == 1
    )
    assert (
        found[("steinresil_rate_limiter_calls_total", (("name", "mail"), ("outcome", "rejected")))]
        == 1
    )
    assert found[("steinresil_rate_limiter_available", (("name", "mail"),))] == 0


def test_prometheus_exports_retries_and_budgets(clock: FakeClock) -> None:
    found = scrape(populated(clock))

    def retry_calls(outcome: str) -> float:
        return found[("steinresil_retry_calls_total", (("name", "fetch"), ("outcome", outcome)))]

    assert retry_calls("success_first_try") == 1
    assert retry_calls("success_after_retry") == 1
    assert retry_calls("budget") == 1  # the budget had only one token, spent on flaky()
    assert retry_calls("exhausted") == 0
    assert found[("steinresil_retry_retries_total", (("name", "fetch"),))] == 1
    assert (
        found[
            ("steinresil_retry_budget_retries_total", (("name", "shared"), ("outcome", "refused")))
        ]
        == 1
    )
    assert ("steinresil_retry_budget_balance", (("name", "shared"),)) in found


def test_prometheus_exports_timeouts(clock: FakeClock) -> None:
    found = scrape(populated(clock))
    name = (("name", "render"),)
    assert found[("steinresil_timeout_seconds", name)] == 2.5
    assert found[("steinresil_timeout_abandoned_calls", name)] == 0
    assert found[("steinresil_timeout_calls_total", (*name, ("outcome", "timed_out")))] == 0


def test_prometheus_namespace_and_validation(clock: FakeClock) -> None:
    found = scrape(populated(clock), namespace="erp_steinmetz")
    assert ("erp_steinmetz_circuit_breaker_slow_calls_total", (("name", "db"),)) in found
    with pytest.raises(ValueError, match="namespace"):
        SteinresilCollector(sr.Registry(), namespace="bad-name")


def test_prometheus_refuses_a_second_collector_with_the_same_names() -> None:
    prom = CollectorRegistry()
    register_collector(sr.Registry(), prometheus_registry=prom)
    with pytest.raises(ValueError, match="Duplicated"):
        register_collector(sr.Registry(), prometheus_registry=prom)


def test_empty_registry_scrapes_cleanly() -> None:
    assert scrape(sr.Registry()) == {}


def test_otel_instruments_report_the_same_numbers(clock: FakeClock) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    try:
        made = instrument(populated(clock), meter_provider=provider)
        assert "steinresil.circuit_breaker.calls" in made.names
        data = reader.get_metrics_data()
        assert data is not None
        points = {
            (metric.name, tuple(sorted(point.attributes.items()))): point.value
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            for point in metric.data.data_points
        }
    finally:
        provider.shutdown()
    assert (
        points[("steinresil.circuit_breaker.calls", (("name", "db"), ("outcome", "failure")))] == 2
    )
    assert points[("steinresil.circuit_breaker.state", (("name", "db"), ("state", "open")))] == 1
    assert (
        points[("steinresil.bulkhead.calls", (("name", "reports"), ("outcome", "admitted")))] == 1
    )
    assert points[("steinresil.rate_limiter.available", (("name", "mail"),))] == 0
    assert points[("steinresil.retry.retries", (("name", "fetch"),))] == 1
    assert (
        points[("steinresil.retry_budget.retries", (("name", "shared"), ("outcome", "granted")))]
        == 1
    )
    assert points[("steinresil.timeout.seconds", (("name", "render"),))] == 2.5
