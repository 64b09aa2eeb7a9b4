"""What each backend provides, as Protocols: for the type checker, and for readers.

Imported at run time only by code that needs a name from here (``_tasks``); the backends
match these shapes without naming them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Sequence
    from types import TracebackType

__all__ = ["Backend", "BackgroundTask", "Deadline", "TaskGroup", "Waiter"]

T = TypeVar("T")
M = TypeVar("M")


class Waiter(Protocol):
    """Sleeps one task until ``wake()``, which any thread may call, once or more."""

    woken: bool
    """Set by the first ``wake()``, before the task is scheduled to run on."""

    def wake(self) -> bool:
        """Let the task go on; ``False`` if its loop has ended (nobody waits any more)."""
        ...

    async def wait(self, max_wait: float | None) -> bool:
        """Wait for ``wake()``, at most ``max_wait`` seconds (``None``: no limit).

        ``True`` if woken (at once if ``wake()`` came first), ``False`` if the time ran
        out. A cancelled wait leaves nothing behind: a later ``wake()`` is simply lost.
        """
        ...


class Deadline(Protocol):
    """Cancels the ``with`` block it guards when its time is up (the loop's own clock).

    The cancellation it caused ends at the block: code after the block runs, and
    ``cancelled_caught`` tells that the block timed out (what that means is the caller's
    to decide). A cancellation from outside goes on as a cancellation.
    """

    @property
    def cancelled_caught(self) -> bool:
        """Whether this deadline cancelled the block and swallowed that cancellation."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...


class TaskGroup(Protocol[M]):
    """Tasks started together, a mailbox they report to, and one way to cancel them all.

    ``async with backend.task_group() as group:``; leaving the block waits for every task.
    The block should not raise: compute the outcome inside, cancel, and raise after the
    block, or trio and asyncio would wrap the error in an ``ExceptionGroup``.
    """

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None: ...
    def spawn(self, fn: Callable[[], Awaitable[None]]) -> None: ...
    def post(self, message: M) -> None: ...
    async def next_message(self) -> M: ...
    def cancel(self) -> None: ...


class BackgroundTask(Protocol):
    """A task left running on the loop after the call that started it returned."""

    async def cancel(self) -> None:
        """Cancel it and wait until it has ended."""
        ...


class Backend(Protocol):
    """What asyncio and trio each provide; see the module docstring."""

    @property
    def name(self) -> str:
        """``"asyncio"`` or ``"trio"``."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep on the loop; ``0`` or less still yields once (a checkpoint)."""
        ...

    async def checkpoint(self) -> None:
        """Let other tasks run, and be cancelled here if cancellation is pending."""
        ...

    def waiter(self) -> Waiter:
        """A new ``Waiter`` for the calling task (made on the loop's thread)."""
        ...

    def deadline(self, seconds: float) -> Deadline:
        """A ``Deadline`` ``seconds`` from now; the timer starts on entering the block."""
        ...

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        """Run a blocking ``fn`` in a worker thread of the loop and await its result."""
        ...

    async def gather(self, fns: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
        """Run every ``fn()`` concurrently; their results in order."""
        ...

    def task_group(self) -> TaskGroup[Any]:
        """A new, not yet entered, ``TaskGroup``."""
        ...

    def current_loop(self) -> object | None:
        """What loop-bound resources belong to: the asyncio loop or the trio run.

        ``None`` when this thread runs no loop.
        """
        ...

    def start_background_task(
        self, fn: Callable[[], Coroutine[Any, Any, None]]
    ) -> BackgroundTask | None:
        """Run ``fn()`` on the loop beyond the current call; ``None`` where the loop has
        no place for such a task (trio: every task lives in a nursery)."""
        ...
