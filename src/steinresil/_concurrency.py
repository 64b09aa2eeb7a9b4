"""The few places where asyncio and trio differ, decided at call time.

Nothing here imports asyncio or trio at import time: ``import steinresil`` stays cheap
and loop-neutral. trio is detected through sniffio, which trio itself depends on.
"""

from __future__ import annotations

import functools
import inspect
import sys

__all__ = ["async_sleep", "current_async_library", "is_async_callable"]


def current_async_library() -> str:
    """``"trio"`` when running under trio, else ``"asyncio"``."""
    # Only trio needs asking about: if it was never imported, it cannot be running. sniffio
    # alone proves nothing (httpx and anyio import it) and asking it costs ~0.7 us.
    if "trio" in sys.modules:
        import sniffio  # noqa: PLC0415 - only needed when trio may be running

        try:
            return sniffio.current_async_library()
        except sniffio.AsyncLibraryNotFoundError:
            return "asyncio"
    return "asyncio"


async def async_sleep(seconds: float) -> None:
    """Sleep on whatever loop is running; ``0`` still yields once (a checkpoint)."""
    if current_async_library() == "trio":
        import trio  # noqa: PLC0415

        await trio.sleep(max(seconds, 0.0))
    else:
        import asyncio  # noqa: PLC0415

        await asyncio.sleep(max(seconds, 0.0))


def is_async_callable(fn: object) -> bool:
    """Whether calling ``fn`` gives a coroutine: ``async def``, an object whose
    ``__call__`` is ``async def``, or a ``functools.partial`` of either. Decorators ask
    this once, when applied."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - we want the method, not callable()
    )
