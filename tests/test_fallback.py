"""FallbackChain: order, skipping, error filtering, events, the group error, hedging."""

from __future__ import annotations

import asyncio
import inspect
import math

import anyio
import anyio.lowlevel
import pytest

import steinresil as sr
from steinresil.testing import FakeClock, set_state


class Recorder:
    """An entry that records its calls and answers or raises as told."""

    def __init__(self, name: str, result: object = None, error: BaseException | None = None):
        self.__name__ = name
        self.result = result if result is not None else f"{name} answer"
        self.error = error
        self.calls: list[tuple[object, ...]] = []

    def __call__(self, *args: object) -> object:
        self.calls.append(args)
        if self.error is not None:
            raise self.error
        return self.result


class AsyncRecorder(Recorder):
    async def __call__(self, *args: object) -> object:  # type: ignore[override]
        await anyio.lowlevel.checkpoint()
        return super().__call__(*args)


async def hang_forever(*args: object) -> str:
    await anyio.Event().wait()
    raise AssertionError("unreachable")


# ---- order and error filtering -----------------------------------------------------------


def test_the_first_entry_answers_and_the_rest_are_not_called() -> None:
    first, second = Recorder("openai"), Recorder("ollama")
    events: list[object] = []
    chain = sr.FallbackChain([first, second], name="ai", listeners=[events.append])
    assert chain.call("prompt") == "openai answer"
    assert first.calls == [("prompt",)]
    assert second.calls == []
    assert chain.last_used == "openai"
    assert events == []


def test_a_failing_entry_moves_on_to_the_next() -> None:
    first = Recorder("openai", error=ConnectionError("refused"))
    second = Recorder("ollama")
    events: list[object] = []
    chain = sr.FallbackChain([first, second], name="ai", listeners=[events.append])
    assert chain.call("p") == "ollama answer"
    assert chain.last_used == "ollama"
    failed, used = events
    assert failed == sr.EntryFailed("ai", "openai", first.error)  # type: ignore[arg-type]
    assert used == sr.FallbackUsed("ai", "ollama", 1, ("openai",))


def test_keyword_arguments_reach_every_entry() -> None:
    seen: list[dict[str, object]] = []

    def broken(**kwargs: object) -> str:
        seen.append(kwargs)
        raise OSError

    def working(**kwargs: object) -> str:
        seen.append(kwargs)
        return "ok"

    assert sr.FallbackChain([broken, working]).call(model="x") == "ok"
    assert seen == [{"model": "x"}, {"model": "x"}]


def test_an_error_that_does_not_match_when_propagates_at_once() -> None:
    first = Recorder("openai", error=ValueError("bad prompt"))
    second = Recorder("ollama")
    chain = sr.FallbackChain([first, second], when=(ConnectionError, TimeoutError))
    with pytest.raises(ValueError, match="bad prompt") as caught:
        chain.call("p")
    assert second.calls == []
    assert not getattr(caught.value, "__notes__", None)  # the caller's error, untouched


def test_when_per_entry_overrides_the_chain_and_takes_a_predicate() -> None:
    first = Recorder("a", error=KeyError("k"))
    second = Recorder("b", error=ValueError("v"))
    third = Recorder("c")
    chain = sr.FallbackChain(
        [
            sr.Fallback(first, when=lambda exc: isinstance(exc, KeyError)),
            sr.Fallback(second, when=ValueError),
            third,
        ],
        when=ConnectionError,
    )
    assert chain.call() == "c answer"


def test_cancellation_and_interrupts_are_never_swallowed() -> None:
    first = Recorder("a", error=KeyboardInterrupt())
    second = Recorder("b")
    with pytest.raises(KeyboardInterrupt):
        sr.FallbackChain([first, second], when=BaseException).call()
    assert second.calls == []


# ---- every entry failed -------------------------------------------------------------------


def test_when_everything_fails_the_group_holds_each_cause_with_its_entry_name(clock) -> None:
    breaker = sr.CircuitBreaker("anthropic", clock=clock)
    breaker.force_open()
    errors = [ConnectionError("openai down"), TimeoutError("ollama slow")]
    chain = sr.FallbackChain(
        [
            Recorder("openai", error=errors[0]),
            Recorder("ollama", error=errors[1]),
            sr.Fallback(Recorder("anthropic"), breaker=breaker),
        ],
        name="ai",
    )
    with pytest.raises(sr.AllFallbacksFailedError) as caught:
        chain.call("p")
    group = caught.value
    assert isinstance(group, ExceptionGroup)
    assert isinstance(group, sr.ResilienceError)
    assert group.entry_names == ("openai", "ollama", "anthropic")
    assert group.exceptions[:2] == tuple(errors)
    skipped = group.exceptions[2]
    assert isinstance(skipped, sr.CircuitOpenError)
    assert skipped.retry_after == math.inf
    assert group.by_entry == dict(zip(group.entry_names, group.exceptions, strict=True))
    assert errors[0].__notes__ == ["fallback chain 'ai': entry 'openai' failed"]
    assert skipped.__notes__ == ["fallback chain 'ai': entry 'anthropic' was skipped"]
    assert str(group).startswith(
        "every entry of fallback chain 'ai' failed (openai: ConnectionError: openai down; "
        "ollama: TimeoutError: ollama slow; anthropic: skipped, circuit open)"
    )
    assert chain.last_used is None


def test_an_exception_raised_again_and_again_gets_its_note_once() -> None:
    shared = ConnectionError("not configured")
    chain = sr.FallbackChain([Recorder("a", error=shared), Recorder("b")])
    for _ in range(3):
        chain.call()
    assert shared.__notes__ == ["fallback chain 'default': entry 'a' failed"]


def test_except_star_keeps_the_class_and_the_names_it_matched() -> None:
    chain = sr.FallbackChain(
        [Recorder("a", error=ConnectionError()), Recorder("b", error=KeyError("x"))]
    )
    matched: list[sr.AllFallbacksFailedError] = []
    try:
        chain.call()
    except* KeyError as group:
        assert isinstance(group, sr.AllFallbacksFailedError)
        matched.append(group)
    except* ConnectionError:
        pass
    assert matched[0].entry_names == ("b",)


def test_when_every_entry_is_unavailable_the_group_says_why() -> None:
    chain = sr.FallbackChain(
        [
            sr.Fallback(Recorder("openai"), health=lambda: False),
            sr.Fallback(Recorder("ollama"), health=lambda: sr.HealthStatus.UNHEALTHY),
        ],
        name="ai",
    )
    with pytest.raises(sr.AllFallbacksFailedError) as caught:
        chain.call()
    assert all(isinstance(exc, sr.EntryUnavailableError) for exc in caught.value.exceptions)
    assert str(caught.value).startswith(
        "every entry of fallback chain 'ai' failed (openai: skipped, check returned False; "
        "ollama: skipped, health check says unhealthy)"
    )


def test_a_last_resort_that_raises_is_reported_like_any_entry() -> None:
    chain = sr.FallbackChain(
        [
            Recorder("a", error=OSError("a")),
            sr.Fallback(Recorder("local", error=RuntimeError("bug")), last_resort=True),
        ]
    )
    with pytest.raises(sr.AllFallbacksFailedError) as caught:
        chain.call()
    assert caught.value.entry_names == ("a", "local")


# ---- skipping: breakers --------------------------------------------------------------------


def test_an_entry_whose_circuit_is_open_is_skipped_without_being_called(clock) -> None:
    breaker = sr.CircuitBreaker("openai", reset_timeout=30.0, clock=clock)
    set_state(breaker, sr.CircuitState.OPEN)
    clock.advance(10.0)
    first, second = Recorder("openai"), Recorder("ollama")
    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(first, breaker=breaker), second], name="ai", listeners=[events.append]
    )
    assert chain.call() == "ollama answer"
    assert first.calls == []
    assert breaker.metrics.rejected_calls == 0  # passed over, not rejected
    skipped, used = events
    assert skipped == sr.EntrySkipped(
        "ai",
        "openai",
        sr.SkipReason.CIRCUIT_OPEN,
        "circuit 'openai' is open; retry after 20.000 s",
    )
    assert used == sr.FallbackUsed("ai", "ollama", 1, ("openai",))


def test_an_open_circuit_past_its_reset_timeout_gets_its_trial_call(clock) -> None:
    breaker = sr.CircuitBreaker("openai", success_threshold=1, reset_timeout=30.0, clock=clock)
    set_state(breaker, sr.CircuitState.OPEN)
    clock.advance(30.0)
    first, second = Recorder("openai"), Recorder("ollama")
    chain = sr.FallbackChain([sr.Fallback(first, breaker=breaker), second])
    assert chain.call() == "openai answer"
    assert breaker.state is sr.CircuitState.CLOSED
    assert second.calls == []


def test_entries_run_through_their_breaker_and_trip_it(clock) -> None:
    breaker = sr.CircuitBreaker("openai", failure_threshold=2, clock=clock)
    first = Recorder("openai", error=ConnectionError())
    chain = sr.FallbackChain([sr.Fallback(first, breaker=breaker), Recorder("local")])
    for _ in range(5):
        assert chain.call() == "local answer"
    assert len(first.calls) == 2
    assert breaker.state is sr.CircuitState.OPEN
    assert breaker.metrics.failed_calls == 2


def test_a_half_open_circuit_with_its_trial_slot_taken_counts_as_a_skip(clock) -> None:
    breaker = sr.CircuitBreaker("openai", clock=clock)
    set_state(breaker, sr.CircuitState.HALF_OPEN)
    first = Recorder("openai")
    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(first, breaker=breaker), Recorder("local")], listeners=[events.append]
    )
    with breaker:  # another caller holds the only trial slot
        assert chain.call() == "local answer"
    assert first.calls == []
    skipped = events[0]
    assert isinstance(skipped, sr.EntrySkipped)
    assert skipped.reason is sr.SkipReason.CIRCUIT_OPEN


def test_a_function_decorated_with_a_breaker_brings_it_along(clock) -> None:
    breaker = sr.CircuitBreaker("openai", failure_threshold=1, clock=clock)
    calls = 0

    @breaker
    def openai() -> str:
        nonlocal calls
        calls += 1
        raise ConnectionError

    chain = sr.FallbackChain([openai, Recorder("local")])
    chain.call()
    chain.call()
    assert calls == 1
    assert breaker.metrics.failed_calls == 1  # guarded once, not twice
    assert breaker.metrics.rejected_calls == 0  # the second call skipped it


def test_a_nested_breakers_rejection_is_a_failure_of_the_entry(clock) -> None:
    inner = sr.CircuitBreaker("database", clock=clock)
    inner.force_open()
    outer = sr.CircuitBreaker("openai", clock=clock)

    def openai() -> str:
        return inner.call(lambda: "never")

    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(openai, breaker=outer), Recorder("local")], listeners=[events.append]
    )
    assert chain.call() == "local answer"
    assert isinstance(events[0], sr.EntryFailed)


# ---- skipping: health ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "detail"),
    [
        (lambda: False, "'openai' is unavailable: check returned False"),
        (lambda: sr.HealthStatus.UNHEALTHY, "'openai' is unavailable: health check says unhealthy"),
        (
            lambda: sr.ComponentHealth(sr.HealthStatus.UNHEALTHY, error="no API key"),
            "'openai' is unavailable: no API key",
        ),
        (
            lambda: 1 / 0,
            "'openai' is unavailable: health check raised ZeroDivisionError: division by zero",
        ),
    ],
)
def test_an_entry_whose_health_check_says_no_is_skipped(health, detail) -> None:
    first = Recorder("openai")
    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(first, health=health), Recorder("local")], listeners=[events.append]
    )
    assert chain.call() == "local answer"
    assert first.calls == []
    skipped = events[0]
    assert isinstance(skipped, sr.EntrySkipped)
    assert skipped.reason is sr.SkipReason.UNAVAILABLE
    assert skipped.detail == detail


@pytest.mark.parametrize("status", [True, None, sr.HealthStatus.HEALTHY, sr.HealthStatus.DEGRADED])
def test_healthy_or_degraded_entries_are_tried(status) -> None:
    chain = sr.FallbackChain([sr.Fallback(Recorder("openai"), health=lambda: status)])
    assert chain.call() == "openai answer"


def test_call_runs_async_health_checks_on_a_fresh_loop() -> None:
    async def no_key() -> bool:
        await asyncio.sleep(0)
        return False

    chain = sr.FallbackChain([sr.Fallback(Recorder("openai"), health=no_key), Recorder("local")])
    assert chain.call() == "local answer"


@pytest.mark.anyio
async def test_call_runs_async_health_checks_even_from_inside_a_running_loop() -> None:
    async def no_key() -> bool:
        await asyncio.sleep(0)
        return False

    chain = sr.FallbackChain([sr.Fallback(Recorder("openai"), health=no_key), Recorder("local")])
    assert chain.call() == "local answer"


@pytest.mark.anyio
async def test_an_async_health_check_that_raises_inside_a_running_loop_skips_the_entry() -> None:
    async def broken() -> bool:
        await asyncio.sleep(0)
        raise ConnectionError("probe refused")

    chain = sr.FallbackChain([sr.Fallback(Recorder("openai"), health=broken), Recorder("local")])
    assert chain.call() == "local answer"


def test_a_last_resort_is_never_skipped() -> None:
    events: list[object] = []
    chain = sr.FallbackChain(
        [
            sr.Fallback(Recorder("openai"), health=lambda: False),
            sr.Fallback(Recorder("local"), last_resort=True),
        ],
        listeners=[events.append],
    )
    assert chain.call() == "local answer"
    assert chain.best_available() is chain.entries[1]


# ---- best_available -----------------------------------------------------------------------


def test_best_available_is_the_entry_a_call_would_try_first(clock) -> None:
    breaker = sr.CircuitBreaker("openai", clock=clock)
    up = {"ollama": False}
    chain = sr.FallbackChain(
        [
            sr.Fallback(Recorder("openai"), breaker=breaker),
            sr.Fallback(Recorder("ollama"), health=lambda: up["ollama"]),
        ]
    )
    assert chain.best_available() is chain.entries[0]
    breaker.force_open()
    assert chain.best_available() is None
    up["ollama"] = True
    best = chain.best_available()
    assert best is not None
    assert best.name == "ollama"
    assert breaker.metrics.rejected_calls == 0


@pytest.mark.anyio
async def test_best_available_async_awaits_async_health_checks() -> None:
    async def healthy() -> sr.HealthStatus:
        await anyio.lowlevel.checkpoint()
        return sr.HealthStatus.DEGRADED

    async def unhealthy() -> bool:
        await anyio.lowlevel.checkpoint()
        return False

    chain = sr.FallbackChain(
        [
            sr.Fallback(Recorder("openai"), health=unhealthy),
            sr.Fallback(Recorder("ollama"), health=healthy),
        ]
    )
    best = await chain.best_available_async()
    assert best is not None
    assert best.name == "ollama"
    nothing = sr.FallbackChain([sr.Fallback(Recorder("openai"), health=unhealthy)])
    assert await nothing.best_available_async() is None


# ---- async ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_call_async_moves_on_through_async_and_sync_entries(clock) -> None:
    breaker = sr.CircuitBreaker("openai", failure_threshold=1, clock=clock)
    openai = AsyncRecorder("openai", error=ConnectionError())
    ollama = Recorder("ollama", error=TimeoutError())
    anthropic = AsyncRecorder("anthropic")
    chain = sr.FallbackChain([sr.Fallback(openai, breaker=breaker), ollama, anthropic], name="ai")
    assert await chain.call_async("p") == "anthropic answer"
    assert chain.last_used == "anthropic"
    assert breaker.state is sr.CircuitState.OPEN
    assert await chain.call_async("p") == "anthropic answer"
    assert len(openai.calls) == 1  # skipped the second time


@pytest.mark.anyio
async def test_call_async_raises_the_group_or_the_unmatched_error() -> None:
    chain = sr.FallbackChain(
        [AsyncRecorder("a", error=OSError()), AsyncRecorder("b", error=OSError())]
    )
    with pytest.raises(sr.AllFallbacksFailedError):
        await chain.call_async()
    strict = sr.FallbackChain(
        [AsyncRecorder("a", error=ValueError("no")), AsyncRecorder("b")], when=OSError
    )
    with pytest.raises(ValueError, match="no"):
        await strict.call_async()


@pytest.mark.anyio
async def test_call_async_awaits_async_health_checks() -> None:
    async def unavailable() -> bool:
        await anyio.lowlevel.checkpoint()
        raise ConnectionError("probe failed")

    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(AsyncRecorder("openai"), health=unavailable), AsyncRecorder("local")],
        listeners=[events.append],
    )
    assert await chain.call_async() == "local answer"
    skipped = events[0]
    assert isinstance(skipped, sr.EntrySkipped)
    assert skipped.detail.endswith("health check raised ConnectionError: probe failed")


def test_call_refuses_async_entries() -> None:
    chain = sr.FallbackChain([AsyncRecorder("openai")])
    with pytest.raises(TypeError, match="entry 'openai' is async; use call_async"):
        chain.call()


def test_call_refuses_an_entry_that_returns_a_coroutine_without_leaking_it() -> None:
    async def real() -> str:
        return "x"

    lazy = lambda: real()  # noqa: E731, PLW0108 - sync, yet it returns a coroutine
    chain = sr.FallbackChain([sr.Fallback(lazy, name="lazy")])
    with pytest.raises(TypeError, match="entry 'lazy' returned an awaitable"):
        chain.call()


# ---- hedging -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_hedge_starts_the_next_entry_when_the_current_one_is_slow() -> None:
    clock = FakeClock()
    cancelled = anyio.Event()

    async def slow(prompt: str) -> str:
        try:
            await anyio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    fast = AsyncRecorder("fast")
    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(slow, name="slow"), fast],
        name="ai",
        hedge_after=0.5,
        clock=clock,
        listeners=[events.append],
    )
    assert await chain.call_async("p") == "fast answer"
    assert cancelled.is_set()  # the loser was cancelled before the call returned
    assert clock.sleeps == [0.5]
    assert events == [
        sr.HedgeStarted("ai", "fast", 0.5),
        sr.FallbackUsed("ai", "fast", 1, ()),
    ]
    assert chain.last_used == "fast"


@pytest.mark.anyio
async def test_no_hedge_when_the_first_entry_answers_in_time() -> None:
    second = AsyncRecorder("second")
    chain = sr.FallbackChain([AsyncRecorder("first"), second], hedge_after=30.0)
    with anyio.fail_after(5):
        assert await chain.call_async() == "first answer"
    assert second.calls == []


@pytest.mark.anyio
async def test_a_hedged_entry_that_fails_hands_over_at_once() -> None:
    # The hedge delay is long and on the real clock: waiting for it would time the test out.
    chain = sr.FallbackChain(
        [AsyncRecorder("a", error=ConnectionError()), AsyncRecorder("b")], hedge_after=30.0
    )
    with anyio.fail_after(5):
        assert await chain.call_async() == "b answer"


@pytest.mark.anyio
async def test_the_hedge_timer_of_an_entry_that_already_failed_starts_nothing() -> None:
    clock = FakeClock()
    events: list[object] = []
    chain = sr.FallbackChain(
        [Recorder("a", error=OSError()), AsyncRecorder("b")],
        hedge_after=0.1,
        clock=clock,
        listeners=[events.append],
    )
    assert await chain.call_async() == "b answer"
    assert not any(isinstance(event, sr.HedgeStarted) for event in events)


@pytest.mark.anyio
async def test_hedged_entries_that_all_fail_raise_the_group_in_chain_order() -> None:
    clock = FakeClock()

    async def slow_failure() -> str:
        await clock.sleep_async(1.0)
        await anyio.lowlevel.checkpoint()
        raise ConnectionError("slow")

    chain = sr.FallbackChain(
        [
            sr.Fallback(slow_failure, name="slow"),
            AsyncRecorder("quick", error=TimeoutError("quick")),
        ],
        hedge_after=0.1,
        clock=clock,
    )
    with pytest.raises(sr.AllFallbacksFailedError) as caught:
        await chain.call_async()
    assert caught.value.entry_names == ("slow", "quick")


@pytest.mark.anyio
async def test_a_hedge_with_nothing_left_to_start_keeps_waiting_for_the_current_entry() -> None:
    clock = FakeClock()
    release = anyio.Event()

    async def slow() -> str:
        await release.wait()
        return "slow answer"

    def probe() -> bool:
        release.set()  # asked when the hedge goes off: the slow entry may now answer
        return False

    events: list[object] = []
    chain = sr.FallbackChain(
        [sr.Fallback(slow, name="slow"), sr.Fallback(AsyncRecorder("down"), health=probe)],
        hedge_after=1.0,
        clock=clock,
        listeners=[events.append],
    )
    assert await chain.call_async() == "slow answer"
    assert [type(event).__name__ for event in events] == ["HedgeStarted", "EntrySkipped"]


@pytest.mark.anyio
async def test_a_hedged_error_that_does_not_move_on_propagates_and_cancels_the_rest() -> None:
    clock = FakeClock()
    cancelled = anyio.Event()

    async def slow() -> str:
        try:
            await anyio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    chain = sr.FallbackChain(
        [sr.Fallback(slow, name="slow"), AsyncRecorder("bad", error=ValueError("bad"))],
        when=ConnectionError,
        hedge_after=0.1,
        clock=clock,
    )
    with pytest.raises(ValueError, match="bad"):
        await chain.call_async()
    assert cancelled.is_set()


@pytest.mark.anyio
async def test_hedging_skips_entries_whose_circuit_is_open(clock) -> None:
    breaker = sr.CircuitBreaker("b", clock=clock)
    breaker.force_open()
    skipped = AsyncRecorder("b")
    chain = sr.FallbackChain(
        [
            sr.Fallback(hang_forever, name="slow"),
            sr.Fallback(skipped, breaker=breaker),
            AsyncRecorder("c"),
        ],
        hedge_after=0.1,
        clock=clock,
    )
    assert await chain.call_async() == "c answer"
    assert skipped.calls == []


@pytest.mark.anyio
async def test_a_cancelled_hedged_entry_is_not_counted_by_its_breaker() -> None:
    clock = FakeClock()
    breaker = sr.CircuitBreaker("slow", failure_threshold=1, clock=clock)
    chain = sr.FallbackChain(
        [sr.Fallback(hang_forever, name="slow", breaker=breaker), AsyncRecorder("fast")],
        hedge_after=0.1,
        clock=clock,
    )
    assert await chain.call_async() == "fast answer"
    metrics = breaker.metrics
    assert (metrics.failed_calls, metrics.ignored_calls) == (0, 1)
    assert breaker.state is sr.CircuitState.CLOSED


@pytest.mark.anyio
async def test_cancelling_a_hedged_call_cancels_every_entry() -> None:
    clock = FakeClock()
    started: list[str] = []
    cancelled: list[str] = []
    both_started = anyio.Event()

    def hanging(name: str):
        async def entry() -> str:
            started.append(name)
            if len(started) == 2:
                both_started.set()
            try:
                await anyio.Event().wait()
            finally:
                cancelled.append(name)
            raise AssertionError("unreachable")

        return sr.Fallback(entry, name=name)

    chain = sr.FallbackChain([hanging("a"), hanging("b")], hedge_after=0.1, clock=clock)
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(chain.call_async)
            await both_started.wait()
            scope.cancel()
    assert sorted(cancelled) == ["a", "b"]


@pytest.mark.anyio
async def test_sync_call_ignores_hedge_after() -> None:
    chain = sr.FallbackChain([Recorder("a", error=OSError()), Recorder("b")], hedge_after=0.0)
    assert chain.call() == "b answer"


@pytest.mark.anyio
async def test_many_concurrent_calls_each_get_an_answer(clock) -> None:
    breaker = sr.CircuitBreaker("openai", failure_threshold=3, clock=clock)
    chain = sr.FallbackChain(
        [
            sr.Fallback(AsyncRecorder("openai", error=ConnectionError()), breaker=breaker),
            AsyncRecorder("local"),
        ]
    )
    answers: list[object] = []

    async def one() -> None:
        answers.append(await chain.call_async())

    async with anyio.create_task_group() as group:
        for _ in range(200):
            group.start_soon(one)
    assert answers == ["local answer"] * 200
    assert breaker.state is sr.CircuitState.OPEN


# ---- decorators ----------------------------------------------------------------------------


def test_decorating_a_primary_puts_it_in_front_of_the_chain() -> None:
    chain = sr.FallbackChain([Recorder("local")], name="ai")

    @chain
    def openai(prompt: str, *, temperature: float = 0.0) -> str:
        """Ask OpenAI."""
        raise ConnectionError(prompt)

    assert openai("hi") == "local answer"
    assert openai.__name__ == "openai"
    assert openai.__doc__ == "Ask OpenAI."
    assert list(inspect.signature(openai).parameters) == ["prompt", "temperature"]
    used = openai.fallback_chain  # type: ignore[attr-defined]
    assert [entry.name for entry in used.entries] == ["openai", "local"]
    assert used.last_used == "local"


@pytest.mark.anyio
async def test_decorating_an_async_primary_keeps_it_async() -> None:
    @sr.fallback(AsyncRecorder("ollama"), sr.Fallback(AsyncRecorder("local"), last_resort=True))
    async def openai(prompt: str) -> str:
        raise ConnectionError(prompt)

    assert inspect.iscoroutinefunction(openai)
    assert await openai("hi") == "ollama answer"
    assert openai.fallback_chain.name == "openai"  # type: ignore[attr-defined]


def test_the_fallback_factory_needs_alternatives() -> None:
    with pytest.raises(ValueError, match="alternatives"):
        sr.fallback()


# ---- configuration -------------------------------------------------------------------------


def test_entries_are_fallbacks_named_after_their_functions() -> None:
    def openai() -> str:
        return "x"

    entry = sr.Fallback(openai)
    assert entry.name == "openai"
    assert entry() == "x"
    chain = sr.FallbackChain([openai, sr.Fallback(lambda: "y", name="local")])
    assert [e.name for e in chain.entries] == ["openai", "local"]
    assert repr(chain) == "<FallbackChain 'default' [openai, local]>"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: sr.FallbackChain([]), "entries must hold at least one entry"),
        (lambda: sr.FallbackChain("ab"), "entries must be a sequence of callables"),
        (lambda: sr.FallbackChain([print, 3]), r"entries\[1\] must be a callable"),
        (lambda: sr.FallbackChain([print, print]), r"entries\[1\].name 'print' is taken"),
        (
            lambda: sr.FallbackChain([sr.Fallback(print, last_resort=True), len]),
            r"entries\[0\].last_resort must be False",
        ),
        (lambda: sr.FallbackChain([print], name=""), "name must be a non-empty string"),
        (lambda: sr.FallbackChain([print], hedge_after=-1), "hedge_after"),
        (lambda: sr.FallbackChain([print], hedge_after=math.nan), "hedge_after"),
        (lambda: sr.FallbackChain([print], when=None), "when must be"),
        (lambda: sr.FallbackChain([print], when=("x",)), "when must be an exception class"),
        (
            lambda: sr.FallbackChain([sr.Fallback(print, when=(1,))]),
            "when must be an exception class",
        ),
        (lambda: sr.FallbackChain([print], listeners=[1]), "listeners must be callables"),
        (lambda: sr.Fallback(3), "fn must be a callable"),
        (lambda: sr.Fallback(print, name=3), "name must be a string"),
        (lambda: sr.Fallback(print, breaker="b"), "breaker must be a CircuitBreaker"),
        (lambda: sr.Fallback(print, health=True), "health must be a callable"),
        (lambda: sr.Fallback(print, last_resort=1), "last_resort must be True or False"),
        (
            lambda: sr.Fallback(print, last_resort=True, health=lambda: True),
            "last_resort is never skipped",
        ),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(build, message) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_listener_that_raises_never_breaks_the_call(caplog) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    chain = sr.FallbackChain([Recorder("a", error=OSError()), Recorder("b")])
    chain.add_listener(broken)
    assert chain.call() == "b answer"
    assert "listener bug" in caplog.text


def test_entry_unavailable_error_reads_well() -> None:
    error = sr.EntryUnavailableError("openai", "no API key")
    assert isinstance(error, sr.CallRejectedError)
    assert (error.name, error.reason) == ("openai", "no API key")
    assert str(error) == "'openai' is unavailable: no API key"


# ---- hedging never waits on a health check (issue 8, item 11) -----------------------------


@pytest.mark.anyio
async def test_a_hedge_health_check_does_not_hold_up_the_running_answer() -> None:
    primary_may_answer = anyio.Event()

    async def primary() -> str:
        await primary_may_answer.wait()
        return "primary"

    async def hanging_health() -> bool:
        primary_may_answer.set()  # the primary answers while this check hangs
        await anyio.sleep_forever()
        return True

    chain = sr.FallbackChain(
        [sr.Fallback(primary), sr.Fallback(AsyncRecorder("second"), health=hanging_health)],
        hedge_after=1.0,
        clock=FakeClock(),
    )
    with anyio.fail_after(5):
        assert await chain.call_async() == "primary"
    assert chain.last_used == "primary"


@pytest.mark.anyio
async def test_a_hanging_health_check_is_overtaken_by_the_next_hedge() -> None:
    async def hanging() -> str:
        await anyio.sleep_forever()
        return "never"

    async def hanging_health() -> bool:
        await anyio.sleep_forever()
        return True

    third = AsyncRecorder("third")
    chain = sr.FallbackChain(
        [
            sr.Fallback(hanging, name="first"),
            sr.Fallback(AsyncRecorder("second"), name="second", health=hanging_health),
            sr.Fallback(third, name="third"),
        ],
        hedge_after=1.0,
        clock=FakeClock(),
    )
    with anyio.fail_after(5):
        assert await chain.call_async() == "third answer"


def test_a_decorated_function_tells_its_chains_listeners_added_and_removed_later() -> None:
    def local() -> str:
        return "local"

    chain = sr.FallbackChain([local], name="ai")

    @chain
    def primary() -> str:
        raise ConnectionError("down")

    events: list[sr.FallbackEvent] = []
    chain.add_listener(events.append)
    assert primary() == "local"
    assert [type(event) for event in events] == [sr.EntryFailed, sr.FallbackUsed]
    assert primary.fallback_chain.last_used == "local"  # type: ignore[attr-defined]
    chain.remove_listener(events.append)
    primary()
    assert len(events) == 2
