"""Waiting, timing out and running side by side, on asyncio or trio, chosen at call time.

The fallback chain and the health aggregator need a few things the two loops spell
differently: run callables concurrently, bound an await by a timeout, wait for a flag
another thread may raise, and keep a group of tasks that can all be cancelled at once.
Nothing here imports asyncio or trio at module import time.

Timeouts here are real time (the loop's own clock): a thread cannot be woken by a fake
clock, and a check that hangs has to be abandoned in real time however time is faked.
"""

from __future__ import annotations

import contextlib
import math
import threading
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from steinresil._concurrency import current_async_library, is_async_callable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Sequence
    from types import TracebackType

__all__ = [
    "TaskGroup",
    "call_with_timeout",
    "gather",
    "is_async_callable",
    "open_task_group",
    "run_blocking",
    "start_daemon_thread",
    "wait_for_wakeup",
]

T = TypeVar("T")
M = TypeVar("M")


def start_daemon_thread(target: Callable[[], None], name: str) -> None:
    """Run ``target`` in a thread of its own that never keeps the process alive.

    Daemon threads, not the loop's default executor: a check that hangs forever must not
    hold up ``asyncio.run`` at exit or use up a pool the application shares.
    """
    threading.Thread(target=target, name=name, daemon=True).start()


def _in_async_context() -> bool:
    if current_async_library() == "trio":
        return True
    import asyncio  # noqa: PLC0415

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _await(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


def run_blocking(fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async function to the end from sync code, on a fresh asyncio loop.

    When this thread already runs a loop (sync code called from async code), the fresh
    loop gets a thread of its own, since one thread cannot run two loops.
    """
    import asyncio  # noqa: PLC0415

    if not _in_async_context():
        return asyncio.run(_await(fn))
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, asyncio.run(_await(fn))))
        except BaseException as exc:  # handed to the waiting thread below
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="steinresil-run-blocking", daemon=True)
    thread.start()
    thread.join()
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value  # type: ignore[no-any-return]


async def call_with_timeout(
    fn: Callable[[], Awaitable[T]], seconds: float
) -> tuple[bool, T | None]:
    """Await ``fn()`` for at most ``seconds``: ``(False, value)`` or ``(True, None)``.

    A ``TimeoutError`` raised by ``fn`` itself propagates; only our own deadline reads as
    timed out. Exceptions from ``fn`` propagate unchanged.
    """
    if current_async_library() == "trio":
        import trio  # noqa: PLC0415

        with trio.move_on_after(seconds):
            return False, await fn()
        return True, None
    import asyncio  # noqa: PLC0415

    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return False, await fn()
    except TimeoutError:
        if deadline.expired():
            return True, None
        raise


async def gather(fns: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
    """Run every ``fn()`` concurrently and return their results in order.

    The callables are expected not to raise (they report failures as values); if one does,
    the others are cancelled and the error propagates.
    """
    if len(fns) == 1:
        return [await fns[0]()]
    if current_async_library() == "trio":
        import trio  # noqa: PLC0415

        results: list[Any] = [None] * len(fns)

        async def run(index: int) -> None:
            results[index] = await fns[index]()

        async with trio.open_nursery() as nursery:
            for index in range(len(fns)):
                nursery.start_soon(run, index)
        return results
    import asyncio  # noqa: PLC0415

    return list(await asyncio.gather(*(fn() for fn in fns)))


async def wait_for_wakeup(subscribe: Callable[[Callable[[], None]], bool], seconds: float) -> bool:
    """Wait until the callback handed to ``subscribe`` is called, for at most ``seconds``.

    ``subscribe(wake)`` stores ``wake`` to be called later, from any thread, and returns
    ``False`` when there is nothing to wait for. Returns whether the wake-up came in time.
    """
    if seconds <= 0:
        return not subscribe(_ignore)
    if current_async_library() == "trio":
        return await _wait_for_wakeup_trio(subscribe, seconds)
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    woken = loop.create_future()
    loop_thread = threading.get_ident()

    def settle() -> None:
        if not woken.done():
            woken.set_result(None)

    def wake() -> None:
        if threading.get_ident() == loop_thread:
            settle()  # already on the loop: no need to go through its self-pipe
            return
        # A closed loop raises RuntimeError: nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    if not subscribe(wake):
        return True
    try:
        async with asyncio.timeout(seconds):
            await woken
    except TimeoutError:
        return False
    return True


async def _wait_for_wakeup_trio(
    subscribe: Callable[[Callable[[], None]], bool], seconds: float
) -> bool:
    import trio  # noqa: PLC0415

    woken = trio.Event()
    token = trio.lowlevel.current_trio_token()
    loop_thread = threading.get_ident()

    def wake() -> None:
        if threading.get_ident() == loop_thread:
            woken.set()
            return
        with contextlib.suppress(trio.RunFinishedError):
            token.run_sync_soon(woken.set)

    if not subscribe(wake):
        return True
    with trio.move_on_after(seconds):
        await woken.wait()
    return woken.is_set()


def _ignore() -> None:
    pass


class TaskGroup(Protocol[M]):
    """Tasks started together, a mailbox they report to, and one way to cancel them all."""

    def spawn(self, fn: Callable[[], Awaitable[None]]) -> None: ...
    def post(self, message: M) -> None: ...
    async def next_message(self) -> M: ...
    def cancel(self) -> None: ...


def open_task_group() -> _AsyncioTaskGroup[Any] | _TrioTaskGroup[Any]:
    """``async with open_task_group() as group:``; leaving the block waits for every task.

    The block should not raise: compute the outcome inside, cancel, and raise after the
    block, or trio and asyncio would wrap the error in an ``ExceptionGroup``.
    """
    if current_async_library() == "trio":
        return _TrioTaskGroup()
    return _AsyncioTaskGroup()


class _AsyncioTaskGroup(Generic[M]):
    def __init__(self) -> None:
        import asyncio  # noqa: PLC0415

        self._group = asyncio.TaskGroup()
        self._mailbox: asyncio.Queue[M] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> _AsyncioTaskGroup[M]:
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._group.__aexit__(exc_type, exc, tb)

    def spawn(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._tasks.append(self._group.create_task(_await(fn)))

    def post(self, message: M) -> None:
        self._mailbox.put_nowait(message)

    async def next_message(self) -> M:
        return await self._mailbox.get()

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()


class _TrioTaskGroup(Generic[M]):
    def __init__(self) -> None:
        import trio  # noqa: PLC0415

        self._nursery_manager = trio.open_nursery()
        self._send, self._receive = trio.open_memory_channel[M](math.inf)
        self._nursery: trio.Nursery | None = None

    async def __aenter__(self) -> _TrioTaskGroup[M]:
        self._nursery = await self._nursery_manager.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            return await self._nursery_manager.__aexit__(exc_type, exc, tb)
        finally:
            self._send.close()
            self._receive.close()

    def spawn(self, fn: Callable[[], Awaitable[None]]) -> None:
        assert self._nursery is not None  # noqa: S101 - only used inside ``async with``
        self._nursery.start_soon(_await, fn)

    def post(self, message: M) -> None:
        self._send.send_nowait(message)

    async def next_message(self) -> M:
        return await self._receive.receive()

    def cancel(self) -> None:
        assert self._nursery is not None  # noqa: S101 - only used inside ``async with``
        self._nursery.cancel_scope.cancel()
