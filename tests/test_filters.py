"""Exception filters (``record``, ``ignore``, ``retry_on``, ``when``) and user predicates."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import steinresil as sr
from steinresil._filters import exception_filter, is_failure
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


class PredicateBug(Exception):
    pass


def boom() -> None:
    raise Boom


def buggy(_: object) -> bool:
    raise PredicateBug


# ---- validation at construction --------------------------------------------------------

NOT_EXCEPTIONS: list[tuple[str, Callable[[], object]]] = [
    ("record", lambda: sr.CircuitBreaker("x", record=int)),  # type: ignore[arg-type]
    ("ignore", lambda: sr.CircuitBreaker("x", ignore=str)),  # type: ignore[arg-type]
    ("record", lambda: sr.CircuitBreaker("x", record=(KeyError, dict))),  # type: ignore[arg-type]
    ("when", lambda: sr.Fallback(print, when=dict)),  # type: ignore[arg-type]
    ("when", lambda: sr.FallbackChain([print], when=int)),  # type: ignore[arg-type]
    ("retry_on", lambda: sr.RetryPolicy(retry_on=int)),  # type: ignore[arg-type]
    ("record", lambda: sr.CircuitBreaker("x", record=3)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("field", "build"), NOT_EXCEPTIONS)
def test_classes_that_are_not_exceptions_are_refused(field: str, build: Callable[[], object]):
    with pytest.raises(ValueError, match=rf"{field} must be an exception class") as info:
        build()
    assert "got" in str(info.value)


def test_retry_on_cannot_name_cancellation() -> None:
    with pytest.raises(ValueError, match="retry_on cannot name KeyboardInterrupt"):
        sr.RetryPolicy(retry_on=(Boom, KeyboardInterrupt))


def test_predicates_and_tuples_are_accepted() -> None:
    sr.CircuitBreaker("x", record=lambda e: True, ignore=(KeyError, ValueError))
    sr.FallbackChain([print], when=lambda e: isinstance(e, Boom))


def test_filter_rules() -> None:
    refusal = sr.BulkheadFullError("b", 1)
    assert is_failure(Boom())
    assert not is_failure(refusal)
    assert not is_failure(KeyboardInterrupt())
    named = exception_filter("o", "f", (Boom, sr.CallRejectedError), refusals_when_named=True)
    assert named(refusal)
    assert named(Boom())
    assert not named(KeyError())
    by_root = exception_filter("o", "f", sr.ResilienceError, refusals_when_named=True)
    assert by_root(refusal)
    plain = exception_filter("o", "f", Exception, refusals_when_named=False)
    assert plain(refusal)


# ---- record=Exception is the default (item 5) --------------------------------------------


@pytest.mark.parametrize("record", [None, Exception, (Exception,), (Boom, Exception)])
def test_record_exception_given_explicitly_does_not_count_inner_refusals(
    clock: FakeClock, record: object
) -> None:
    bulkhead = sr.Bulkhead(max_concurrent=1)
    cb = sr.CircuitBreaker("x", failure_threshold=1, record=record, clock=clock)  # type: ignore[arg-type]
    pipeline = sr.Pipeline(cb, bulkhead)
    with bulkhead:  # the bulkhead is full
        for _ in range(3):
            with pytest.raises(sr.BulkheadFullError):
                pipeline.call(lambda: 1)
    assert cb.state is sr.CircuitState.CLOSED
    assert cb.metrics.failed_calls == 0
    assert cb.metrics.successful_calls == 0  # nor a success: not counted at all


def test_naming_a_refusal_counts_it(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker("x", failure_threshold=1, record=sr.BulkheadFullError, clock=clock)
    with pytest.raises(sr.BulkheadFullError):
        cb.call(lambda: (_ for _ in ()).throw(sr.BulkheadFullError("inner", 1)))
    assert cb.state is sr.CircuitState.OPEN


# ---- a predicate that raises gives the trial slot back (item 1) ---------------------------


def half_open(clock: FakeClock, **options: object) -> sr.CircuitBreaker:
    cb = sr.CircuitBreaker("x", failure_threshold=1, reset_timeout=10, clock=clock, **options)  # type: ignore[arg-type]
    with pytest.raises((Boom, PredicateBug)):  # through a buggy predicate or not: it opens
        cb.call(boom)
    clock.advance(10)
    assert cb.state is sr.CircuitState.HALF_OPEN
    return cb


@pytest.mark.parametrize("option", ["record", "ignore"])
def test_a_raising_exception_predicate_still_releases_the_trial(
    clock: FakeClock, option: str
) -> None:
    cb = half_open(clock, **{option: buggy})
    with pytest.raises(PredicateBug) as info:
        cb.call(boom)  # the trial: its predicate raises
    assert isinstance(info.value.__context__, Boom)  # the call's own error is kept
    assert cb.state is sr.CircuitState.OPEN  # counted as a failed trial, slot given back
    clock.advance(10)
    assert cb.accepting_calls


def test_a_raising_result_predicate_still_releases_the_trial(clock: FakeClock) -> None:
    cb = sr.CircuitBreaker(
        "x", failure_threshold=1, reset_timeout=10, record_result=buggy, clock=clock
    )
    with pytest.raises(Boom):
        cb.call(boom)
    clock.advance(10)
    with pytest.raises(PredicateBug):
        cb.call(lambda: 1)
    assert cb.state is sr.CircuitState.OPEN
    clock.advance(10)
    assert cb.accepting_calls


@pytest.mark.anyio
async def test_a_raising_predicate_in_async_with_releases_the_trial(clock: FakeClock) -> None:
    cb = half_open(clock, record=buggy)
    with pytest.raises(PredicateBug):
        async with cb:
            raise Boom
    assert cb.state is sr.CircuitState.OPEN


def test_a_predicate_raising_base_exception_releases_without_counting(clock: FakeClock) -> None:
    def interrupted(_: object) -> bool:
        raise KeyboardInterrupt

    cb = sr.CircuitBreaker("x", failure_threshold=1, record=interrupted, clock=clock)
    with pytest.raises(KeyboardInterrupt):
        cb.call(boom)
    assert cb.metrics.ignored_calls == 1
    assert cb.state is sr.CircuitState.CLOSED


def test_a_policy_says_whether_it_would_retry_an_error() -> None:
    policy = sr.RetryPolicy()
    assert policy.retries(Boom())
    assert not policy.retries(sr.CircuitOpenError("b", 1.0))
    assert sr.RetryPolicy(retry_on=sr.CircuitOpenError).retries(sr.CircuitOpenError("b", 1.0))
