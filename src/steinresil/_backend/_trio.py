"""The trio backend (see ``steinresil._backend``); imported only when trio runs."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import trio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Sequence
    from types import TracebackType

__all__ = ["backend"]

T = TypeVar("T")
M = TypeVar("M")


class _Waiter:
    __slots__ = ("_event", "_thread", "_token", "woken")

    def __init__(self) -> None:
        self.woken = False
        self._event = trio.Event()
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()

    def wake(self) -> bool:
        self.woken = True
        try:
            if threading.get_ident() == self._thread:
                self._event.set()
            else:
                self._token.run_sync_soon(self._event.set)
        except trio.RunFinishedError:  # the run is over: nobody is waiting any more
            return False
        return True

    async def wait(self, max_wait: float | None) -> bool:
        if self.woken:  # else trio would let an expired deadline win over the wake-up
            return True
        if max_wait is None:
            await self._event.wait()
            return True
        with trio.move_on_after(max_wait):
            await self._event.wait()
            return True
        return False


class _TaskGroup(Generic[M]):
    def __init__(self) -> None:
        self._nursery_manager = trio.open_nursery()
        self._send, self._receive = trio.open_memory_channel[M](math.inf)
        self._nursery: trio.Nursery | None = None

    async def __aenter__(self) -> Self:
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


async def _await(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


class _TrioBackend:
    __slots__ = ()

    name = "trio"

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(max(seconds, 0.0))

    async def checkpoint(self) -> None:
        await trio.lowlevel.checkpoint()

    def waiter(self) -> _Waiter:
        return _Waiter()

    def deadline(self, seconds: float) -> trio.CancelScope:
        return trio.move_on_after(seconds)

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(fn)

    async def gather(self, fns: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
        results: list[Any] = [None] * len(fns)

        async def run(index: int) -> None:
            results[index] = await fns[index]()

        async with trio.open_nursery() as nursery:
            for index in range(len(fns)):
                nursery.start_soon(run, index)
        return results

    def task_group(self) -> _TaskGroup[Any]:
        return _TaskGroup()

    def current_loop(self) -> trio.lowlevel.TrioToken:
        return trio.lowlevel.current_trio_token()

    def start_background_task(
        self,
        fn: Callable[[], Coroutine[Any, Any, None]],  # noqa: ARG002 - never started on trio
    ) -> None:
        # A trio task lives in a nursery, and no call of ours owns one that outlives it.
        return None


backend = _TrioBackend()
