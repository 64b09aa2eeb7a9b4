"""Named instances, enumerable, so health checks and metrics can see all of them.

Nothing registers itself behind your back: an instance joins a registry when it is
created with ``registry=`` or added with ``Registry.add``. ``default_registry`` is the
one explicit, process-wide registry for applications that want a single place.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from steinresil._breaker import CircuitBreaker

__all__ = ["Registry", "default_registry"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Registry:
    """Named resilience instances, one per (kind, name)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], _Named] = {}

    def add(self, instance: _Named) -> None:
        """Register ``instance`` under its kind and name; a second one of both is refused."""
        key = (type(instance).__name__, instance.name)
        with self._lock:
            existing = self._items.get(key)
            if existing is not None and existing is not instance:
                raise ValueError(
                    f"Registry: a {key[0]} named {key[1]!r} is registered already; "
                    "use circuit_breaker() to look it up, or pick another name"
                )
            self._items[key] = instance

    def remove(self, instance: _Named) -> None:
        with self._lock:
            key = (type(instance).__name__, instance.name)
            if self._items.get(key) is instance:
                del self._items[key]

    def circuit_breaker(self, name: str, **options: Any) -> CircuitBreaker:
        """The breaker called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._breaker import CircuitBreaker  # noqa: PLC0415 - import cycle

        with self._lock:
            found = self._items.get(("CircuitBreaker", name))
        if isinstance(found, CircuitBreaker):
            return found
        breaker = CircuitBreaker(name, **options)
        with self._lock:
            found = self._items.setdefault(("CircuitBreaker", name), breaker)
        assert isinstance(found, CircuitBreaker)  # noqa: S101 - the key names the kind
        return found

    def circuit_breakers(self) -> list[CircuitBreaker]:
        """Every registered breaker, sorted by name."""
        from steinresil._breaker import CircuitBreaker  # noqa: PLC0415 - import cycle

        return [item for item in self if isinstance(item, CircuitBreaker)]

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            items = sorted(self._items.items())
        return iter([item for _, item in items])

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


default_registry = Registry()
"""The process-wide registry, for applications that want one; nothing joins it implicitly."""
