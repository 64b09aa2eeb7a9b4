"""The bulkhead: at most ``max_concurrent`` calls at once, an optional bounded queue.

The slot accounting is one piece of plain code (``_enter``, ``_release``, ``_give_up``): a
lock-guarded counter and a FIFO of waiters. Threads, asyncio tasks and trio tasks differ
only in how a waiter sleeps and is woken: a thread waits on a ``ThreadWaiter``, a task on
its loop's waiter from ``steinresil._backend``, made only when a call actually queues.

A freed slot is handed straight to the first waiter (it never goes back to the pool
first), so no newcomer can barge in ahead of the queue and ``max_concurrent`` holds
exactly, however many threads and tasks contend. The lock guards the counters only; it
is never held across a protected call or a wait.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from types import CoroutineType
from typing import TYPE_CHECKING, ParamSpec, Protocol, Self, TypeAlias, TypeVar

from steinresil._backend import ThreadWaiter, current
from steinresil._concurrency import refuse_coroutine
from steinresil._errors import BulkheadFullError
from steinresil._events import emit, normalize_listeners, without_listener
from steinresil._strategy import decorate
from steinresil._validation import Duration, check_name, check_optional_duration, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from types import TracebackType

    from steinresil._backend._protocols import Waiter
    from steinresil._registry import Registry

__all__ = ["Bulkhead", "BulkheadEvent", "BulkheadMetrics", "BulkheadRejected"]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BulkheadRejected:
    """A call was refused: every slot and queue place was taken, or its queue wait ran out."""

    name: str
    max_concurrent: int
    max_queue: int
    timed_out: bool
    """True when the call waited ``queue_timeout`` in the queue without getting a slot."""


BulkheadEvent: TypeAlias = BulkheadRejected
"""Every event a ``Bulkhead`` sends (one kind today; listeners typed with this alias keep
working when more are added)."""


@dataclass(frozen=True, slots=True)
class BulkheadMetrics:
    """A consistent snapshot of one bulkhead."""

    name: str
    max_concurrent: int
    max_queue: int
    in_use: int
    """Calls running now."""
    queued: int
    """Calls waiting for a slot now."""
    admitted_calls: int
    """Calls that got a slot and ran (or are running) since creation."""
    rejected_calls: int
    """Calls refused since creation (full, or timed out in the queue)."""

    @property
    def available(self) -> int:
        """Slots free right now."""
        return self.max_concurrent - self.in_use


# ---- waiters: how a queued call sleeps and is woken -------------------------------------


class _Waiter(Protocol):
    woken: bool
    """Set (under the bulkhead's lock) when a slot is handed to this waiter."""

    def wake(self) -> bool: ...


def _async_waiter() -> Waiter:
    return current().waiter()


W = TypeVar("W", bound=_Waiter)


class Bulkhead:
    """Lets at most ``max_concurrent`` calls run at once; the rest wait or are refused.

    With ``max_queue=0`` (the default) a call that finds every slot taken fails at once
    with ``BulkheadFullError``. With ``max_queue=n`` up to ``n`` calls wait, first come
    first served, for at most ``queue_timeout`` seconds (``None``: as long as it takes);
    one that arrives when the queue is full, or whose wait runs out, is refused.

    One bulkhead can be shared by threads, asyncio tasks and trio tasks at once. The
    queue wait is measured by the event loop (async) or the OS (threads).
    """

    __slots__ = (
        "__weakref__",
        "_admitted",
        "_in_use",
        "_listeners",
        "_lock",
        "_rejected",
        "_waiters",
        "max_concurrent",
        "max_queue",
        "name",
        "queue_timeout",
    )

    def __init__(
        self,
        max_concurrent: int,
        max_queue: int = 0,
        queue_timeout: Duration | None = None,
        *,
        name: str = "default",
        listeners: Iterable[Callable[[BulkheadEvent], object]] = (),
        registry: Registry | None = None,
    ) -> None:
        check_name("Bulkhead", name)
        owner = f"Bulkhead({name!r})"
        self.name = name
        self.max_concurrent = check_positive_int(owner, "max_concurrent", max_concurrent)
        self.max_queue = check_positive_int(owner, "max_queue", max_queue, minimum=0)
        self.queue_timeout = check_optional_duration(
            owner, "queue_timeout", queue_timeout, allow_zero=False
        )
        if self.queue_timeout is not None and self.max_queue == 0:
            raise ValueError(
                f"{owner}: queue_timeout needs max_queue > 0 (nothing ever waits without a "
                f"queue), got queue_timeout={queue_timeout!r}"
            )
        self._listeners = normalize_listeners(owner, listeners)
        self._lock = threading.Lock()
        self._in_use = 0
        self._admitted = 0
        self._rejected = 0
        self._waiters: deque[_Waiter] = deque()
        if registry is not None:
            registry.add(self)

    # ---- the decisions -------------------------------------------------------------------

    def _enter(self, new_waiter: Callable[[], W]) -> W | None:
        """Take a slot (None) or a place in the queue (a waiter), else raise."""
        lock = self._lock  # acquire/release: cheaper than `with` on a hot path
        lock.acquire()
        try:
            # Waiters exist only while every slot is taken: a freed slot goes to them first.
            if self._in_use < self.max_concurrent:
                self._in_use += 1
                self._admitted += 1
                return None
            if len(self._waiters) < self.max_queue:
                waiter = new_waiter()
                self._waiters.append(waiter)
                return waiter
            self._rejected += 1
        finally:
            lock.release()
        raise self._rejection(timed_out=False)

    def _release(self) -> None:
        """Give the slot to the first waiter that can still take it, else free it."""
        lock = self._lock  # acquire/release: cheaper than `with` on a hot path
        lock.acquire()
        try:
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                # Waking marks the waiter woken and only schedules it, so it is safe under
                # the lock and keeps the hand-over atomic.
                if waiter.wake():
                    return
            self._in_use -= 1
        finally:
            lock.release()

    def _give_up(self, waiter: _Waiter, *, timed_out: bool) -> bool:
        """A waiter stops waiting; True if a slot reached it first (it now holds one)."""
        with self._lock:
            if waiter.woken:
                return True
            self._waiters.remove(waiter)
            if timed_out:
                self._rejected += 1
        return False

    def _admitted_from_queue(self) -> None:
        # Counted when the waiter goes on to run, not when the slot is handed over: one
        # cancelled in between never ran, and the total must never be taken back.
        with self._lock:
            self._admitted += 1

    def _abandon(self, waiter: _Waiter) -> None:
        """A waiter was cancelled: leave the queue, or pass on a slot it was just given."""
        if self._give_up(waiter, timed_out=False):
            self._release()

    def _rejection(self, *, timed_out: bool) -> BulkheadFullError:
        if self._listeners:
            event = BulkheadRejected(self.name, self.max_concurrent, self.max_queue, timed_out)
            emit(self._listeners, event)
        return BulkheadFullError(self.name, self.max_concurrent)

    # ---- drivers: taking a slot ------------------------------------------------------------

    def _acquire(self) -> None:
        waiter = self._enter(ThreadWaiter)
        if waiter is None:
            return
        try:
            woken = waiter.wait(self.queue_timeout)
        except BaseException:  # KeyboardInterrupt while queued
            self._abandon(waiter)
            raise
        if not woken and not self._give_up(waiter, timed_out=True):
            raise self._rejection(timed_out=True)
        self._admitted_from_queue()

    async def _acquire_async(self) -> None:
        waiter = self._enter(_async_waiter)
        if waiter is None:
            return
        try:
            woken = await waiter.wait(self.queue_timeout)
        except BaseException:  # cancelled while queued
            self._abandon(waiter)
            raise
        if not woken and not self._give_up(waiter, timed_out=True):
            raise self._rejection(timed_out=True)
        self._admitted_from_queue()

    # ---- drivers: calls, decorators, blocks ------------------------------------------------

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` in a slot, waiting in the queue if allowed."""
        self._acquire()
        try:
            result = fn(*args, **kwargs)
        finally:
            self._release()
        if type(result) is CoroutineType:  # awaited later, it would run without a slot
            refuse_coroutine(repr(self), fn, result)
        return result

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)`` in a slot, waiting in the queue if allowed."""
        await self._acquire_async()
        try:
            return await fn(*args, **kwargs)
        finally:
            self._release()

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature is kept."""
        return decorate(self, fn, "bulkhead", inside="`with bulkhead:`")

    def __enter__(self) -> Self:
        self._acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    async def __aenter__(self) -> Self:
        await self._acquire_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    # ---- metrics and listeners -------------------------------------------------------------

    @property
    def metrics(self) -> BulkheadMetrics:
        """A consistent snapshot of slots, queue and totals."""
        with self._lock:
            return BulkheadMetrics(
                name=self.name,
                max_concurrent=self.max_concurrent,
                max_queue=self.max_queue,
                in_use=self._in_use,
                queued=len(self._waiters),
                admitted_calls=self._admitted,
                rejected_calls=self._rejected,
            )

    def add_listener(self, listener: Callable[[BulkheadEvent], object]) -> None:
        """Also tell ``listener`` about refused calls from now on."""
        self._listeners = (*self._listeners, *normalize_listeners(repr(self), (listener,)))

    def remove_listener(self, listener: Callable[[BulkheadEvent], object]) -> None:
        """Stop telling ``listener``; ``ValueError`` if it was never added."""
        self._listeners = without_listener(repr(self), self._listeners, listener)

    def __repr__(self) -> str:
        queue = f" max_queue={self.max_queue}" if self.max_queue else ""
        if self.queue_timeout is not None:
            queue += f" queue_timeout={self.queue_timeout:g}s"
        return f"<Bulkhead {self.name!r} max_concurrent={self.max_concurrent}{queue}>"
