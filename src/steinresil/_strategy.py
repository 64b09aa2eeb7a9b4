"""The protocol every primitive meets, and the decorator they share.

``Strategy`` is what ``Pipeline`` composes: ``call(fn, /, *args, **kwargs)`` and
``await call_async(fn, /, *args, **kwargs)``. It lives apart from ``_pipeline`` so the
primitives can use ``decorate`` without importing the pipeline (which imports them).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, cast, runtime_checkable

from steinresil._concurrency import check_decoratable, is_async_callable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["Strategy", "decorate", "decorator_factory"]

P = ParamSpec("P")
T = TypeVar("T")


@runtime_checkable
class Strategy(Protocol):
    """Anything that can run a call on the caller's behalf, sync and async.

    ``CircuitBreaker``, ``RetryPolicy``, ``Timeout``, ``Bulkhead``, ``RateLimiter`` and
    ``Pipeline`` itself meet it; so can your own classes, and then they compose too.
    """

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` under this strategy and return its result."""
        ...

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)`` under this strategy and return its result."""
        ...


def decorate(
    strategy: Strategy, fn: Callable[P, Any], attribute: str, *, inside: str
) -> Callable[P, Any]:
    """Wrap a function or coroutine function so each call runs through ``strategy``.

    The wrapper keeps ``fn``'s name, docstring and signature (``functools.wraps``) and
    carries the strategy as ``attribute``, so tests and tools can reach it. Classes and
    generator functions are refused (see ``check_decoratable``); ``inside`` says what
    to use instead.
    """
    check_decoratable(repr(strategy), fn, inside=inside)
    wrapper: Callable[P, Any]
    if is_async_callable(fn):
        call_async = strategy.call_async
        afn = cast("Callable[P, Awaitable[Any]]", fn)

        @functools.wraps(fn)
        async def guarded_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            return await call_async(afn, *args, **kwargs)

        wrapper = guarded_async
    else:
        call = strategy.call

        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            return call(fn, *args, **kwargs)

        wrapper = guarded
    setattr(wrapper, attribute, strategy)
    return wrapper


def decorator_factory(
    fn: Callable[P, T] | None,
    name: str | None,
    build: Callable[[str, bool], Callable[[Callable[P, T]], Callable[P, T]]],
) -> Callable[P, T] | Callable[[Callable[P, T]], Callable[P, T]]:
    """The body of ``@circuit_breaker`` / ``@retry``: bare or with options.

    ``build(name, register)`` makes the strategy; the strategy is named after the function
    unless ``name`` is given. With options, one is built at once (``register=False``, so a
    ``registry=`` option is not claimed twice) to refuse a bad option where it is written,
    not where the decorator is applied.
    """

    def decorate(func: Callable[P, T]) -> Callable[P, T]:
        qualname = str(getattr(func, "__qualname__", repr(func)))
        return build(name or qualname, True)(func)  # noqa: FBT003 - build(name, register)

    if fn is None:
        build(name or "validation", False)  # noqa: FBT003 - build(name, register)
        return decorate
    return decorate(fn)
