"""Exception filters: "which errors does this option mean?", one set of rules for all.

``record``/``ignore`` (breaker), ``retry_on`` (retry) and ``when`` (fallback) all take the
same thing: an exception class, a tuple of them, or a predicate on the exception. They are
validated where they are written, so ``record=int`` or ``when=dict`` fails at once instead
of being called as a predicate on every error.

The library's own refusals (``CallRejectedError``: an open circuit, a full bulkhead, a
rate limit) are a special case for breakers and retries: a refusal from a guard inside
says nothing about the dependency, and retrying it only adds load. There, ``Exception`` and
``BaseException`` do not cover refusals; a narrower class that does (``CircuitOpenError``,
``CallRejectedError``, ``ResilienceError``) must be named, so ``record=Exception`` means
exactly what the default means. A predicate sees every
error and decides for itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, cast

from steinresil._errors import CallRejectedError

__all__ = ["ExceptionFilter", "exception_filter", "is_failure"]

ExceptionFilter: TypeAlias = (
    type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]
)
"""Exception types (one or a tuple) or a predicate on the exception."""

Matcher: TypeAlias = Callable[[BaseException], bool]

_CATCH_ALLS = (Exception, BaseException)


def is_failure(error: BaseException) -> bool:
    """The default of ``record`` and ``retry_on``: any ``Exception`` but a refusal."""
    return isinstance(error, Exception) and not isinstance(error, CallRejectedError)


def exception_filter(
    owner: str,
    field: str,
    spec: object,
    *,
    refusals_when_named: bool,
    exceptions_only: bool = False,
) -> Matcher:
    """``spec`` as a predicate, or ``ValueError`` naming ``field`` and what was wrong.

    ``refusals_when_named``: classes match a ``CallRejectedError`` only if one names it.
    ``exceptions_only``: refuse ``BaseException`` classes that are not ``Exception``
    (cancellation and exits, which nothing may retry).
    """
    if isinstance(spec, type | tuple):
        kinds = _exception_types(owner, field, spec, exceptions_only=exceptions_only)
        if not refusals_when_named:
            return lambda error: isinstance(error, kinds)
        if kinds == (Exception,):
            return is_failure
        # The catch-alls do not mean "refusals too"; any narrower class that covers one
        # (CircuitOpenError, CallRejectedError, ResilienceError) names it.
        named = tuple(kind for kind in kinds if kind not in _CATCH_ALLS)

        def matches(error: BaseException) -> bool:
            if isinstance(error, CallRejectedError):
                return isinstance(error, named)
            return isinstance(error, kinds)

        return matches
    if callable(spec):
        return cast("Matcher", spec)
    raise ValueError(
        f"{owner}: {field} must be an exception class, a tuple of them or a predicate, got {spec!r}"
    )


def _exception_types(
    owner: str, field: str, spec: type | tuple[object, ...], *, exceptions_only: bool
) -> tuple[type[BaseException], ...]:
    kinds = spec if isinstance(spec, tuple) else (spec,)
    for kind in kinds:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            # A class is callable, but int(error) is not a predicate: refuse it here.
            raise ValueError(
                f"{owner}: {field} must be an exception class, a tuple of them or a "
                f"predicate (a function, not a class), got {spec!r}"
            )
        if exceptions_only and not issubclass(kind, Exception):
            raise ValueError(
                f"{owner}: {field} cannot name {kind.__name__}: cancellation and exits "
                "are never retried"
            )
    return cast("tuple[type[BaseException], ...]", kinds)
