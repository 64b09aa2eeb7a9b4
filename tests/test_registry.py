from __future__ import annotations

import threading

import pytest

import steinresil as sr


def test_get_or_create_each_kind() -> None:
    registry = sr.Registry()
    cb = registry.circuit_breaker("db", failure_threshold=2)
    assert registry.circuit_breaker("db", failure_threshold=9) is cb  # first caller decides
    assert cb.failure_threshold == 2
    bulkhead = registry.bulkhead("reports", max_concurrent=3)
    assert registry.bulkhead("reports") is bulkhead
    limiter = registry.rate_limiter("mail", rate=5)
    assert registry.rate_limiter("mail") is limiter
    policy = registry.retry_policy("fetch", max_retries=1)
    assert registry.retry_policy("fetch") is policy
    assert registry.retry_policies() == [policy]
    # the same name in different kinds is fine
    assert registry.circuit_breaker("mail") is not limiter
    assert registry.circuit_breakers() == [cb, registry.circuit_breaker("mail")]
    assert registry.bulkheads() == [bulkhead]
    assert registry.rate_limiters() == [limiter]
    assert registry.get(sr.Bulkhead, "reports") is bulkhead
    assert registry.get(sr.Bulkhead, "nope") is None
    assert len(registry) == 5
    assert repr(registry) == "<Registry with 5 instances>"
    registry.clear()
    assert list(registry) == []


def test_bad_options_surface_from_get_or_create() -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        sr.Registry().bulkhead("x", max_concurrent=0)


def test_concurrent_get_or_create_yields_one_instance() -> None:
    registry = sr.Registry()
    start = threading.Barrier(8)
    seen: list[sr.CircuitBreaker] = []

    def worker() -> None:
        start.wait()
        seen.append(registry.circuit_breaker("shared"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in seen}) == 1


def test_instances_join_only_when_asked() -> None:
    before = len(sr.default_registry)
    sr.CircuitBreaker("lonely")
    assert len(sr.default_registry) == before
    cb = sr.CircuitBreaker("joined", registry=sr.default_registry)
    try:
        assert sr.default_registry.get(sr.CircuitBreaker, "joined") is cb
    finally:
        sr.default_registry.remove(cb)


def test_get_or_create_takes_every_kind_and_the_shorthands_cover_the_built_in_ones() -> None:
    registry = sr.Registry()
    timeout = registry.timeout("render", seconds=2.0)
    assert registry.timeout("render", seconds=9.0) is timeout
    assert timeout.seconds == 2.0
    budget = registry.retry_budget("shared", ratio=0.1)
    assert registry.retry_budget("shared") is budget
    assert (registry.timeouts(), registry.retry_budgets()) == ([timeout], [budget])
    chain = registry.get_or_create(sr.FallbackChain, "ai", entries=[lambda: 1])
    assert registry.get_or_create(sr.FallbackChain, "ai", entries=[]) is chain
    health = registry.get_or_create(sr.HealthAggregator, "app", timeout=1.0)
    assert registry.of_kind(sr.HealthAggregator) == [health]
    assert registry.get(sr.FallbackChain, "ai") is chain


def test_every_primitive_joins_a_registry_when_given_one() -> None:
    registry = sr.Registry()
    made = [
        sr.CircuitBreaker("a", registry=registry),
        sr.RetryPolicy(name="a", registry=registry),
        sr.RetryBudget(name="a", registry=registry),
        sr.Bulkhead(1, name="a", registry=registry),
        sr.RateLimiter(1, name="a", registry=registry),
        sr.Timeout(1.0, name="a", registry=registry),
        sr.FallbackChain([lambda: 1], name="a", registry=registry),
        sr.HealthAggregator(name="a", registry=registry),
    ]
    assert len(registry) == len(made)
    for instance in made:
        assert registry.get(type(instance), "a") is instance
