"""Sync or async: telling the two kinds of callable apart, and refusing the wrong one.

Loop-neutral: nothing here knows asyncio from trio (that is ``steinresil._backend``).
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, NoReturn, cast

if TYPE_CHECKING:
    import types

__all__ = [
    "NOT_CALLED",
    "awaited_a_non_awaitable",
    "check_decoratable",
    "is_async_callable",
    "not_awaitable",
    "refuse_coroutine",
]


def _unwrapped(fn: object) -> object:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def is_async_callable(fn: object) -> bool:
    """Whether calling ``fn`` gives a coroutine: ``async def``, an object whose
    ``__call__`` is ``async def``, or a ``functools.partial`` of either. Decorators ask
    this once, when applied."""
    fn = _unwrapped(fn)
    if isinstance(fn, type):  # calling a class makes an instance, whatever its __call__
        return False
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - we want the method, not callable()
    )


def check_decoratable(owner: str, fn: object, *, inside: str) -> None:
    """Refuse, when a decorator is applied, what it could not guard.

    ``inside`` says what to write instead, around the work (``with cb:``...).
    """
    if not callable(fn):
        raise TypeError(f"{owner} decorates callables, got {fn!r}")
    target = _unwrapped(fn)
    if isinstance(target, type):
        raise TypeError(
            f"{owner} cannot decorate the class {target.__qualname__}: it would guard only "
            f"the constructor and replace the class with a function. Decorate its methods, "
            f"or guard calls with {inside}"
        )
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        kind = "an async generator" if inspect.isasyncgenfunction(target) else "a generator"
        name = getattr(target, "__qualname__", repr(target))
        raise TypeError(
            f"{owner} cannot decorate {name}: it is {kind} function, and only creating the "
            f"generator would be guarded, not iterating it. Guard the work inside it with "
            f"{inside}, or guard the function that consumes it"
        )


def refuse_coroutine(owner: str, fn: object, result: object) -> NoReturn:
    """A sync call returned a coroutine: an async function was given by mistake.

    Callers check ``type(result) is CoroutineType`` on their own path (checked here, it
    would cost every successful call a function call); this closes it and raises.
    """
    coroutine = cast("types.CoroutineType[Any, Any, Any]", result)
    coroutine.close()  # never to be awaited: closing avoids a "never awaited" warning
    raise TypeError(
        f"{owner}: {fn!r} returned a coroutine: it is async, so await it through "
        "call_async (or decorate the async def itself)"
    )


NOT_CALLED = object()
"""What ``call_async`` holds as the function's result before the function was called."""


def awaited_a_non_awaitable(error: BaseException, pending: object) -> bool:
    """Whether ``error`` came from awaiting ``pending``, a value that cannot be awaited."""
    return (
        type(error) is TypeError and pending is not NOT_CALLED and not inspect.isawaitable(pending)
    )


def not_awaitable(owner: str, fn: object, value: object) -> TypeError:
    """The error for ``call_async`` given a function whose result cannot be awaited."""
    return TypeError(
        f"{owner}: call_async needs a function that returns an awaitable; {fn!r} returned "
        f"{type(value).__name__} (use call for plain functions)"
    )
