"""The asyncio backend (see ``steinresil._backend``); imported only when asyncio runs."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Sequence
    from types import TracebackType

__all__ = ["backend"]

T = TypeVar("T")
M = TypeVar("M")


class _Deadline:
    """``asyncio.timeout`` reduced to what we need: one timer handle and the task's cancel
    counter, which halves its cost (every ``Timeout.call_async`` makes one)."""

    __slots__ = ("_cancelling", "_fired", "_handle", "_seconds", "_task", "cancelled_caught")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._fired = False
        self.cancelled_caught = False

    def __enter__(self) -> Self:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a time limit on asyncio must run inside a task")
        loop = asyncio.get_running_loop()
        self._task = task
        self._cancelling = task.cancelling()
        self._handle = loop.call_at(loop.time() + self._seconds, self._fire)
        return self

    def _fire(self) -> None:
        self._fired = True
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._handle.cancel()
        if not self._fired:
            return False
        # Our cancel request is withdrawn; if nobody else asked to cancel the task, the
        # CancelledError was ours (as asyncio.timeout decides).
        self.cancelled_caught = (
            self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError
        )
        return self.cancelled_caught


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # it was cancelled along with its task
        future.set_result(None)


class _Waiter:
    __slots__ = ("_future", "_loop", "_thread", "woken")

    def __init__(self) -> None:
        self.woken = False
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.get_ident()

    def wake(self) -> bool:
        self.woken = True
        try:
            if threading.get_ident() == self._thread:
                _resolve(self._future)  # already on the loop: no need for its self-pipe
            else:
                self._loop.call_soon_threadsafe(_resolve, self._future)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            return False
        return True

    async def wait(self, max_wait: float | None) -> bool:
        if self.woken:
            return True
        if max_wait is None:
            await self._future
            return True
        with _Deadline(max_wait):
            await self._future
            return True
        return False


class _TaskGroup(Generic[M]):
    def __init__(self) -> None:
        self._group = asyncio.TaskGroup()
        self._mailbox: asyncio.Queue[M] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
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


async def _await(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


class _BackgroundTask:
    __slots__ = ("_task",)

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def cancel(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class _AsyncioBackend:
    __slots__ = ()

    name = "asyncio"

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)

    def waiter(self) -> _Waiter:
        return _Waiter()

    def deadline(self, seconds: float) -> _Deadline:
        return _Deadline(seconds)

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    async def gather(self, fns: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
        return list(await asyncio.gather(*(fn() for fn in fns)))

    def task_group(self) -> _TaskGroup[Any]:
        return _TaskGroup()

    def current_loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def start_background_task(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> _BackgroundTask:
        return _BackgroundTask(asyncio.get_running_loop().create_task(fn()))


backend = _AsyncioBackend()
