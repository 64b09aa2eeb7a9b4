"""The fallback chain: ordered entries, each tried only when the ones before it failed.

The decisions are plain code that never sleeps, awaits or does I/O: ``_breaker_rejection``
(is the entry's circuit open?), ``_health_rejection`` (does its health check say no?),
``_failed`` (does this error move on, and how is it recorded?), ``_served`` and
``_all_failed``. The drivers (``call``, ``call_async``, the hedged race) only run
entries and health checks and feed the outcomes to those methods.

Skipping an entry whose circuit is open asks ``breaker.accepting_calls``, which takes no
trial slot: an OPEN breaker past its reset timeout with a free trial slot accepts, and the
entry is tried, taking the slot through the breaker as any call would. If the slot is
taken meanwhile, the breaker refuses before the entry runs and that also counts as a skip.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeAlias, TypeVar, cast, overload

from steinresil._breaker import CircuitBreaker
from steinresil._clock import Clock, system_clock
from steinresil._concurrency import check_decoratable
from steinresil._errors import (
    AllFallbacksFailedError,
    CallRejectedError,
    CircuitOpenError,
    EntryUnavailableError,
)
from steinresil._events import emit, logger, normalize_listeners, without_listener
from steinresil._filters import ExceptionFilter, exception_filter
from steinresil._health import HealthCheck, HealthStatus, read_health
from steinresil._tasks import TaskGroup, is_async_callable, open_task_group, run_blocking
from steinresil._validation import Duration, check_name, check_optional_duration

if TYPE_CHECKING:
    from steinresil._registry import Registry

__all__ = [
    "EntryFailed",
    "EntrySkipped",
    "Fallback",
    "FallbackChain",
    "FallbackEvent",
    "FallbackUsed",
    "HedgeStarted",
    "SkipReason",
    "fallback",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class SkipReason(enum.Enum):
    """Why an entry was passed over without being called."""

    CIRCUIT_OPEN = "circuit_open"
    """Its circuit breaker is open (or its half-open trial slots are taken)."""
    UNAVAILABLE = "unavailable"
    """Its health check said unhealthy, returned ``False``, or raised."""


@dataclass(frozen=True, slots=True)
class EntrySkipped:
    """``entry`` of the chain ``name`` was not called; ``detail`` says what the guard said."""

    name: str
    entry: str
    reason: SkipReason
    detail: str


@dataclass(frozen=True, slots=True)
class EntryFailed:
    """``entry`` of the chain ``name`` raised ``error``, which moves on to the next entry."""

    name: str
    entry: str
    error: Exception


@dataclass(frozen=True, slots=True)
class FallbackUsed:
    """A call was served by ``entry``, not by the chain's first entry.

    ``index`` is the entry's position in the chain; ``passed_over`` names the entries that
    failed or were skipped first (empty when a hedge simply answered sooner).
    """

    name: str
    entry: str
    index: int
    passed_over: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HedgeStarted:
    """``entry`` was started because the one before it had not answered in ``after`` s."""

    name: str
    entry: str
    after: float


FallbackEvent: TypeAlias = EntrySkipped | EntryFailed | FallbackUsed | HedgeStarted


@dataclass(frozen=True, slots=True)
class Fallback(Generic[P, T]):
    """One entry of a ``FallbackChain``: a callable and what guards it.

    - ``name``: how events, errors and ``last_used`` call it (default: the function's).
    - ``breaker``: skip the entry while this circuit is open, and run it through the
      breaker otherwise. A function decorated with a breaker brings its own.
    - ``health``: a sync or async check (as for ``HealthAggregator``); ``False`` or
      UNHEALTHY, or raising, skips the entry. DEGRADED still counts as available.
    - ``when``: exception types or a predicate for the errors that move on to the next
      entry (default: the chain's); any other error propagates at once.
    - ``last_resort``: only for the last entry; it is never skipped, so it takes no
      breaker or health check.

    Calling a ``Fallback`` calls ``fn`` directly, without its guards.
    """

    fn: Callable[P, T]
    _: KW_ONLY
    name: str = ""
    breaker: CircuitBreaker | None = None
    health: HealthCheck | None = None
    when: ExceptionFilter | None = None
    last_resort: bool = False

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise ValueError(f"Fallback: fn must be a callable, got {self.fn!r}")
        if not isinstance(self.name, str):
            raise ValueError(f"Fallback: name must be a string, got {self.name!r}")
        if not self.name:
            object.__setattr__(self, "name", str(getattr(self.fn, "__name__", repr(self.fn))))
        owner = f"Fallback({self.name!r})"
        if self.breaker is not None and not isinstance(self.breaker, CircuitBreaker):
            raise ValueError(f"{owner}: breaker must be a CircuitBreaker, got {self.breaker!r}")
        if self.health is not None and not callable(self.health):
            raise ValueError(f"{owner}: health must be a callable check, got {self.health!r}")
        if self.when is not None:
            exception_filter(owner, "when", self.when, refusals_when_named=False)
        if not isinstance(self.last_resort, bool):
            raise ValueError(
                f"{owner}: last_resort must be True or False, got {self.last_resort!r}"
            )
        if self.last_resort and (self.breaker is not None or self.health is not None):
            raise ValueError(
                f"{owner}: last_resort is never skipped, so it takes no breaker or health check, "
                f"got breaker={self.breaker!r}, health={self.health!r}"
            )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.fn(*args, **kwargs)


class _Entry:
    """A ``Fallback`` with what the chain works out about it once, at construction."""

    __slots__ = (
        "breaker",
        "config",
        "fn",
        "guarded",
        "health",
        "health_is_async",
        "index",
        "is_async",
        "last_resort",
        "moves_on",
        "name",
    )

    def __init__(
        self, config: Fallback[..., Any], index: int, moves_on: Callable[[BaseException], bool]
    ) -> None:
        self.config = config
        self.index = index
        self.name = config.name
        self.fn = config.fn
        self.is_async = is_async_callable(config.fn)
        self.last_resort = config.last_resort
        own = getattr(config.fn, "circuit_breaker", None)
        # A function decorated with a breaker is guarded already: use that breaker to
        # decide on skipping, but do not run the call through it a second time.
        self.guarded = isinstance(own, CircuitBreaker) and config.breaker in (None, own)
        self.breaker = own if self.guarded else config.breaker
        self.health = config.health
        self.health_is_async = config.health is not None and is_async_callable(config.health)
        self.moves_on = moves_on


@dataclass(slots=True)
class _Answer:
    """What a racing task posts: an entry's value or error, or the hedge timer going off."""

    entry: _Entry | None
    value: object = None
    error: Exception | None = None
    timer: int = 0
    skipped: CallRejectedError | None = None
    """Its health check said unavailable before it was called."""


@dataclass(slots=True)
class _RaceResult:
    value: object = None
    error: BaseException | None = None


class FallbackChain(Generic[P, T]):
    """Tries its entries in order and returns the first answer.

    An entry is skipped without being called while its breaker is open or its health
    check says it is unavailable. An error matching ``when`` (per entry, else the chain's;
    default any ``Exception``) moves on to the next entry; any other error propagates at
    once. When nothing answers, ``AllFallbacksFailedError`` holds every entry's cause.

    With ``hedge_after``, ``call_async`` starts the next entry when the current one has
    not answered within that many seconds (on ``clock``), takes the first success and
    cancels the rest. ``call`` always tries one entry at a time.
    """

    def __init__(
        self,
        entries: Sequence[Callable[P, T]],
        *,
        name: str = "default",
        when: ExceptionFilter = Exception,
        hedge_after: Duration | None = None,
        clock: Clock | None = None,
        listeners: Iterable[Callable[[FallbackEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        check_name("FallbackChain", name)
        owner = f"FallbackChain({name!r})"
        self.name = name
        default = exception_filter(owner, "when", when, refusals_when_named=False)
        self.hedge_after = check_optional_duration(owner, "hedge_after", hedge_after)
        self.clock = clock if clock is not None else system_clock
        self._listeners = normalize_listeners(owner, listeners)
        self._when = when
        self._entries = _build_entries(owner, entries, default)
        self.last_used: str | None = None
        """The name of the entry that served the most recent successful call."""
        self._decorated: weakref.WeakSet[FallbackChain[..., Any]] = weakref.WeakSet()
        """The chains this one made by decorating: they hear its listeners, later ones too."""
        if registry is not None:
            registry.add(self)

    @property
    def entries(self) -> tuple[Fallback[P, T], ...]:
        """The entries in order, each as a ``Fallback``."""
        return tuple(cast("Fallback[P, T]", entry.config) for entry in self._entries)

    # ---- the decisions -------------------------------------------------------------------

    def _breaker_rejection(self, entry: _Entry) -> CircuitOpenError | None:
        breaker = entry.breaker
        if entry.last_resort or breaker is None or breaker.accepting_calls:
            return None
        return CircuitOpenError(breaker.name, breaker.metrics.retry_after)

    def _health_rejection(self, entry: _Entry, outcome: object) -> EntryUnavailableError | None:
        """Read what the health check returned (or raised) as available or not."""
        if isinstance(outcome, BaseException):
            return EntryUnavailableError(entry.name, f"health check raised {_describe(outcome)}")
        health = read_health(outcome)
        if health.status is not HealthStatus.UNHEALTHY:
            return None
        return EntryUnavailableError(entry.name, health.error or "health check says unhealthy")

    def _skipped(
        self, entry: _Entry, rejection: CallRejectedError, causes: list[tuple[_Entry, Exception]]
    ) -> None:
        reason = (
            SkipReason.CIRCUIT_OPEN
            if isinstance(rejection, CircuitOpenError)
            else SkipReason.UNAVAILABLE
        )
        _note(rejection, f"fallback chain {self.name!r}: entry {entry.name!r} was skipped")
        causes.append((entry, rejection))
        logger.debug("fallback chain %r skipped %r: %s", self.name, entry.name, rejection)
        if self._listeners:
            emit(self._listeners, EntrySkipped(self.name, entry.name, reason, str(rejection)))

    def _failed(
        self, entry: _Entry, exc: Exception, causes: list[tuple[_Entry, Exception]]
    ) -> bool:
        """Record an entry's error and say whether it moves on (else it propagates)."""
        breaker = entry.breaker
        if isinstance(exc, CircuitOpenError) and breaker is not None and exc.name == breaker.name:
            # The breaker refused before the entry ran (trial slots taken): a skip.
            self._skipped(entry, exc, causes)
            return True
        if not entry.moves_on(exc):
            return False
        _note(exc, f"fallback chain {self.name!r}: entry {entry.name!r} failed")
        causes.append((entry, exc))
        logger.debug("fallback chain %r: entry %r failed: %r", self.name, entry.name, exc)
        if self._listeners:
            emit(self._listeners, EntryFailed(self.name, entry.name, exc))
        return True

    def _served(self, entry: _Entry, causes: list[tuple[_Entry, Exception]]) -> None:
        self.last_used = entry.name
        if entry.index == 0:
            return
        passed_over = tuple(failed.name for failed, _ in sorted(causes, key=_by_index))
        # DEBUG, not INFO: while a provider is down this happens on every call; the
        # breaker's WARNING and the health report are the signals to act on.
        logger.debug(
            "fallback chain %r served by %r (passed over: %s)",
            self.name,
            entry.name,
            ", ".join(passed_over) or "none",
        )
        if self._listeners:
            emit(self._listeners, FallbackUsed(self.name, entry.name, entry.index, passed_over))

    def _all_failed(self, causes: list[tuple[_Entry, Exception]]) -> AllFallbacksFailedError:
        causes = sorted(causes, key=_by_index)
        summary = "; ".join(f"{entry.name}: {_describe(exc)}" for entry, exc in causes)
        return AllFallbacksFailedError(
            f"every entry of fallback chain {self.name!r} failed ({summary})",
            [exc for _, exc in causes],
            [entry.name for entry, _ in causes],
        )

    # ---- driver: sync --------------------------------------------------------------------

    def call(self, *args: P.args, **kwargs: P.kwargs) -> T:
        """Try the entries in order with these arguments; return the first answer."""
        causes: list[tuple[_Entry, Exception]] = []
        for entry in self._entries:
            if entry.is_async:
                raise TypeError(
                    f"FallbackChain({self.name!r}): entry {entry.name!r} is async; use call_async"
                )
            rejection = self._rejection_sync(entry)
            if rejection is not None:
                self._skipped(entry, rejection, causes)
                continue
            try:
                result = self._invoke_sync(entry, args, kwargs)
            except Exception as exc:
                if not self._failed(entry, exc, causes):
                    raise
                continue
            self._refuse_awaitable(entry, result)
            self._served(entry, causes)
            return result
        raise self._all_failed(causes)

    def _rejection_sync(self, entry: _Entry) -> CallRejectedError | None:
        rejection = self._breaker_rejection(entry)
        if rejection is not None or entry.health is None or entry.last_resort:
            return rejection
        health = entry.health
        try:
            outcome: object = (
                run_blocking(cast("Callable[[], Awaitable[object]]", health))
                if entry.health_is_async
                else health()
            )
        except Exception as exc:
            outcome = exc
        return self._health_rejection(entry, outcome)

    def _invoke_sync(self, entry: _Entry, args: Any, kwargs: Any) -> T:
        breaker = entry.breaker
        if breaker is None or entry.guarded:
            return cast("T", entry.fn(*args, **kwargs))
        return cast("T", breaker.call(entry.fn, *args, **kwargs))

    def _refuse_awaitable(self, entry: _Entry, result: object) -> None:
        """A sync call cannot await; a forgotten ``async`` must not pass for an answer."""
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never to be awaited; closing avoids a "never awaited" warning
            raise TypeError(
                f"FallbackChain({self.name!r}): entry {entry.name!r} returned an awaitable; "
                "use call_async"
            )

    # ---- driver: async -------------------------------------------------------------------

    @overload
    async def call_async(
        self: FallbackChain[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> R: ...
    @overload
    async def call_async(self: FallbackChain[P, R], *args: P.args, **kwargs: P.kwargs) -> R: ...
    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Like ``call``, awaiting async entries (sync entries are called as they are).

        With ``hedge_after`` set, a slow entry gets company instead of a successor.
        """
        if self.hedge_after is not None and len(self._entries) > 1:
            return await self._call_hedged(self.hedge_after, args, kwargs)
        causes: list[tuple[_Entry, Exception]] = []
        for entry in self._entries:
            rejection = await self._rejection_async(entry)
            if rejection is not None:
                self._skipped(entry, rejection, causes)
                continue
            try:
                result = await self._invoke_async(entry, args, kwargs)
            except Exception as exc:
                if not self._failed(entry, exc, causes):
                    raise
                continue
            self._served(entry, causes)
            return result
        raise self._all_failed(causes)

    async def _rejection_async(self, entry: _Entry) -> CallRejectedError | None:
        rejection = self._breaker_rejection(entry)
        if rejection is not None:
            return rejection
        return await self._health_rejection_async(entry)

    async def _health_rejection_async(self, entry: _Entry) -> CallRejectedError | None:
        if entry.health is None or entry.last_resort:
            return None
        try:
            outcome: object = entry.health()
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except Exception as exc:
            outcome = exc
        return self._health_rejection(entry, outcome)

    async def _invoke_async(self, entry: _Entry, args: Any, kwargs: Any) -> Any:
        async def run() -> Any:
            result = entry.fn(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        breaker = entry.breaker
        if breaker is None or entry.guarded:
            return await run()
        return await breaker.call_async(run)

    # ---- driver: hedged ------------------------------------------------------------------

    async def _call_hedged(self, hedge_after: float, args: Any, kwargs: Any) -> Any:
        # The group must not see our error: trio and asyncio would wrap it in an
        # ExceptionGroup. Decide inside, cancel the rest, raise outside.
        async with open_task_group() as group:
            result = await _Race(self, group, hedge_after, args, kwargs).run()
            group.cancel()
        if result.error is not None:
            raise result.error
        return result.value

    # ---- which entry would serve now -------------------------------------------------------

    def best_available(self) -> Fallback[P, T] | None:
        """The first entry that would be tried now (breaker not open, health not failing).

        ``None`` when every entry would be skipped (never with a last resort). A half-open
        breaker counts as available: a trial call may be let through.
        """
        for entry in self._entries:
            if self._rejection_sync(entry) is None:
                return cast("Fallback[P, T]", entry.config)
        return None

    async def best_available_async(self) -> Fallback[P, T] | None:
        """``best_available`` for async code: async health checks run on the current loop."""
        for entry in self._entries:
            if await self._rejection_async(entry) is None:
                return cast("Fallback[P, T]", entry.config)
        return None

    # ---- decorator -------------------------------------------------------------------------

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a primary function: the result tries ``fn`` first, then these entries.

        The chain that runs (with ``fn`` in front) is the wrapper's ``fallback_chain``; it
        tells this chain's listeners, also those added or removed later. ``last_used`` is
        the wrapper's chain's.
        """
        check_decoratable(repr(self), fn, inside="chain.call(...)")
        chain: FallbackChain[P, T] = FallbackChain(
            [fn, *self.entries],
            name=self.name,
            when=self._when,
            hedge_after=self.hedge_after,
            clock=self.clock,
            listeners=self._listeners,
        )
        self._decorated.add(chain)
        if is_async_callable(fn):

            @functools.wraps(fn)
            async def call_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                return await chain.call_async(*args, **kwargs)

            wrapper = cast("Callable[P, T]", call_async)
        else:

            @functools.wraps(fn)
            def call(*args: P.args, **kwargs: P.kwargs) -> T:
                return chain.call(*args, **kwargs)

            wrapper = call
        wrapper.fallback_chain = chain  # type: ignore[attr-defined]
        return wrapper

    def reset(self) -> None:
        """Forget which entry served last (``last_used`` is None again)."""
        self.last_used = None

    def add_listener(self, listener: Callable[[FallbackEvent], object]) -> None:
        """Also tell ``listener`` about skips, failures and fallbacks from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))
        for decorated in list(self._decorated):
            decorated.add_listener(listener)

    def remove_listener(self, listener: Callable[[FallbackEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)
        for decorated in list(self._decorated):
            with contextlib.suppress(ValueError):  # removed from that chain directly
                decorated.remove_listener(listener)

    def __repr__(self) -> str:
        names = ", ".join(entry.name for entry in self._entries)
        return f"<FallbackChain {self.name!r} [{names}]>"


class _Race:
    """One hedged call: what runs, which hedge timer still counts, and the causes so far."""

    def __init__(
        self,
        chain: FallbackChain[..., Any],
        group: TaskGroup[_Answer],
        hedge_after: float,
        args: Any,
        kwargs: Any,
    ) -> None:
        self.chain = chain
        self.group = group
        self.hedge_after = hedge_after
        self.args = args
        self.kwargs = kwargs
        self.waiting = iter(chain._entries)
        self.running: set[_Entry] = set()
        self.latest: _Entry | None = None
        """The newest entry started; only its hedge timer counts."""
        self.causes: list[tuple[_Entry, Exception]] = []

    # The loop below never awaits anything but the next message: health checks and calls
    # run in the group's tasks, so an answer is read the moment it is posted, and a slow
    # or hanging health check is overtaken by the hedge timer like a slow entry.

    async def run(self) -> _RaceResult:
        self.start_next()
        while self.running:
            answer = await self.group.next_message()
            if answer.timer:
                self.on_timer(answer.entry)
                continue
            result = self.on_answer(cast("_Entry", answer.entry), answer)
            if result is not None:
                return result
        return _RaceResult(error=self.chain._all_failed(self.causes))

    def start_next(self) -> _Entry | None:
        """Start the next entry whose breaker accepts calls, with a hedge timer if more follow.

        Its health check runs in its own task, before the call (see ``answer``).
        """
        chain = self.chain
        for entry in self.waiting:
            rejection = chain._breaker_rejection(entry)
            if rejection is not None:
                chain._skipped(entry, rejection, self.causes)
                continue
            self.running.add(entry)
            self.latest = entry
            self.group.spawn(functools.partial(self.answer, entry))
            if entry.index + 1 < len(chain._entries):
                self.group.spawn(functools.partial(self.hedge_timer, entry))
            return entry
        return None

    def on_timer(self, entry: _Entry | None) -> None:
        if entry is not self.latest or entry not in self.running:
            return  # a timer of an entry that has answered, or that was overtaken
        started = self.start_next()
        if started is not None:
            logger.debug("fallback chain %r hedges with %r", self.chain.name, started.name)
            if self.chain._listeners:
                emit(
                    self.chain._listeners,
                    HedgeStarted(self.chain.name, started.name, self.hedge_after),
                )

    def on_answer(self, entry: _Entry, answer: _Answer) -> _RaceResult | None:
        self.running.discard(entry)
        if answer.skipped is not None:
            self.chain._skipped(entry, answer.skipped, self.causes)
            if entry is self.latest:  # its successor starts now, as if it had failed
                self.start_next()
            return None
        if answer.error is None:
            self.chain._served(entry, self.causes)
            return _RaceResult(value=answer.value)
        if not self.chain._failed(entry, answer.error, self.causes):
            return _RaceResult(error=answer.error)
        if entry is self.latest:  # the newest entry failed: its successor starts now
            self.start_next()
        return None

    async def answer(self, entry: _Entry) -> None:
        skipped = await self.chain._health_rejection_async(entry)
        if skipped is not None:
            self.group.post(_Answer(entry, skipped=skipped))
            return
        try:
            value = await self.chain._invoke_async(entry, self.args, self.kwargs)
        except Exception as exc:
            self.group.post(_Answer(entry, error=exc))
        else:
            self.group.post(_Answer(entry, value=value))

    async def hedge_timer(self, entry: _Entry) -> None:
        await self.chain.clock.sleep_async(self.hedge_after)
        self.group.post(_Answer(entry, timer=1))


def fallback(
    *alternatives: Callable[P, T],
    name: str | None = None,
    when: ExceptionFilter = Exception,
    hedge_after: Duration | None = None,
    clock: Clock | None = None,
    listeners: Iterable[Callable[[FallbackEvent], object]] = (),
    registry: Registry | None = None,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a function so that the ``alternatives`` answer when it fails.

    ``@fallback(ollama, Fallback(local, last_resort=True))`` over ``def openai(...)``
    builds ``FallbackChain([openai, ollama, local])``, named after the function unless
    ``name`` is given, reachable as the wrapper's ``fallback_chain``.
    """
    if not alternatives:
        raise ValueError("fallback: alternatives must name at least one entry, got none")

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        chain = FallbackChain(
            alternatives,
            name=name or str(getattr(fn, "__name__", "fallback")),
            when=when,
            hedge_after=hedge_after,
            clock=clock,
            listeners=listeners,
            registry=registry,
        )
        return chain(fn)

    return decorate


def _build_entries(
    owner: str, entries: Sequence[Callable[..., Any]], default: Callable[[BaseException], bool]
) -> tuple[_Entry, ...]:
    given: object = entries
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise ValueError(f"{owner}: entries must be a sequence of callables, got {entries!r}")
    built: list[_Entry] = []
    seen: set[str] = set()
    items = list(entries)
    if not items:
        raise ValueError(f"{owner}: entries must hold at least one entry, got {entries!r}")
    for index, item in enumerate(items):
        if not callable(item):
            raise ValueError(f"{owner}: entries[{index}] must be a callable, got {item!r}")
        config = item if isinstance(item, Fallback) else Fallback(item)
        if config.name in seen:
            raise ValueError(
                f"{owner}: entries[{index}].name {config.name!r} is taken by an earlier entry; "
                "give it another with Fallback(fn, name=...)"
            )
        seen.add(config.name)
        if config.last_resort and index != len(items) - 1:
            raise ValueError(
                f"{owner}: entries[{index}].last_resort must be False: only the last entry "
                f"can be the last resort, got {config.name!r} at {index} of {len(items)}"
            )
        matcher = (
            default
            if config.when is None
            else exception_filter(
                owner, f"entries[{index}].when", config.when, refusals_when_named=False
            )
        )
        built.append(_Entry(config, index, matcher))
    return tuple(built)


def _note(exc: BaseException, note: str) -> None:
    # An entry may raise the same exception object every time (a module-level constant,
    # a mock): notes must not pile up on it call after call.
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


def _by_index(cause: tuple[_Entry, Exception]) -> int:
    return cause[0].index


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CircuitOpenError):
        return "skipped, circuit open"
    if isinstance(exc, EntryUnavailableError):
        return f"skipped, {exc.reason}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
