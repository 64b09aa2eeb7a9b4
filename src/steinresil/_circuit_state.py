"""The states a circuit breaker can be in (a module of its own: the state store's shared
state names them too, and must not import the breaker)."""

from __future__ import annotations

import enum

__all__ = ["CircuitState"]


class CircuitState(enum.Enum):
    """Where a breaker stands."""

    CLOSED = "closed"
    """Calls run; failures are counted."""
    OPEN = "open"
    """Calls are rejected until ``reset_timeout`` has passed."""
    HALF_OPEN = "half_open"
    """A limited number of trial calls run to see whether the dependency is back."""
    FORCED_OPEN = "forced_open"
    """Rejects every call until ``reset()`` or ``force_closed()``; never recovers alone."""
    FORCED_CLOSED = "forced_closed"
    """Lets every call run and counts outcomes, but never opens (the breaker is disabled)."""
