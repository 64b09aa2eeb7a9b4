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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from steinresil._circuit_state import CircuitState
from steinresil._clock import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from steinresil._clock import Clock

__all__ = ["CircuitStateStore", "InMemoryStateStore", "SharedState", "aged"]


@dataclass(frozen=True, slots=True)
class SharedState:
    """A breaker state as the other breakers of the same name should take it over."""

    state: CircuitState
    retry_after: float
    """Seconds until a trial call is allowed (for OPEN); 0 otherwise."""
    origin: str
    """Which breaker published it: a random token per breaker, unique across processes
    (``id()`` is not), so a store can drop a breaker's own echo."""


class CircuitStateStore(Protocol):
    """What a breaker needs from a shared store: publish changes, hear about others'.

    A store must not keep breakers alive: a breaker subscribes with an ``apply`` that
    holds it only weakly and unsubscribes when it is garbage-collected, so a store may
    keep ``apply`` as long as it likes until ``unsubscribe``.
    """

    def subscribe(
        self, name: str, origin: str, apply: Callable[[SharedState], None]
    ) -> SharedState | None:
        """Call ``apply`` with every state other breakers named ``name`` publish from now on.

        Returns the state last published for ``name``, if any, so a breaker that starts
        while the circuit is open elsewhere starts open too. Its ``retry_after`` is what
        is left *now*, not what it was when published: a breaker joining after the wait
        ran out gets ``0.0`` and lets a trial through at once.
        """
        ...

    def unsubscribe(self, name: str, origin: str) -> None:
        """Forget the subscription ``origin`` made for ``name``; unknown pairs are ignored."""
        ...

    def publish(self, name: str, shared: SharedState) -> None:
        """Tell every other breaker named ``name`` about ``shared``."""
        ...


def aged(shared: SharedState, elapsed: float) -> SharedState:
    """``shared`` as it stands ``elapsed`` seconds after it was published."""
    if shared.retry_after <= 0 or elapsed <= 0:
        return shared
    return replace(shared, retry_after=max(0.0, shared.retry_after - elapsed))


class InMemoryStateStore:
    """A ``CircuitStateStore`` for breakers in one interpreter.

    ``clock`` measures how long ago the last state was published, so a breaker that
    subscribes later gets the wait that is left (pass the breakers' ``FakeClock`` in
    tests).
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._now = (clock if clock is not None else system_clock).monotonic
        self._lock = threading.Lock()
        self._subscribers: dict[str, dict[str, Callable[[SharedState], None]]] = {}
        self._last: dict[str, tuple[SharedState, float]] = {}

    def subscribe(
        self, name: str, origin: str, apply: Callable[[SharedState], None]
    ) -> SharedState | None:
        with self._lock:
            self._subscribers.setdefault(name, {})[origin] = apply
            last = self._last.get(name)
            if last is None:
                return None
            shared, published_at = last
            return aged(shared, self._now() - published_at)

    def unsubscribe(self, name: str, origin: str) -> None:
        with self._lock:
            subscribers = self._subscribers.get(name)
            if subscribers is not None:
                subscribers.pop(origin, None)
                if not subscribers:
                    del self._subscribers[name]

    def publish(self, name: str, shared: SharedState) -> None:
        with self._lock:
            self._last[name] = (shared, self._now())
            targets = [
                apply
                for origin, apply in self._subscribers.get(name, {}).items()
                if origin != shared.origin
            ]
        for apply in targets:  # outside the lock: apply() takes the other breaker's lock
            apply(shared)

    def subscribers(self, name: str) -> int:
        """How many breakers named ``name`` listen here (for tests and diagnostics)."""
        with self._lock:
            return len(self._subscribers.get(name, ()))
