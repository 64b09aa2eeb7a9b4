"""Composing strategies: ``Pipeline(outermost, ..., innermost)``.

Every primitive meets one small protocol, ``Strategy``: ``call(fn, /, *args, **kwargs)``
and ``await call_async(fn, /, *args, **kwargs)``. A pipeline hands each strategy the next
one as the function to call, so the first listed strategy sees the whole call (including
the retries and waits of those inside it), as in Polly.

The chain of layers is built once, when the pipeline is created: a call allocates no
closures, only the argument tuples each strategy's ``call`` packs anyway. The async layers
are plain functions returning the next strategy's coroutine, so an async call costs one
coroutine per strategy and no wrappers around them.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast

from steinresil._breaker import CircuitBreaker
from steinresil._errors import CircuitOpenError
from steinresil._retry import RetryPolicy
from steinresil._retry_after import as_seconds
from steinresil._strategy import Strategy, decorate
from steinresil._timeout import Timeout

__all__ = ["Pipeline", "PipelineOrderWarning"]

P = ParamSpec("P")
T = TypeVar("T")


# A layer runs the rest of the pipeline for one call: (user function, args, kwargs).
_Layer: TypeAlias = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]


def _run_plain(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


def _innermost(strategy: Strategy, *, is_async: bool) -> _Layer:
    run = strategy.call_async if is_async else strategy.call

    def layer(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run(fn, *args, **kwargs)

    return layer


def _around(strategy: Strategy, inner: _Layer, *, is_async: bool) -> _Layer:
    run = strategy.call_async if is_async else strategy.call

    def layer(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run(inner, fn, args, kwargs)

    return layer


def _chain(strategies: tuple[Strategy, ...], *, is_async: bool) -> _Layer:
    if not strategies:
        return _run_plain
    layer = _innermost(strategies[-1], is_async=is_async)
    for strategy in reversed(strategies[:-1]):
        layer = _around(strategy, layer, is_async=is_async)
    return layer


def _label(strategy: object) -> str:
    """How ``describe()`` names a strategy: its repr without the angle brackets, or, for
    an object without a repr of its own, its class and ``name``."""
    if type(strategy).__repr__ is object.__repr__:
        kind = type(strategy).__name__
        name = getattr(strategy, "name", None)
        return f"{kind} {name!r}" if isinstance(name, str) else kind
    text = repr(strategy)
    return text[1:-1] if text.startswith("<") and text.endswith(">") else text


class PipelineOrderWarning(UserWarning):
    """A pipeline's order is legal but almost certainly not what was meant."""


def _flatten(strategies: tuple[Strategy, ...]) -> list[Strategy]:
    flat: list[Strategy] = []
    for strategy in strategies:
        if isinstance(strategy, Pipeline):
            flat.extend(_flatten(strategy.strategies))
        else:
            flat.append(strategy)
    return flat


def _retry_ignores_open_circuit(policy: RetryPolicy, breaker: CircuitBreaker) -> str | None:
    """Why ``policy`` around ``breaker`` would hammer the open circuit, or None."""
    probe = CircuitOpenError(breaker.name, breaker.reset_timeout)
    if not policy.retries(probe):
        return None  # the default: an open circuit ends the retries at once
    wait = as_seconds(policy.wait_from(probe)) if policy.wait_from is not None else None
    if wait is None or wait < breaker.reset_timeout:
        return (
            f"{_label(policy)} retries CircuitOpenError from {_label(breaker)} but does not "
            "wait for its retry_after, so its retries will be rejected by the open circuit; "
            "leave CircuitOpenError out of retry_on, or keep the default wait_from"
        )
    return None


def _check_composition(strategies: tuple[Strategy, ...]) -> None:
    """Warn about orders that are legal but rarely what was meant; runs once, at creation.

    - A retry outside a breaker that retries ``CircuitOpenError`` without waiting for its
      ``retry_after`` (the most-asked confusion in resilience4j and Failsafe issues).
    - A timeout outside a breaker with no timeout inside it: the timeout cancels the call,
      cancellation is never counted, so a hanging dependency never opens the circuit.
    """
    flat = _flatten(strategies)
    for index, breaker in enumerate(flat):
        if not isinstance(breaker, CircuitBreaker):
            continue
        outer, inner = flat[:index], flat[index + 1 :]
        for policy in outer:
            if isinstance(policy, RetryPolicy):
                problem = _retry_ignores_open_circuit(policy, breaker)
                if problem is not None:
                    warnings.warn(problem, PipelineOrderWarning, stacklevel=4)
        outer_timeout = any(isinstance(s, Timeout) for s in outer)
        if outer_timeout and not any(isinstance(s, Timeout) for s in inner):
            warnings.warn(
                f"a Timeout outside {_label(breaker)} cancels calls the breaker never counts, "
                "so a hanging dependency never opens the circuit; also put a Timeout after "
                "the breaker (inside it)",
                PipelineOrderWarning,
                stacklevel=4,
            )


class Pipeline:
    """Several strategies around one call; the first listed is the outermost.

    ``Pipeline(Timeout(2.0), retry, breaker)`` gives the whole retried call two seconds,
    and the breaker sees every attempt. Works as ``call``, ``await call_async`` and as a
    decorator of ``def`` and ``async def`` functions. There is no ``with`` form: a block
    cannot be retried or timed out from the outside.
    """

    __slots__ = ("__weakref__", "_async_chain", "_sync_chain", "strategies")

    def __init__(self, *strategies: Strategy) -> None:
        candidates: tuple[object, ...] = strategies  # untyped callers pass anything
        for index, strategy in enumerate(candidates):
            # A class has call() and call_async() too: Pipeline(Timeout, ...) is a slip.
            if isinstance(strategy, type) or not isinstance(strategy, Strategy):
                raise ValueError(
                    f"Pipeline: strategies[{index}] must be an object with call() and "
                    f"call_async(), got {strategy!r}"
                )
        self.strategies: tuple[Strategy, ...] = strategies
        _check_composition(strategies)
        self._sync_chain = _chain(strategies, is_async=False)
        self._async_chain = _chain(strategies, is_async=True)

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` through every strategy, outermost first."""
        return cast("T", self._sync_chain(fn, args, kwargs))

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``fn(*args, **kwargs)`` through every strategy, outermost first."""
        return cast("T", await self._async_chain(fn, args, kwargs))

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate a function or coroutine function; its signature is kept."""
        return decorate(self, fn, "pipeline", inside="pipeline.call(...) per item")

    def describe(self) -> list[str]:
        """The strategies from outermost to innermost, e.g. ``["Timeout 'api' seconds=2", ...]``."""
        return [_label(strategy) for strategy in self.strategies]

    def __len__(self) -> int:
        return len(self.strategies)

    def __repr__(self) -> str:
        return f"<Pipeline [{', '.join(self.describe())}]>"
