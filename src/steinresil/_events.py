"""Delivering events to listeners: a listener that raises is logged, never felt by the call."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["emit", "logger", "normalize_listeners", "without_listener"]

logger = logging.getLogger("steinresil")
logger.addHandler(logging.NullHandler())  # the application decides where logs go

E = TypeVar("E")


def normalize_listeners(
    owner: str, listeners: Iterable[Callable[[E], object]]
) -> tuple[Callable[[E], object], ...]:
    """Freeze the listeners into a tuple, refusing anything that cannot be called."""
    frozen = tuple(listeners)
    for listener in frozen:
        if not callable(listener):
            raise ValueError(f"{owner}: listeners must be callables, got {listener!r}")
    return frozen


def without_listener(
    owner: str, listeners: tuple[Callable[[E], object], ...], listener: Callable[[E], object]
) -> tuple[Callable[[E], object], ...]:
    """``listeners`` less the first one equal to ``listener``.

    Bound methods compare equal when they are the same method of the same object, so
    ``remove_listener(obj.on_event)`` finds what ``add_listener(obj.on_event)`` added.
    """
    for index, candidate in enumerate(listeners):
        if candidate == listener:
            return listeners[:index] + listeners[index + 1 :]
    raise ValueError(f"{owner}: {listener!r} is not a listener here")


def emit(listeners: tuple[Callable[[E], object], ...], event: E) -> None:
    """Give ``event`` to every listener, in order; failures are logged and skipped."""
    for listener in listeners:
        try:
            listener(event)
        except Exception:
            logger.exception("steinresil listener %r raised while handling %r", listener, event)
