"""Waiting, timing out and running side by side, built on the backend of the running loop.

The fallback chain and the health aggregator need a few things beyond the backend's
primitives: run callables concurrently, bound an await by a timeout, wait for a flag
another thread may raise, run an async function from sync code. Each is written once
here; where asyncio and trio differ, ``steinresil._backend`` decides.

Timeouts here are real time (the loop's own clock): a thread cannot be woken by a fake
clock, and a check that hangs has to be abandoned in real time however time is faked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from steinresil._backend import current, start_daemon_thread
from steinresil._backend._protocols import TaskGroup
from steinresil._concurrency import is_async_callable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Sequence

__all__ = [
    "TaskGroup",
    "call_with_timeout",
    "gather",
    "is_async_callable",
    "open_task_group",
    "run_blocking",
    "wait_for_wakeup",
]

T = TypeVar("T")


async def _await(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


def run_blocking(fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async function to the end from sync code, on a fresh asyncio loop.

    When this thread already runs a loop (sync code called from async code), the fresh
    loop gets a thread of its own, since one thread cannot run two loops.
    """
    import asyncio  # noqa: PLC0415 - a fresh loop is always asyncio's, whatever runs here

    if current().current_loop() is None:
        return asyncio.run(_await(fn))
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, asyncio.run(_await(fn))))
        except BaseException as exc:  # handed to the waiting thread below
            outcome.append((False, exc))

    start_daemon_thread(run, "steinresil-run-blocking").join()
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
    with current().deadline(seconds):
        return False, await fn()
    return True, None


async def gather(fns: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
    """Run every ``fn()`` concurrently and return their results in order.

    The callables are expected not to raise (they report failures as values); if one
    does, the error propagates.
    """
    if len(fns) == 1:
        return [await fns[0]()]
    return await current().gather(fns)


async def wait_for_wakeup(
    subscribe: Callable[[Callable[[], object]], bool], seconds: float
) -> bool:
    """Wait until the callback handed to ``subscribe`` is called, for at most ``seconds``.

    ``subscribe(wake)`` stores ``wake`` to be called later, from any thread, and returns
    ``False`` when there is nothing to wait for. Returns whether the wake-up came in time.
    """
    if seconds <= 0:
        return not subscribe(_ignore)
    waiter = current().waiter()
    if not subscribe(waiter.wake):
        return True
    return await waiter.wait(seconds)


def _ignore() -> None:
    pass


def open_task_group() -> TaskGroup[Any]:
    """``async with open_task_group() as group:``; see ``TaskGroup`` for the rules."""
    return current().task_group()
