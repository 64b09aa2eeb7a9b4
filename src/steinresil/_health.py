"""Health checks, run concurrently with timeouts, rolled up to healthy / degraded / unhealthy.

Each registered check has its own *flight*: one run whose result every caller shares.
Deciding what a caller gets (a cached result, a share of the run in progress, or a new
run) is ``_claim``, plain code under a lock; the drivers only start threads, await and
wait. So ``check()`` from threads and ``check_async()`` from asyncio or trio tasks all
share one run per check, and a burst within ``cache_ttl`` runs each check once.

Who runs a check: an async check is awaited by the task that claimed it (``check_async``)
or on a fresh asyncio loop in a worker thread (``check()``); a sync check always runs in
a daemon worker thread, so a slow one never blocks a loop. Timeouts are real time (a
hung thread can only be abandoned in real time); the injected clock measures latency and
the cache TTL. A thread that hangs past its timeout is not started again while it still
runs: the check reads UNHEALTHY until it returns, so hung checks cannot pile up threads.
"""

from __future__ import annotations

import enum
import functools
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from steinresil._backend import start_daemon_thread
from steinresil._breaker import CircuitBreaker
from steinresil._circuit_state import CircuitState
from steinresil._clock import Clock, system_clock
from steinresil._events import emit, logger, normalize_listeners, without_listener
from steinresil._registry import Registry
from steinresil._tasks import (
    call_with_timeout,
    gather,
    is_async_callable,
    run_blocking,
    wait_for_wakeup,
)
from steinresil._validation import Duration, check_duration, check_name, check_optional_duration

if TYPE_CHECKING:
    from collections.abc import Coroutine

__all__ = [
    "ComponentHealth",
    "ComponentReport",
    "HealthAggregator",
    "HealthCheck",
    "HealthCheckFinished",
    "HealthEvent",
    "HealthReport",
    "HealthResult",
    "HealthStatus",
    "HealthStatusChanged",
    "read_health",
]


class HealthStatus(enum.Enum):
    """How well something works; ``code`` is the number for gauges (0, 1, 2)."""

    HEALTHY = "healthy"
    """Works as intended."""
    DEGRADED = "degraded"
    """Works, with something missing or slow: still serving, worth a look."""
    UNHEALTHY = "unhealthy"
    """Does not work."""

    @property
    def code(self) -> int:
        """0 healthy, 1 degraded, 2 unhealthy: for a gauge, where higher is worse."""
        return _CODES[self]


_CODES = {HealthStatus.HEALTHY: 0, HealthStatus.DEGRADED: 1, HealthStatus.UNHEALTHY: 2}
_HEALTHY = HealthStatus.HEALTHY
_DEGRADED = HealthStatus.DEGRADED
_UNHEALTHY = HealthStatus.UNHEALTHY


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """What a check may return when a plain ``bool`` or ``HealthStatus`` says too little."""

    status: HealthStatus
    details: Mapping[str, Any] = field(default_factory=dict)
    """JSON-ready facts for the report (versions, pool sizes, the active store ...)."""
    latency: float | None = None
    """Seconds the check measured itself; ``None`` lets the aggregator time the check."""
    error: str | None = None
    """Why the component is not healthy, for a check that reports rather than raises."""

    def __post_init__(self) -> None:
        if not isinstance(self.status, HealthStatus):
            raise ValueError(f"ComponentHealth: status must be a HealthStatus, got {self.status!r}")
        check_optional_duration("ComponentHealth", "latency", self.latency)


HealthResult: TypeAlias = bool | HealthStatus | ComponentHealth | None
"""What a check returns: ``True``/``False``, a status, or a ``ComponentHealth``.

``None`` (a check that returns nothing and does not raise) reads as healthy.
"""

AsyncHealthCheck: TypeAlias = Callable[[], Awaitable[HealthResult]]
HealthCheck: TypeAlias = Callable[[], HealthResult] | AsyncHealthCheck
"""A sync or async callable without arguments returning a ``HealthResult``."""


def read_health(result: object) -> ComponentHealth:
    """Turn whatever a check returned into a ``ComponentHealth``."""
    if isinstance(result, ComponentHealth):
        return result
    if isinstance(result, HealthStatus):
        return ComponentHealth(result)
    if result is None or result is True:
        return ComponentHealth(_HEALTHY)
    if result is False:
        return ComponentHealth(_UNHEALTHY, error="check returned False")
    return ComponentHealth(
        _UNHEALTHY,
        error=f"check returned {result!r}; expected a bool, HealthStatus or ComponentHealth",
    )


@dataclass(frozen=True, slots=True)
class ComponentReport:
    """One component's part of a ``HealthReport``."""

    name: str
    status: HealthStatus
    critical: bool
    latency: float | None
    """Seconds the check took (or its timeout, if it timed out); ``None`` if not timed."""
    details: Mapping[str, Any]
    error: str | None
    """Why it is not healthy: the exception text, ``timed out after ...``, or the check's."""

    def to_dict(self) -> dict[str, Any]:
        """``{status, critical, latency_ms, details, error}``, ready for ``json.dumps``."""
        return {
            "status": self.status.value,
            "critical": self.critical,
            "latency_ms": None if self.latency is None else round(self.latency * 1000, 3),
            "details": dict(self.details),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The rolled-up result of one ``check()`` or ``check_async()``."""

    status: HealthStatus
    components: Mapping[str, ComponentReport]
    """Every component by name, in the order registered; attached breakers come last."""
    timestamp: datetime
    """When the report was made, wall-clock time in UTC."""
    duration: float
    """Seconds the whole check took, on the aggregator's clock."""

    def to_dict(self) -> dict[str, Any]:
        """``{status, timestamp, components{name: {...}}}``, ready for ``json.dumps``."""
        stamp = self.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "status": self.status.value,
            "timestamp": stamp,
            "components": {name: part.to_dict() for name, part in self.components.items()},
        }


@dataclass(frozen=True, slots=True)
class HealthCheckFinished:
    """A check's result is in: it answered, raised, timed out, or still hangs from before.

    Sent once per run, possibly from a worker thread; cached and shared results do not
    repeat it. ``name`` is the aggregator's, ``component.name`` the check's.
    """

    name: str
    component: ComponentReport


@dataclass(frozen=True, slots=True)
class HealthStatusChanged:
    """The overall status differs from the previous report's (``None``: the first report)."""

    name: str
    old_status: HealthStatus | None
    new_status: HealthStatus
    report: HealthReport


HealthEvent: TypeAlias = HealthCheckFinished | HealthStatusChanged


def roll_up(components: Iterable[ComponentReport]) -> HealthStatus:
    """Any critical component unhealthy: UNHEALTHY; anything else wrong: DEGRADED."""
    status = _HEALTHY
    for component in components:
        if component.status is _UNHEALTHY:
            if component.critical:
                return _UNHEALTHY
            status = _DEGRADED
        elif component.status is _DEGRADED:
            status = _DEGRADED
    return status


class _Flight:
    """One run of one check. ``result`` is set once; ``abandoned`` if its runner was cancelled."""

    __slots__ = (
        "abandoned",
        "deadline",
        "done",
        "finished_at",
        "loop_thread",
        "result",
        "started",
        "wakers",
    )

    def __init__(self, started: float, deadline: float) -> None:
        self.started = started
        self.deadline = deadline
        """Real ``time.monotonic()`` after which waiters stop waiting."""
        self.result: ComponentReport | None = None
        self.finished_at = 0.0
        self.abandoned = False
        self.done = threading.Event()
        self.wakers: list[Callable[[], object]] = []
        self.loop_thread: int | None = None
        """The thread whose event loop runs the check, when a task runs it there."""


class _Component:
    __slots__ = (
        "check",
        "critical",
        "in_flight",
        "is_async",
        "last",
        "name",
        "thread_running",
        "timeout",
    )

    def __init__(
        self, name: str, check: HealthCheck, *, critical: bool, timeout: float, is_async: bool
    ) -> None:
        self.name = name
        self.check = check
        self.critical = critical
        self.timeout = timeout
        self.is_async = is_async
        self.in_flight: _Flight | None = None
        self.last: _Flight | None = None
        self.thread_running = False


class _Claim(enum.Enum):
    READY = "ready"  # a result is there already: cached, or just decided
    WAIT = "wait"  # someone else runs it: wait for their result
    RUN = "run"  # this caller starts the run
    BUSY = "busy"  # the last run's thread still hangs: do not start another


@dataclass(frozen=True, slots=True)
class _BreakerSource:
    breakers: Registry | tuple[CircuitBreaker, ...]
    open_is: HealthStatus
    prefix: str


class HealthAggregator:
    """Runs registered health checks concurrently and rolls them up into one status.

    ``timeout`` bounds each check (``register(..., timeout=)`` overrides it); the whole
    report takes about the largest timeout, not the sum. ``cache_ttl`` keeps each check's
    result that long, and callers asking while a check runs share that run. ``name``
    (``"default"`` unless given) is what its events and a ``registry`` call it.
    """

    def __init__(
        self,
        timeout: Duration = 2.0,
        cache_ttl: Duration = 0.0,
        *,
        name: str = "default",
        clock: Clock | None = None,
        listeners: Iterable[Callable[[HealthEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        check_name("HealthAggregator", name)
        owner = f"HealthAggregator({name!r})"
        self.name = name
        self.timeout = check_duration(owner, "timeout", timeout, allow_zero=False)
        self.cache_ttl = check_duration(owner, "cache_ttl", cache_ttl)
        self.clock = clock if clock is not None else system_clock
        self._now = self.clock.monotonic
        self._listeners = normalize_listeners(owner, listeners)
        self._lock = threading.Lock()
        self._components: dict[str, _Component] = {}
        self._breaker_sources: list[_BreakerSource] = []
        self._last_report: HealthReport | None = None
        if registry is not None:
            registry.add(self)

    # ---- configuration -------------------------------------------------------------------

    def register(
        self,
        name: str,
        check: HealthCheck,
        critical: bool = True,
        timeout: Duration | None = None,
    ) -> None:
        """Add a check. A non-critical component that fails only degrades the whole."""
        owner = f"HealthAggregator.register({name!r})"
        check_name("HealthAggregator.register", name)
        if not callable(check):
            raise ValueError(f"{owner}: check must be a callable, got {check!r}")
        if not isinstance(critical, bool):
            raise ValueError(f"{owner}: critical must be True or False, got {critical!r}")
        limit = check_optional_duration(owner, "timeout", timeout, allow_zero=False)
        component = _Component(
            name,
            check,
            critical=critical,
            timeout=self.timeout if limit is None else limit,
            is_async=is_async_callable(check),
        )
        with self._lock:
            if name in self._components:
                raise ValueError(f"{owner}: name {name!r} is registered already")
            self._components[name] = component

    def unregister(self, name: str) -> None:
        """Remove the check called ``name``; unknown names are refused."""
        with self._lock:
            if self._components.pop(name, None) is None:
                raise ValueError(f"HealthAggregator.unregister: no check named {name!r}")

    def attach_breakers(
        self,
        breakers: Registry | Iterable[CircuitBreaker],
        *,
        open_is: HealthStatus = HealthStatus.DEGRADED,
        prefix: str = "circuit:",
    ) -> None:
        """Show circuit breakers as components named ``prefix + breaker.name``.

        A closed breaker is healthy, a half-open one degraded (it is testing recovery), an
        open one ``open_is``: DEGRADED by default, UNHEALTHY to fail the whole report (the
        breaker then counts as critical). A ``Registry`` is read at every check, so
        breakers added later show up too. A check registered under the same name wins.
        """
        owner = "HealthAggregator.attach_breakers"
        if open_is is not _DEGRADED and open_is is not _UNHEALTHY:
            raise ValueError(f"{owner}: open_is must be DEGRADED or UNHEALTHY, got {open_is!r}")
        if not isinstance(prefix, str):
            raise ValueError(f"{owner}: prefix must be a string, got {prefix!r}")
        if not isinstance(breakers, Registry):
            breakers = tuple(breakers)
            for breaker in breakers:
                if not isinstance(breaker, CircuitBreaker):
                    raise ValueError(
                        f"{owner}: breakers must be a Registry or CircuitBreakers, got {breaker!r}"
                    )
        with self._lock:
            self._breaker_sources.append(_BreakerSource(breakers, open_is, prefix))

    def reset(self) -> None:
        """Forget cached results and the last report: the next check runs every check
        afresh, and its status is announced as the first (``old_status`` None). A run
        still in flight finishes for those waiting on it."""
        with self._lock:
            for component in self._components.values():
                component.last = None
            self._last_report = None

    def add_listener(self, listener: Callable[[HealthEvent], object]) -> None:
        """Also tell ``listener`` about finished checks and status changes from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[HealthEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    @property
    def names(self) -> tuple[str, ...]:
        """The registered checks, in order."""
        with self._lock:
            return tuple(self._components)

    @property
    def last_report(self) -> HealthReport | None:
        """The most recent report, without running anything (e.g. for a readiness probe)."""
        return self._last_report

    # ---- the decisions ---------------------------------------------------------------------

    def _claim(self, component: _Component) -> tuple[_Flight, _Claim]:
        """How this caller gets the component's result: cached, shared, or by a new run."""
        now = self._now()
        with self._lock:
            last = component.last
            if last is not None and self._fresh(last, now):
                return last, _Claim.READY
            if component.in_flight is not None:
                return component.in_flight, _Claim.WAIT
            flight = _Flight(now, time.monotonic() + component.timeout)
            component.in_flight = flight
            return flight, _Claim.BUSY if component.thread_running else _Claim.RUN

    def _fresh(self, flight: _Flight, now: float) -> bool:
        return now - flight.finished_at < self.cache_ttl

    def _cached(self, components: list[_Component]) -> list[ComponentReport | None]:
        """Each component's cached result, or ``None`` where it has to be run or waited for."""
        now = self._now()
        with self._lock:
            lasts = [component.last for component in components]
        return [
            last.result if last is not None and self._fresh(last, now) else None for last in lasts
        ]

    def _finish(self, component: _Component, flight: _Flight, result: ComponentReport) -> None:
        """Give the flight its result, unless it has one; wake everyone waiting for it."""
        with self._lock:
            if flight.result is not None or flight.abandoned:
                return
            flight.result = result
            flight.finished_at = self._now()
            if component.in_flight is flight:
                component.in_flight = None
                component.last = flight
            wakers, flight.wakers = flight.wakers, []
        flight.done.set()
        for wake in wakers:
            wake()
        if self._listeners:
            emit(self._listeners, HealthCheckFinished(self.name, result))

    def _abandon(self, component: _Component, flight: _Flight) -> None:
        """The task running the check was cancelled: waiters start over and one takes over."""
        with self._lock:
            if flight.result is not None:
                return
            flight.abandoned = True
            if component.in_flight is flight:
                component.in_flight = None
            wakers, flight.wakers = flight.wakers, []
        flight.done.set()
        for wake in wakers:
            wake()

    def _subscribe(self, flight: _Flight, wake: Callable[[], object]) -> bool:
        with self._lock:
            if flight.result is not None or flight.abandoned:
                return False
            flight.wakers.append(wake)
            return True

    # ---- turning outcomes into reports -----------------------------------------------------

    def _report_for(self, component: _Component, started: float, result: object) -> ComponentReport:
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: closing avoids a "never awaited" warning
            return self._report_error(
                component, started, "check returned an awaitable; declare it with async def"
            )
        health = read_health(result)
        latency = health.latency if health.latency is not None else self._now() - started
        return ComponentReport(
            component.name,
            health.status,
            component.critical,
            latency,
            health.details,
            health.error,
        )

    def _report_error(
        self, component: _Component, started: float, error: str | BaseException
    ) -> ComponentReport:
        if isinstance(error, BaseException):
            logger.debug("health check %r raised", component.name, exc_info=error)
            error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        latency = self._now() - started
        return ComponentReport(component.name, _UNHEALTHY, component.critical, latency, {}, error)

    def _report_timeout(self, component: _Component) -> ComponentReport:
        error = f"timed out after {component.timeout:g} s"
        return ComponentReport(
            component.name, _UNHEALTHY, component.critical, component.timeout, {}, error
        )

    def _report_busy(self, component: _Component) -> ComponentReport:
        error = "still running from an earlier check that timed out"
        return ComponentReport(component.name, _UNHEALTHY, component.critical, None, {}, error)

    # ---- running a check in a thread ---------------------------------------------------------

    def _start_thread(self, component: _Component, flight: _Flight) -> None:
        with self._lock:
            component.thread_running = True
        try:
            start_daemon_thread(
                functools.partial(self._run_in_thread, component, flight),
                f"steinresil-health-{component.name}",
            )
        except RuntimeError as exc:  # the interpreter is out of threads
            with self._lock:
                component.thread_running = False
            self._finish(component, flight, self._report_error(component, flight.started, exc))

    def _run_in_thread(self, component: _Component, flight: _Flight) -> None:
        # Nothing may escape a worker thread: whatever happens becomes the check's result.
        try:
            if component.is_async:
                check = cast("AsyncHealthCheck", component.check)
                timed_out, value = run_blocking(lambda: call_with_timeout(check, component.timeout))
                result = (
                    self._report_timeout(component)
                    if timed_out
                    else self._report_for(component, flight.started, value)
                )
            else:
                returned: object = component.check()
                result = self._report_for(component, flight.started, returned)
        except BaseException as exc:  # a worker thread has nobody to raise to
            result = self._report_error(component, flight.started, exc)
        finally:
            with self._lock:
                component.thread_running = False
        self._finish(component, flight, result)

    # ---- driver: sync ----------------------------------------------------------------------------

    def check(self) -> HealthReport:
        """Run every check now (or use cached results) and roll them up; blocks the thread.

        Each check runs in a worker thread, async checks on a fresh asyncio loop there, so
        the time taken is about the largest timeout. In async code use ``check_async``.
        """
        started = self._now()
        components = self._snapshot()
        flights = [self._start_sync(component) for component in components]
        results = [
            self._wait_sync(component, flight)
            for component, flight in zip(components, flights, strict=True)
        ]
        return self._report(results, started)

    def _start_sync(self, component: _Component) -> _Flight:
        flight, claim = self._claim(component)
        if claim is _Claim.RUN:
            self._start_thread(component, flight)
        elif claim is _Claim.BUSY:
            self._finish(component, flight, self._report_busy(component))
        return flight

    def _wait_sync(self, component: _Component, flight: _Flight) -> ComponentReport:
        while True:
            if flight.loop_thread == threading.get_ident():
                self._run_beside(component, flight)
            if not flight.done.wait(_seconds_until(flight.deadline)):
                self._finish(component, flight, self._report_timeout(component))
            if flight.result is not None:
                return flight.result
            flight = self._start_sync(component)  # abandoned by a cancelled task: take over

    def _run_beside(self, component: _Component, shared: _Flight) -> None:
        """Run the check in a thread and give ``shared`` its result.

        ``shared`` is run by a task of the event loop this thread runs, which cannot move
        while ``check()`` blocks the thread: waiting for it could only time out.
        """
        own = _Flight(self._now(), time.monotonic() + component.timeout)
        self._start_thread(component, own)
        if not own.done.wait(_seconds_until(own.deadline)):
            self._finish(component, own, self._report_timeout(component))
        if own.result is not None:
            self._finish(component, shared, own.result)

    # ---- driver: async ---------------------------------------------------------------------------

    async def check_async(self) -> HealthReport:
        """Run every check concurrently (or use cached results) and roll them up.

        Async checks run on the current loop (asyncio or trio), sync checks in worker
        threads, so a slow check never blocks the loop.
        """
        started = self._now()
        components = self._snapshot()
        cached = self._cached(components)
        # Cached results need no task each: a burst of probes within the TTL stays cheap.
        runs: list[Callable[[], Coroutine[Any, Any, ComponentReport]]] = [
            functools.partial(self._component_async, component)
            for component, result in zip(components, cached, strict=True)
            if result is None
        ]
        fresh = iter(await gather(runs) if runs else [])
        results = [result if result is not None else next(fresh) for result in cached]
        return self._report(results, started)

    async def _component_async(self, component: _Component) -> ComponentReport:
        while True:
            flight, claim = self._claim(component)
            if claim is _Claim.READY:
                assert flight.result is not None  # noqa: S101 - READY means it has one
                return flight.result
            if claim is _Claim.BUSY:
                self._finish(component, flight, self._report_busy(component))
            elif claim is _Claim.RUN and component.is_async:
                flight.loop_thread = threading.get_ident()
                await self._run_here(component, flight)
            elif claim is _Claim.RUN:
                self._start_thread(component, flight)
            remaining = flight.deadline - time.monotonic()
            if not await wait_for_wakeup(functools.partial(self._subscribe, flight), remaining):
                self._finish(component, flight, self._report_timeout(component))
            if flight.result is not None:
                return flight.result
            # abandoned by a cancelled task: go round and claim it again

    async def _run_here(self, component: _Component, flight: _Flight) -> None:
        check = cast("AsyncHealthCheck", component.check)
        try:
            timed_out, value = await call_with_timeout(check, component.timeout)
        except Exception as exc:
            result = self._report_error(component, flight.started, exc)
        except BaseException:
            self._abandon(component, flight)
            raise
        else:
            result = (
                self._report_timeout(component)
                if timed_out
                else self._report_for(component, flight.started, value)
            )
        self._finish(component, flight, result)

    # ---- the report ------------------------------------------------------------------------------

    def _snapshot(self) -> list[_Component]:
        with self._lock:
            return list(self._components.values())

    def _report(self, results: list[ComponentReport], started: float) -> HealthReport:
        components = {result.name: result for result in results}
        for result in self._breaker_reports():
            components.setdefault(result.name, result)
        status = roll_up(components.values())
        report = HealthReport(status, components, datetime.now(UTC), self._now() - started)
        with self._lock:
            previous = self._last_report
            self._last_report = report
        old_status = None if previous is None else previous.status
        if old_status is not status:
            self._announce(old_status, report)
        return report

    def _announce(self, old_status: HealthStatus | None, report: HealthReport) -> None:
        failing = [name for name, part in report.components.items() if part.status is not _HEALTHY]
        if report.status is _HEALTHY:
            logger.info("health is healthy (was %s)", old_status and old_status.value)
        else:
            logger.warning(
                "health is %s (was %s): %s",
                report.status.value,
                old_status and old_status.value,
                ", ".join(failing),
            )
        if self._listeners:
            emit(self._listeners, HealthStatusChanged(self.name, old_status, report.status, report))

    def _breaker_reports(self) -> list[ComponentReport]:
        with self._lock:
            sources = list(self._breaker_sources)
        reports: list[ComponentReport] = []
        for source in sources:
            breakers = source.breakers
            if isinstance(breakers, Registry):
                breakers = tuple(breakers.circuit_breakers())
            reports.extend(_breaker_report(breaker, source) for breaker in breakers)
        return reports

    def __repr__(self) -> str:
        return f"<HealthAggregator {self.name!r} checks={list(self.names)!r}>"


def _seconds_until(deadline: float) -> float:
    """What a thread may wait for ``deadline``: never negative, never past what the OS can
    wait for (a timeout of 1e10 s would otherwise raise ``OverflowError``)."""
    return min(max(0.0, deadline - time.monotonic()), threading.TIMEOUT_MAX)


def _breaker_report(breaker: CircuitBreaker, source: _BreakerSource) -> ComponentReport:
    metrics = breaker.metrics
    state = metrics.state
    if state is CircuitState.CLOSED or state is CircuitState.FORCED_CLOSED:
        status, error = _HEALTHY, None
    elif state is CircuitState.HALF_OPEN:
        status, error = _DEGRADED, "circuit is half-open: trial calls are testing recovery"
    else:
        status, error = source.open_is, f"circuit is {state.value.replace('_', ' ')}"
    details = {
        "state": state.value,
        # JSON has no infinity: a forced-open circuit has no time of retry at all
        "retry_after": metrics.retry_after if metrics.retry_after != float("inf") else None,
        "failed_calls": metrics.failed_calls,
        "rejected_calls": metrics.rejected_calls,
    }
    critical = source.open_is is _UNHEALTHY
    return ComponentReport(source.prefix + breaker.name, status, critical, None, details, error)
