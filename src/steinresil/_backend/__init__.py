"""Where asyncio and trio differ, in one place; everything else is written once.

``current()`` says which loop runs this task and hands back its backend: the same
methods on either loop (sleep, a deadline, a waiter another thread can wake, a thread to
await, task groups). Code outside this package asks ``current()`` once per operation and
never checks for a loop by name.

Each backend lives in its own file and imports its library at the top, as anyio's do:
``_asyncio`` and ``_trio`` are loaded the first time they are needed, so ``import
steinresil`` imports neither loop and asyncio code never imports trio. trio is detected
through sniffio (which trio depends on), and only once trio has been imported at all.

The loop-neutral pieces that go with them live here: the one way this library starts a
thread, and the waiter a blocked thread sleeps on. What a backend provides is spelled out
in ``_protocols``, for the type checker only (breakers import this module: it stays small).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from steinresil._backend._protocols import Backend

__all__ = ["ThreadWaiter", "current", "start_daemon_thread"]


_asyncio_backend: Backend | None = None
_trio_backend: Backend | None = None


def current() -> Backend:
    """The running loop's backend: trio's under trio, else asyncio's (also when no loop
    runs, as ``asyncio.run`` would start one)."""
    # Only trio needs asking about: if it was never imported, it cannot be running. sniffio
    # alone proves nothing (httpx and anyio import it) and asking it costs ~0.7 us.
    if "trio" in sys.modules and _under_trio():
        backend = _trio_backend
        return backend if backend is not None else _load_trio()
    backend = _asyncio_backend
    return backend if backend is not None else _load_asyncio()


def _under_trio() -> bool:
    import sniffio  # noqa: PLC0415 - only once trio is imported, and sniffio came with it

    try:
        return sniffio.current_async_library() == "trio"
    except sniffio.AsyncLibraryNotFoundError:
        return False


def _load_asyncio() -> Backend:
    global _asyncio_backend  # noqa: PLW0603 - loaded once, on first use
    from steinresil._backend._asyncio import backend  # noqa: PLC0415 - imports asyncio

    _asyncio_backend = backend
    return backend


def _load_trio() -> Backend:
    global _trio_backend  # noqa: PLW0603 - loaded once, on first use
    from steinresil._backend._trio import backend  # noqa: PLC0415 - imports trio

    _trio_backend = backend
    return backend


def start_daemon_thread(target: Callable[[], None], name: str) -> threading.Thread:
    """Run ``target`` in a thread of its own that never keeps the process alive.

    The one way this library starts a thread. Daemon threads, not a loop's executor: a
    call that hangs forever must not hold up ``asyncio.run`` at exit or use up a pool the
    application shares. ``RuntimeError`` when the interpreter cannot start one more.
    """
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


class ThreadWaiter:
    """The ``Waiter`` of a blocked thread: ``wait`` blocks it until another calls ``wake``."""

    __slots__ = ("_blocked", "woken")

    def __init__(self) -> None:
        self.woken = False
        self._blocked = threading.Lock()  # a bare lock: the cheapest thing to block on
        self._blocked.acquire()

    def wake(self) -> bool:
        self.woken = True
        with contextlib.suppress(RuntimeError):  # woken before: the lock is already free
            self._blocked.release()
        return True

    def wait(self, max_wait: float | None) -> bool:
        """Block until woken, at most ``max_wait`` seconds; whether it was woken."""
        if max_wait is None:
            return self._blocked.acquire()
        return self._blocked.acquire(timeout=min(max_wait, threading.TIMEOUT_MAX))
