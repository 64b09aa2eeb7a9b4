"""Helpers shared by the benchmark modules (imported by name: conftest is not a module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable

ASYNC_BATCH = 1000
BASELINES = frozenset({"plain", "wrapper"})
"""Cases that are no library: the bare call, and the bare call inside a do-nothing decorator."""


def pass_through(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A decorator that does nothing: the floor under any library's decorator (one frame,
    arguments packed and unpacked), as the ``wrapper`` case of a group."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


def pass_through_async(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``pass_through`` for a coroutine function: one more coroutine per call."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    return wrapper


def batch_awaiting(
    fn: Callable[[], Awaitable[Any]], loop: asyncio.AbstractEventLoop
) -> Callable[[], None]:
    """A sync callable that awaits ``fn()`` ASYNC_BATCH times on ``loop``."""

    async def batch() -> None:
        for _ in range(ASYNC_BATCH):
            await fn()

    return lambda: loop.run_until_complete(batch())


def swallowing(
    fn: Callable[[], Any], error: type[BaseException] | tuple[type[BaseException], ...]
) -> Callable[[], None]:
    """Call ``fn`` and swallow ``error``: the cost of a rejected call as a caller sees it."""

    def run() -> None:
        try:
            fn()
        except error:
            pass

    return run


def batch_awaiting_swallowing(
    fn: Callable[[], Awaitable[Any]],
    error: type[BaseException] | tuple[type[BaseException], ...],
    loop: asyncio.AbstractEventLoop,
) -> Callable[[], None]:
    """Like ``batch_awaiting``, catching ``error`` around each await (a rejected call)."""

    async def batch() -> None:
        for _ in range(ASYNC_BATCH):
            try:
                await fn()
            except error:
                pass

    return lambda: loop.run_until_complete(batch())
