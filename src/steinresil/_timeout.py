"""Time limits for calls.

Async calls are cancelled when their time is up, through the running loop's own cancel
machinery (``asyncio.timeout``, a trio cancel scope), and the caller gets
``TimeoutExceededError``. A cancellation that comes from outside stays a cancellation.

A sync call cannot be cancelled: Python has no safe way to stop a running thread. So a
sync call runs in a worker thread and the caller stops waiting for it when the time is
up; the call itself goes on until it returns, and its result is dropped. The workers are
daemon threads, kept in a small pool that grows when calls hang and shrinks when idle, so
a hung call never blocks the interpreter from exiting.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from dataclasses import dataclass
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeAlias, TypeVar

from steinresil._backend import current, start_daemon_thread
from steinresil._blocks import OpenBlocks
from steinresil._concurrency import refuse_coroutine
from steinresil._errors import TimeoutExceededError
from steinresil._events import emit, logger, normalize_listeners, without_listener
from steinresil._strategy import decorate
from steinresil._validation import Duration, check_duration, check_name, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from types import TracebackType

    from steinresil._registry import Registry

__all__ = ["Timeout", "TimeoutEvent", "TimeoutExpired", "TimeoutMetrics"]

P = ParamSpec("P")
T = TypeVar("T")

_WORKER_IDLE_SECONDS = 30.0
"""How long an idle worker thread waits for another sync call before it exits."""


@dataclass(frozen=True, slots=True)
class TimeoutExpired:
    """A call under ``name`` ran out of its ``seconds`` and was abandoned or cancelled."""

    name: str
    seconds: float


TimeoutEvent: TypeAlias = TimeoutExpired
"""Every event a ``Timeout`` sends (one kind today; listeners typed with this alias keep
working when more are added)."""


@dataclass(frozen=True, slots=True)
class TimeoutMetrics:
    """A snapshot of one ``Timeout``."""

    name: str
    seconds: float
    timed_out_calls: int
    """Calls that ran out of time since creation."""
    abandoned_calls: int = 0
    """Sync calls given up on that still run in a worker thread right now."""


# ---- the worker pool for sync calls ---------------------------------------------------


class _Job(Generic[T]):
    """One sync call handed to a worker; ``finished`` is released when it has an outcome."""

    __slots__ = (
        "args",
        "context",
        "ended",
        "error",
        "finished",
        "fn",
        "kwargs",
        "on_late_finish",
        "result",
        "state_lock",
    )

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        # The call sees the caller's context variables, as it would without the timeout.
        self.context = contextvars.copy_context()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.finished = threading.Lock()
        self.finished.acquire()
        self.state_lock = threading.Lock()
        self.ended = False
        self.on_late_finish: Callable[[], None] | None = None

    def run(self) -> None:
        try:
            self.result = self.context.run(self.fn, *self.args, **self.kwargs)
        except BaseException as exc:  # handed to the caller, who re-raises it
            self.error = exc
        finally:
            with self.state_lock:
                self.ended = True
                late = self.on_late_finish
            self.finished.release()
            if late is not None:
                late()

    def abandon(self, on_late_finish: Callable[[], None]) -> bool:
        """The caller stops waiting; ``on_late_finish`` runs when the call ends after all.

        ``False`` if it ended in the meantime (then nothing will be called).
        """
        with self.state_lock:
            if self.ended:
                return False
            self.on_late_finish = on_late_finish
            return True

    def outcome(self) -> T:
        error = self.error
        if error is not None:
            self.error = None  # no cycle between the job, the error and its traceback
            try:
                raise error
            finally:
                del error
        return self.result  # type: ignore[return-value] # set by run() when error is None


class _Workers:
    """Daemon threads for sync calls: an idle one is reused, else a new one is started.

    ``idle`` counts workers waiting for a job. ``submit`` either claims one of them or
    starts a new thread, so a call never waits behind a hung one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._idle = 0

    def submit(self, job: _Job[Any]) -> None:
        with self._lock:
            claimed = self._idle > 0
            if claimed:
                self._idle -= 1
        if not claimed:
            # Start before queueing: if the thread cannot start, the job must not run later.
            start_daemon_thread(self._work, "steinresil-timeout")
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_WORKER_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:
                        self._idle -= 1
                        return
                continue  # a caller claimed this worker; its job is on the way
            job.run()
            del job  # drop the result while idle
            with self._lock:
                self._idle += 1


_workers: _Workers | None = None
_workers_lock = threading.Lock()


def _pool() -> _Workers:
    global _workers  # noqa: PLW0603 - one pool per process, made on first use
    if _workers is None:
        with _workers_lock:
            if _workers is None:
                _workers = _Workers()
    return _workers


def _forget_workers_after_fork() -> None:
    # The child has none of the parent's threads; counting them as idle would hang calls.
    global _workers, _workers_lock  # noqa: PLW0603
    _workers = None
    _workers_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_after_fork)


# ---- async: one timed block on whichever loop is running -----------------------------


class _Deadline:
    """The loop's deadline for one call or block; its expiry becomes the timeout error."""

    __slots__ = ("_owner", "_scope")

    def __init__(self, owner: Timeout) -> None:
        self._owner = owner
        self._scope = current().deadline(owner.seconds)

    async def __aenter__(self) -> None:
        self._scope.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope = self._scope
        scope.__exit__(exc_type, exc, tb)
        if scope.cancelled_caught:  # it swallowed the cancellation it caused
            raise self._owner._expired() from exc


class Timeout:
    """Gives a call at most ``seconds`` to finish, else raises ``TimeoutExceededError``.

    - ``await timeout.call_async(fn, ...)``, ``@timeout`` on an ``async def`` and
      ``async with timeout:`` cancel the call when the time is up (asyncio and trio).
    - ``timeout.call(fn, ...)`` and ``@timeout`` on a plain ``def`` run the call in a
      worker thread and stop waiting for it. The call is **not** stopped: it runs on in
      the background and its result is dropped. There is no sync ``with`` form, since
      nothing could interrupt the block.

    Each abandoned sync call holds a worker thread until it returns. ``max_abandoned``
    (default 64, ``None`` for no limit) caps how many may hang at once per ``Timeout``:
    beyond it a sync call is not started and fails at once with ``TimeoutExceededError``
    (a failure a breaker counts), instead of piling up threads behind a hung dependency.

    The time limit is measured by the event loop (async) or the OS (sync), not by an
    injected clock: only the loop can cancel a task on time.
    """

    __slots__ = (
        "__weakref__",
        "_abandoned_calls",
        "_deadlines",
        "_listeners",
        "_lock",
        "_timed_out_calls",
        "max_abandoned",
        "name",
        "seconds",
    )

    def __init__(
        self,
        seconds: Duration,
        *,
        name: str = "default",
        max_abandoned: int | None = 64,
        listeners: Iterable[Callable[[TimeoutEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        check_name("Timeout", name)
        owner = f"Timeout({name!r})"
        self.name = name
        self.seconds = check_duration(owner, "seconds", seconds, allow_zero=False)
        self.max_abandoned = (
            None
            if max_abandoned is None
            else check_positive_int(owner, "max_abandoned", max_abandoned)
        )
        self._abandoned_calls = 0
        self._listeners = normalize_listeners(owner, listeners)
        self._lock = threading.Lock()
        self._timed_out_calls = 0
        # ``async with`` keeps a deadline per block (see _blocks): one Timeout can guard
        # blocks in many tasks at once, nested blocks, and blocks that end out of order.
        self._deadlines: OpenBlocks[_Deadline] = OpenBlocks()
        if registry is not None:
            registry.add(self)

    def _expired(self) -> TimeoutExceededError:
        with self._lock:
            self._timed_out_calls += 1
        logger.info("timeout %r expired after %.3g s", self.name, self.seconds)
        if self._listeners:
            emit(self._listeners, TimeoutExpired(self.name, self.seconds))
        return TimeoutExceededError(self.name, self.seconds)

    # ---- drivers -------------------------------------------------------------------------

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` in a worker thread; wait at most ``seconds`` for it."""
        limit = self.max_abandoned
        if limit is not None and self._abandoned_calls >= limit:
            raise self._too_many_abandoned(limit)
        job = _Job(fn, args, kwargs)
        _pool().submit(job)
        if job.finished.acquire(timeout=min(self.seconds, threading.TIMEOUT_MAX)):
            result = job.outcome()
            if type(result) is CoroutineType:  # awaited later, it would run with no limit
                refuse_coroutine(repr(self), fn, result)
            return result
        with self._lock:
            self._abandoned_calls += 1
        if not job.abandon(self._abandoned_call_ended):
            self._abandoned_call_ended()  # it ended a moment after we stopped waiting
        error = self._expired()
        error.add_note(
            "the call goes on in a worker thread until it returns: a sync call cannot be "
            "stopped, only no longer waited for"
        )
        raise error

    def _abandoned_call_ended(self) -> None:
        with self._lock:
            self._abandoned_calls -= 1

    def _too_many_abandoned(self, limit: int) -> TimeoutExceededError:
        """Refuse to start a thread while ``limit`` earlier calls still hang in theirs.

        A timeout, not a rejection: the dependency hangs, and a breaker around this one
        should count it and open.
        """
        error = self._expired()
        error.add_note(
            f"not started: {limit} earlier calls through Timeout({self.name!r}) timed out and "
            f"still run in worker threads (max_abandoned={limit}); each would hold one more"
        )
        return error

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)``, cancelling it after ``seconds``."""
        async with _Deadline(self):
            return await fn(*args, **kwargs)

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature is kept."""
        return decorate(self, fn, "timeout", inside="`async with timeout:`")

    async def __aenter__(self) -> Self:
        deadline = _Deadline(self)
        await deadline.__aenter__()
        self._deadlines.begin(deadline)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._deadlines.end().__aexit__(exc_type, exc, tb)

    # ---- metrics and listeners -------------------------------------------------------------

    @property
    def metrics(self) -> TimeoutMetrics:
        """A snapshot: how many calls ran out of time."""
        with self._lock:
            return TimeoutMetrics(
                self.name, self.seconds, self._timed_out_calls, self._abandoned_calls
            )

    def add_listener(self, listener: Callable[[TimeoutEvent], object]) -> None:
        """Also tell ``listener`` about expired calls from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[TimeoutEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    def __repr__(self) -> str:
        return f"<Timeout {self.name!r} seconds={self.seconds:g}>"
