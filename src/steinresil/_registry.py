"""Named instances, enumerable, so health checks and metrics can see all of them.

Nothing registers itself behind your back: an instance joins a registry when it is
created with ``registry=`` (every primitive takes it), added with ``Registry.add``, or made
by ``Registry.get_or_create`` and its shorthands (``circuit_breaker``, ``retry_policy``,
``retry_budget``, ``bulkhead``, ``rate_limiter``, ``timeout``).
``default_registry`` is the one explicit, process-wide registry for applications that
want a single place.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from steinresil._breaker import CircuitBreaker
    from steinresil._budget import RetryBudget
    from steinresil._bulkhead import Bulkhead
    from steinresil._rate_limit import RateLimiter
    from steinresil._retry import RetryPolicy
    from steinresil._timeout import Timeout

__all__ = ["Registry", "default_registry"]

T = TypeVar("T")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Registry:
    """Named resilience instances, one per kind and name.

    The get-or-create methods take the constructor's options; they are used only when
    the instance is created, so the first caller decides how it is configured.
    """

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
                    "look it up through the registry, or pick another name"
                )
            self._items[key] = instance

    def remove(self, instance: _Named) -> None:
        """Forget ``instance`` (nothing happens if it is not registered)."""
        key = (type(instance).__name__, instance.name)
        with self._lock:
            if self._items.get(key) is instance:
                del self._items[key]

    def get(self, kind: type[T], name: str) -> T | None:
        """The instance of ``kind`` called ``name``, or None."""
        with self._lock:
            found = self._items.get((kind.__name__, name))
        return found if isinstance(found, kind) else None

    def get_or_create(self, kind: type[T], name: str, /, **options: Any) -> T:
        """The ``kind`` called ``name``, made as ``kind(name=name, **options)`` if missing.

        Works for every kind that takes its name as ``name=``; the methods below are this
        for each built-in kind. Two threads racing to create the same one get the same one.
        """
        found = self.get(kind, name)
        if found is not None:
            return found
        made: Any = cast("Callable[..., T]", kind)(name=name, **options)
        with self._lock:
            kept = self._items.setdefault((kind.__name__, name), made)
        if not isinstance(kept, kind):
            raise TypeError(
                f"Registry: {name!r} is registered as a {type(kept).__name__}, "
                f"which is not a {kind.__name__}"
            )
        return kept

    def of_kind(self, kind: type[T]) -> list[T]:
        """Every registered instance of ``kind``, sorted by name."""
        return [item for item in self if isinstance(item, kind)]

    # The classes are imported when first asked for, not at the top: the registry is
    # loaded by every primitive's module, and importing them all here would load every
    # primitive with the first one (``import steinresil`` loads nothing until used).

    def circuit_breaker(self, name: str, **options: Any) -> CircuitBreaker:
        """The breaker called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._breaker import CircuitBreaker  # noqa: PLC0415 - loaded on use

        return self.get_or_create(CircuitBreaker, name, **options)

    def retry_policy(self, name: str, **options: Any) -> RetryPolicy:
        """The retry policy called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._retry import RetryPolicy  # noqa: PLC0415 - loaded on use

        return self.get_or_create(RetryPolicy, name, **options)

    def retry_budget(self, name: str, **options: Any) -> RetryBudget:
        """The retry budget called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._budget import RetryBudget  # noqa: PLC0415 - loaded on use

        return self.get_or_create(RetryBudget, name, **options)

    def bulkhead(self, name: str, **options: Any) -> Bulkhead:
        """The bulkhead called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._bulkhead import Bulkhead  # noqa: PLC0415 - loaded on use

        return self.get_or_create(Bulkhead, name, **options)

    def rate_limiter(self, name: str, **options: Any) -> RateLimiter:
        """The limiter called ``name``, created with ``options`` if it does not exist yet."""
        from steinresil._rate_limit import RateLimiter  # noqa: PLC0415 - loaded on use

        return self.get_or_create(RateLimiter, name, **options)

    def timeout(self, name: str, **options: Any) -> Timeout:
        """The timeout called ``name`` (``seconds=`` sets it), created if it does not exist yet."""
        from steinresil._timeout import Timeout  # noqa: PLC0415 - loaded on use

        return self.get_or_create(Timeout, name, **options)

    def circuit_breakers(self) -> list[CircuitBreaker]:
        """Every registered breaker, sorted by name."""
        from steinresil._breaker import CircuitBreaker  # noqa: PLC0415 - loaded on use

        return self.of_kind(CircuitBreaker)

    def retry_policies(self) -> list[RetryPolicy]:
        """Every registered retry policy, sorted by name."""
        from steinresil._retry import RetryPolicy  # noqa: PLC0415 - loaded on use

        return self.of_kind(RetryPolicy)

    def retry_budgets(self) -> list[RetryBudget]:
        """Every registered retry budget, sorted by name."""
        from steinresil._budget import RetryBudget  # noqa: PLC0415 - loaded on use

        return self.of_kind(RetryBudget)

    def bulkheads(self) -> list[Bulkhead]:
        """Every registered bulkhead, sorted by name."""
        from steinresil._bulkhead import Bulkhead  # noqa: PLC0415 - loaded on use

        return self.of_kind(Bulkhead)

    def rate_limiters(self) -> list[RateLimiter]:
        """Every registered rate limiter, sorted by name."""
        from steinresil._rate_limit import RateLimiter  # noqa: PLC0415 - loaded on use

        return self.of_kind(RateLimiter)

    def timeouts(self) -> list[Timeout]:
        """Every registered timeout, sorted by name."""
        from steinresil._timeout import Timeout  # noqa: PLC0415 - loaded on use

        return self.of_kind(Timeout)

    def __iter__(self) -> Iterator[Any]:
        """Every registered instance, sorted by kind, then name."""
        with self._lock:
            items = sorted(self._items.items())
        return iter([item for _, item in items])

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Forget every instance."""
        with self._lock:
            self._items.clear()

    def __repr__(self) -> str:
        return f"<Registry with {len(self)} instances>"


default_registry = Registry()
"""The process-wide registry, for applications that want one; nothing joins it implicitly."""
