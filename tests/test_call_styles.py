"""Each primitive's scenarios through every call style: one fixture, no drift between them.

A *style* turns "run this function through that primitive" into each way users write it:
``call``, the decorator, ``with`` (sync), and ``call_async``, the async decorator, ``async
with`` (async). A scenario written once must hold in every style its primitive supports;
``UNSUPPORTED`` names the styles a primitive leaves out on purpose, and a test checks
that each of those fails at once instead of half working.

``FallbackChain`` is called with its entries' arguments, not with a function, so it has
styles of its own (``CHAIN_STYLES``) that build the chain and run it once.
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

import steinresil as sr
from steinresil.testing import FakeClock


class Boom(Exception):
    pass


@dataclass(frozen=True)
class Work:
    """Work whose sync and async forms differ, such as a call that hangs.

    ``blocking`` runs in the sync styles, ``waiting`` in the async ones. A plain function
    serves both: the async styles call it from an ``async def``.
    """

    blocking: Callable[[], object]
    waiting: Callable[[], Awaitable[object]]


AnyWork = Callable[[], object] | Work
Runner = Callable[[Any, AnyWork], Awaitable[object]]


def sync_form(work: AnyWork) -> Callable[[], object]:
    return work.blocking if isinstance(work, Work) else work


def async_form(work: AnyWork) -> Callable[[], Awaitable[object]]:
    if isinstance(work, Work):
        return work.waiting

    async def afn() -> object:
        return work()

    return afn


async def via_call(primitive: Any, work: AnyWork) -> object:
    return primitive.call(sync_form(work))


async def via_decorator(primitive: Any, work: AnyWork) -> object:
    return primitive(sync_form(work))()


async def via_with(primitive: Any, work: AnyWork) -> object:
    with primitive:
        return sync_form(work)()


async def via_call_async(primitive: Any, work: AnyWork) -> object:
    return await primitive.call_async(async_form(work))


async def via_async_decorator(primitive: Any, work: AnyWork) -> object:
    return await primitive(async_form(work))()


async def via_async_with(primitive: Any, work: AnyWork) -> object:
    async with primitive:
        return await async_form(work)()


ALL_STYLES: dict[str, Runner] = {
    "call": via_call,
    "decorator": via_decorator,
    "with": via_with,
    "call_async": via_call_async,
    "async decorator": via_async_decorator,
    "async with": via_async_with,
}

UNSUPPORTED: dict[tuple[str, str], str] = {
    ("RetryPolicy", "with"): "a block is retried as `for attempt in policy: with attempt:`",
    ("RetryPolicy", "async with"): "a block is retried as `async for attempt in policy:`",
    ("Timeout", "with"): "nothing could interrupt a sync block; use call() or @timeout",
    ("Pipeline", "with"): "a block cannot be retried or timed out from the outside",
    ("Pipeline", "async with"): "a block cannot be retried or timed out from the outside",
    ("FallbackChain", "with"): "a block has no alternatives to fall back to",
    ("FallbackChain", "async with"): "a block has no alternatives to fall back to",
}
"""(primitive, style) pairs left out on purpose, and why."""


def styles_of(primitive: str) -> pytest.MarkDecorator:
    """Run the test once per style ``primitive`` supports (see ``UNSUPPORTED``)."""
    supported = [name for name in ALL_STYLES if (primitive, name) not in UNSUPPORTED]
    return pytest.mark.parametrize("style", supported, indirect=True)


@pytest.fixture
def style(request: pytest.FixtureRequest) -> Runner:
    """The call style a ``styles_of(...)`` mark picked for this run."""
    name = getattr(request, "param", None)
    if name is None:
        pytest.fail("a test taking `style` needs @styles_of(<primitive>) to say which styles")
    return ALL_STYLES[name]


def fail() -> None:
    raise Boom


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of the test, so a sync call left hanging on it ends then."""
    event = threading.Event()
    yield event
    event.set()


def hang(release: threading.Event) -> Work:
    """A call that does not end by itself: blocked on ``release``, or asleep forever.

    The sync form gives up after a few seconds, so a style that wrongly ran it in the
    caller's thread fails the test instead of hanging it.
    """

    def blocked() -> object:
        return release.wait(5.0)

    return Work(blocking=blocked, waiting=anyio.sleep_forever)


# ---- unsupported styles --------------------------------------------------------------------


def make(primitive: str, clock: FakeClock) -> object:
    if primitive == "RetryPolicy":
        return sr.RetryPolicy(clock=clock)
    if primitive == "Timeout":
        return sr.Timeout(5.0)
    if primitive == "Pipeline":
        return sr.Pipeline(sr.Bulkhead(1))
    assert primitive == "FallbackChain"
    return sr.FallbackChain([lambda: "never"])


@pytest.mark.parametrize(("primitive", "style_name"), sorted(UNSUPPORTED))
@pytest.mark.anyio
async def test_an_unsupported_style_fails_at_once_naming_the_type(
    primitive: str, style_name: str, clock: FakeClock
) -> None:
    # The library adds no message of its own: Python's TypeError names the type, and
    # mypy flags the statement before it runs (see tests/typing/beyond.py).
    ran: list[object] = []
    with pytest.raises(
        TypeError,
        match=rf"^'{primitive}' object does not support the (asynchronous )?context manager",
    ):
        await ALL_STYLES[style_name](make(primitive, clock), lambda: ran.append(1))
    assert ran == []


# ---- breaker --------------------------------------------------------------------------------


@styles_of("CircuitBreaker")
@pytest.mark.anyio
async def test_breaker_opens_rejects_and_recovers_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    cb = sr.CircuitBreaker("b", failure_threshold=2, success_threshold=1, clock=clock)
    assert await style(cb, lambda: "ok") == "ok"
    for _ in range(2):
        with pytest.raises(Boom):
            await style(cb, fail)
    assert cb.state is sr.CircuitState.OPEN
    with pytest.raises(sr.CircuitOpenError):
        await style(cb, lambda: "never")
    clock.advance(30)
    assert await style(cb, lambda: "back") == "back"
    assert cb.state is sr.CircuitState.CLOSED
    metrics = cb.metrics
    assert (metrics.successful_calls, metrics.failed_calls, metrics.rejected_calls) == (2, 2, 1)


# ---- bulkhead and rate limiter ----------------------------------------------------------------


@styles_of("Bulkhead")
@pytest.mark.anyio
async def test_bulkhead_admits_and_counts_in_every_style(style: Runner) -> None:
    bulkhead = sr.Bulkhead(max_concurrent=1)
    assert await style(bulkhead, lambda: 1) == 1
    with bulkhead, pytest.raises(sr.BulkheadFullError):  # the only slot is taken
        await style(bulkhead, lambda: 2)
    assert bulkhead.metrics.in_use == 0


@styles_of("RateLimiter")
@pytest.mark.anyio
async def test_rate_limiter_admits_then_refuses_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    limiter = sr.RateLimiter(rate=1, per=10.0, clock=clock)
    assert await style(limiter, lambda: 1) == 1
    with pytest.raises(sr.RateLimitExceededError) as info:
        await style(limiter, lambda: 2)
    assert info.value.retry_after == pytest.approx(10.0)


# ---- retry -----------------------------------------------------------------------------------


@styles_of("RetryPolicy")
@pytest.mark.anyio
async def test_retry_retries_then_answers_in_every_style(style: Runner, clock: FakeClock) -> None:
    outcomes = iter([Boom(), Boom(), "third time"])

    def flaky() -> object:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = sr.RetryPolicy(max_retries=2, initial_delay=1.0, clock=clock)
    assert await style(policy, flaky) == "third time"
    assert clock.sleeps == [1.0, 2.0]


# ---- timeout (no sync `with`) -----------------------------------------------------------------

# Only the loop or the OS can cut a call short, so a timeout runs on real timers: the limit
# is tens of milliseconds, and the call that overruns it never sleeps but hangs on
# `release` (sync) or sleeps forever until cancelled (async).
SHORT = 0.02


@styles_of("Timeout")
@pytest.mark.anyio
async def test_timeout_returns_a_call_that_ends_in_time_in_every_style(style: Runner) -> None:
    timeout = sr.Timeout(5.0)
    assert await style(timeout, lambda: "in time") == "in time"
    with pytest.raises(Boom):
        await style(timeout, fail)  # the call's own error, unchanged and not counted
    assert timeout.metrics.timed_out_calls == 0


@styles_of("Timeout")
@pytest.mark.anyio
async def test_timeout_gives_up_on_an_overrun_in_every_style(
    style: Runner, release: threading.Event
) -> None:
    heard: list[object] = []
    timeout = sr.Timeout(SHORT, name="slow", listeners=[heard.append])
    with pytest.raises(sr.TimeoutExceededError) as caught:
        await style(timeout, hang(release))
    assert isinstance(caught.value, TimeoutError)
    assert heard == [sr.TimeoutExpired("slow", SHORT)]
    assert timeout.metrics.timed_out_calls == 1
    assert await style(timeout, lambda: "next") == "next"  # the timeout still serves


# ---- pipeline (no `with`) ---------------------------------------------------------------------


class Recorder:
    """A strategy that logs when a call enters and leaves it."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.log.append(f"{self.name}>")
        try:
            return fn(*args, **kwargs)
        finally:
            self.log.append(f"<{self.name}")

    async def call_async(
        self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Any:
        self.log.append(f"{self.name}>")
        try:
            return await fn(*args, **kwargs)
        finally:
            self.log.append(f"<{self.name}")


@styles_of("Pipeline")
@pytest.mark.anyio
async def test_pipeline_runs_the_first_listed_outermost_in_every_style(style: Runner) -> None:
    log: list[str] = []
    pipeline = sr.Pipeline(Recorder("a", log), Recorder("b", log), Recorder("c", log))
    assert await style(pipeline, lambda: log.append("call") or "done") == "done"
    assert log == ["a>", "b>", "c>", "call", "<c", "<b", "<a"]


@styles_of("Pipeline")
@pytest.mark.anyio
async def test_pipeline_retry_around_a_breaker_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    breaker = sr.CircuitBreaker("db", failure_threshold=2, clock=clock)
    pipeline = sr.Pipeline(sr.RetryPolicy(max_retries=5, initial_delay=1.0, clock=clock), breaker)
    outcomes = iter([Boom(), "second try"])

    def flaky() -> object:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    # The breaker sees every attempt; a success in between keeps it closed.
    assert await style(pipeline, flaky) == "second try"
    assert (breaker.metrics.failed_calls, breaker.metrics.successful_calls) == (1, 1)
    # A dependency that stays down opens the circuit, and the open circuit ends the
    # retries at once instead of being hammered.
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise Boom

    with pytest.raises(sr.CircuitOpenError):
        await style(pipeline, down)
    assert len(calls) == 2
    assert breaker.state is sr.CircuitState.OPEN


@styles_of("Pipeline")
@pytest.mark.anyio
async def test_pipeline_lets_a_rejection_through_uncounted_in_every_style(
    style: Runner, clock: FakeClock
) -> None:
    policy = sr.RetryPolicy(max_retries=3, initial_delay=1.0, clock=clock)
    breaker = sr.CircuitBreaker("db", failure_threshold=1, clock=clock)
    bulkhead = sr.Bulkhead(max_concurrent=1)
    pipeline = sr.Pipeline(policy, breaker, bulkhead)
    ran: list[int] = []
    with bulkhead, pytest.raises(sr.BulkheadFullError):  # the only slot is taken
        await style(pipeline, lambda: ran.append(1))
    # Not run, not retried, not a failure of the dependency behind the breaker.
    assert (ran, clock.sleeps) == ([], [])
    assert (breaker.state, breaker.metrics.failed_calls) == (sr.CircuitState.CLOSED, 0)


@styles_of("Pipeline")
@pytest.mark.anyio
async def test_pipeline_breaker_counts_an_inner_timeout_in_every_style(
    style: Runner, clock: FakeClock, release: threading.Event
) -> None:
    breaker = sr.CircuitBreaker("db", failure_threshold=1, clock=clock)
    pipeline = sr.Pipeline(breaker, sr.Timeout(SHORT))
    with pytest.raises(sr.TimeoutExceededError):
        await style(pipeline, hang(release))
    assert breaker.state is sr.CircuitState.OPEN  # a hanging dependency opens the circuit
    with pytest.raises(sr.CircuitOpenError):
        await style(pipeline, lambda: "never")


# ---- fallback chain (no `with`) -----------------------------------------------------------------

# A chain is called with its entries' arguments, not with a function, and its decorator
# puts the decorated function in front of the entries. A chain style builds a chain from
# sync entries (the first is the primary) and ``options`` for the chain, and returns the
# chain that runs (for its ``last_used``) and a function that runs it once.
Entries = Sequence[sr.Fallback[[], object]]
ChainStyle = Callable[..., tuple[sr.FallbackChain[[], Any], Callable[[], Awaitable[object]]]]


def as_async(entry: sr.Fallback[[], object]) -> sr.Fallback[[], Any]:
    return dataclasses.replace(entry, fn=async_form(entry.fn))


def chain_via_call(entries: Entries, **options: Any) -> Any:
    chain = sr.FallbackChain(entries, **options)

    async def run() -> object:
        return chain.call()

    return chain, run


def chain_via_call_async(entries: Entries, **options: Any) -> Any:
    chain = sr.FallbackChain([as_async(entry) for entry in entries], **options)
    return chain, chain.call_async


def chain_via_call_async_sync_entries(entries: Entries, **options: Any) -> Any:
    chain = sr.FallbackChain(entries, **options)  # sync entries are called as they are
    return chain, chain.call_async


def primary_of(entries: Entries) -> Callable[[], object]:
    """The first entry as the plain function users decorate, named after the entry."""
    first = entries[0]
    assert first == sr.Fallback(first.fn, name=first.name), "a decorated primary has no guards"
    fn = first.fn

    def primary() -> object:
        return fn()

    primary.__name__ = first.name
    return primary


def async_primary_of(entries: Entries) -> Callable[[], Awaitable[object]]:
    fn = primary_of(entries)

    async def primary() -> object:
        return fn()

    primary.__name__ = fn.__name__
    return primary


def decorated(wrapper: Callable[[], Any]) -> Any:
    chain = wrapper.fallback_chain  # type: ignore[attr-defined]
    assert isinstance(chain, sr.FallbackChain)
    if inspect.iscoroutinefunction(wrapper):
        return chain, wrapper

    async def run() -> object:
        return wrapper()

    return chain, run


def chain_via_decorator(entries: Entries, **options: Any) -> Any:
    return decorated(sr.FallbackChain(entries[1:], **options)(primary_of(entries)))


def chain_via_async_decorator(entries: Entries, **options: Any) -> Any:
    rest = [as_async(entry) for entry in entries[1:]]
    return decorated(sr.FallbackChain(rest, **options)(async_primary_of(entries)))


def chain_via_fallback(entries: Entries, **options: Any) -> Any:
    return decorated(sr.fallback(*entries[1:], **options)(primary_of(entries)))


def chain_via_async_fallback(entries: Entries, **options: Any) -> Any:
    rest = [as_async(entry) for entry in entries[1:]]
    return decorated(sr.fallback(*rest, **options)(async_primary_of(entries)))


CHAIN_STYLES: dict[str, ChainStyle] = {
    "call": chain_via_call,
    "call_async": chain_via_call_async,
    "call_async, sync entries": chain_via_call_async_sync_entries,
    "decorator": chain_via_decorator,
    "async decorator": chain_via_async_decorator,
    "@fallback": chain_via_fallback,
    "async @fallback": chain_via_async_fallback,
}


@pytest.fixture(params=list(CHAIN_STYLES))
def chain_style(request: pytest.FixtureRequest) -> ChainStyle:
    return CHAIN_STYLES[request.param]


def entry(fn: Callable[[], object], name: str, **guards: Any) -> sr.Fallback[[], object]:
    return sr.Fallback(fn, name=name, **guards)


@pytest.mark.anyio
async def test_chain_primary_answers_in_every_style(chain_style: ChainStyle) -> None:
    chain, run = chain_style([entry(lambda: "first", "primary"), entry(fail, "backup")])
    assert await run() == "first"
    assert chain.last_used == "primary"


@pytest.mark.anyio
async def test_chain_falls_back_when_the_primary_fails_in_every_style(
    chain_style: ChainStyle,
) -> None:
    heard: list[object] = []
    chain, run = chain_style(
        [entry(fail, "primary"), entry(lambda: "second", "secondary"), entry(fail, "last")],
        listeners=[heard.append],
    )
    assert await run() == "second"
    assert chain.last_used == "secondary"
    assert [(type(event), event.entry) for event in heard] == [  # type: ignore[attr-defined]
        (sr.EntryFailed, "primary"),
        (sr.FallbackUsed, "secondary"),
    ]
    used = heard[-1]
    assert isinstance(used, sr.FallbackUsed)
    assert (used.index, used.passed_over) == (1, ("primary",))


@pytest.mark.anyio
async def test_chain_skips_an_entry_whose_circuit_is_open_in_every_style(
    chain_style: ChainStyle, clock: FakeClock
) -> None:
    breaker = sr.CircuitBreaker("secondary", clock=clock)
    breaker.force_open()
    ran: list[str] = []
    chain, run = chain_style(
        [
            entry(fail, "primary"),
            entry(lambda: ran.append("secondary"), "secondary", breaker=breaker),
            entry(lambda: "third", "last"),
        ]
    )
    assert await run() == "third"
    assert chain.last_used == "last"
    assert ran == []


@pytest.mark.anyio
async def test_chain_raises_every_cause_when_all_fail_in_every_style(
    chain_style: ChainStyle,
) -> None:
    errors = [Boom("primary down"), Boom("secondary down")]

    def failing(error: Exception) -> Callable[[], object]:
        def fn() -> object:
            raise error

        return fn

    chain, run = chain_style(
        [entry(failing(errors[0]), "primary"), entry(failing(errors[1]), "secondary")]
    )
    with pytest.raises(sr.AllFallbacksFailedError) as caught:
        await run()
    assert list(caught.value.exceptions) == errors
    assert caught.value.entry_names == ("primary", "secondary")
    assert chain.last_used is None


@pytest.mark.anyio
async def test_chain_lets_an_error_outside_when_through_at_once_in_every_style(
    chain_style: ChainStyle,
) -> None:
    ran: list[str] = []

    def refuse() -> object:
        raise KeyError("not a failure to fall back on")

    _, run = chain_style(
        [entry(refuse, "primary"), entry(lambda: ran.append("backup"), "backup")], when=Boom
    )
    with pytest.raises(KeyError):
        await run()
    assert ran == []


# ---- a style mixed up: `call` given an async function ----------------------------------------


def guards_for_call_mix_up(clock: FakeClock) -> dict[str, Any]:
    return {
        "CircuitBreaker": sr.CircuitBreaker("b", clock=clock),
        "RetryPolicy": sr.RetryPolicy(clock=clock),
        "Bulkhead": sr.Bulkhead(max_concurrent=1),
        "RateLimiter": sr.RateLimiter(rate=1, clock=clock),
        "Timeout": sr.Timeout(5.0),
        "Pipeline": sr.Pipeline(sr.Bulkhead(max_concurrent=1)),
    }


@pytest.mark.parametrize(
    "primitive", ["CircuitBreaker", "RetryPolicy", "Bulkhead", "RateLimiter", "Timeout", "Pipeline"]
)
def test_call_refuses_an_async_function_in_every_primitive(
    primitive: str, clock: FakeClock
) -> None:
    # `await guard.call(afn)` type-checks (T is the coroutine) but would run the work after
    # the guard is gone: no slot held, no time limit. Every sync `call` refuses it.
    guard = guards_for_call_mix_up(clock)[primitive]

    async def fetch() -> str:
        return "unguarded"

    with pytest.raises(TypeError, match=r"returned a coroutine.*call_async"):
        guard.call(fetch)
