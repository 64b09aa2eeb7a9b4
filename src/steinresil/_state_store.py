"""Where a circuit breaker's state can live beyond one process.

A breaker decides everything locally and keeps its hot path local. A state store only
carries *transitions* between breakers of the same name: when one opens, closes or is
forced, it publishes the new state; the others apply it as if they had made the change.
HALF_OPEN is not shared: each process runs its own trial calls when its own timer ends.

Waits travel as durations (``retry_after``), never as clock readings, because monotonic
clocks of different processes or hosts have nothing in common.

``InMemoryStateStore`` connects breakers in one interpreter (tests, several apps in one
process); a Redis-backed store for many processes implements the same protocol.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from steinresil._breaker import CircuitState

__all__ = ["CircuitStateStore", "InMemoryStateStore", "SharedState"]


@dataclass(frozen=True, slots=True)
class SharedState:
    """A breaker state as the other breakers of the same name should take it over."""

    state: CircuitState
    retry_after: float
    """Seconds until a trial call is allowed (for OPEN); 0 otherwise."""
    origin: str
    """Which breaker published it, so a store need not filter echoes itself."""


class CircuitStateStore(Protocol):
    """What a breaker needs from a shared store: publish changes, hear about others'."""

    def subscribe(
        self, name: str, origin: str, apply: Callable[[SharedState], None]
    ) -> SharedState | None:
        """Call ``apply`` with every state other breakers named ``name`` publish from now on.

        Returns the state last published for ``name``, if any, so a breaker that starts
        while the circuit is open elsewhere starts open too.
        """
        ...

    def publish(self, name: str, shared: SharedState) -> None:
        """Tell every other breaker named ``name`` about ``shared``."""
        ...


class InMemoryStateStore:
    """A ``CircuitStateStore`` for breakers in one interpreter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[str, Callable[[SharedState], None]]]] = defaultdict(
            list
        )
        self._last: dict[str, SharedState] = {}

    def subscribe(
        self, name: str, origin: str, apply: Callable[[SharedState], None]
    ) -> SharedState | None:
        with self._lock:
            self._subscribers[name].append((origin, apply))
            return self._last.get(name)

    def publish(self, name: str, shared: SharedState) -> None:
        with self._lock:
            self._last[name] = shared
            targets = [
                apply for origin, apply in self._subscribers[name] if origin != shared.origin
            ]
        for apply in targets:  # outside the lock: apply() takes the other breaker's lock
            apply(shared)
